"""The plate recogniser networks: small CNNs over the whole grayscale crop (64 x 160).

- ``PlateCTCNet`` (default, ``--head ctc``; the committed model has 40 columns): the feature map is cut into a top and
  a bottom row of 20 columns (``columns``), read as one CTC sequence (top row first), so two-line plates need no
  special case. ~0.43 M parameters at ``width`` 1 (the committed model); ``width`` scales every convolution's
  channels (1.5: 0.96 M, about twice the time per crop; docs/plate-ocr.md, "A wider network"; ``widen`` grows a
  trained one). It trained far faster than the fixed-slot head here (same data, same budget: see docs/plate-ocr.md).
  With 20 columns rather than 40, training from scratch leaves CTC's all-blank phase sooner (on clean plates: after
  ~300 steps, against none within 450; docs/plate-ocr.md).
- ``PlateOCRNet`` (``--head slots``): one classifier per character slot over the flattened feature map, as
  fast-plate-ocr does. ~1.3 M parameters.

The runtime (sereno.vision.plate_ocr) gives per-slot probabilities for both.
"""

from __future__ import annotations

import torch
from torch import nn

from sereno.vision.plate_ocr import ALPHABET, INPUT_HEIGHT, INPUT_WIDTH, SLOTS


def conv(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def channels(base: int, width: float) -> int:
    """``base`` channels scaled by ``width``, rounded to a multiple of 8 (what CPU kernels vectorise best)."""
    return max(8, int(round(base * width / 8)) * 8)


class PlateOCRNet(nn.Module):
    def __init__(self, slots: int = SLOTS, classes: int = len(ALPHABET), dropout: float = 0.2) -> None:
        super().__init__()
        self.slots, self.classes = slots, classes
        self.features = nn.Sequential(
            conv(1, 32, stride=2),  # 32 x 80
            conv(32, 48),
            nn.MaxPool2d(2),  # 16 x 40
            conv(48, 64),
            conv(64, 64),
            nn.MaxPool2d(2),  # 8 x 20
            conv(64, 128),
            conv(128, 128),
            nn.MaxPool2d(2),  # 4 x 10
            nn.Conv2d(128, 64, 1),
            nn.ReLU(inplace=True),
        )
        feature_size = 64 * (INPUT_HEIGHT // 16) * (INPUT_WIDTH // 16)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(feature_size, slots * classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, slots, classes) for inputs (batch, 1, H, W) in 0..1."""
        x = (x - 0.5) / 0.25
        return self.head(self.features(x)).view(-1, self.slots, self.classes)


class PlateCTCNet(nn.Module):
    """CTC variant: the crop becomes two rows of ``columns`` columns (top half, bottom half), read as one sequence top
    row first, so two-line plates need no special case. Output logits (batch, 2 x columns, classes); the pad symbol
    is the blank. ``columns`` is 40 or 20 (each column then covers 8 input pixels, under half a character)."""

    def __init__(self, classes: int = len(ALPHABET), columns: int = 20, width: float = 1.0) -> None:
        if columns not in (20, 40):
            raise ValueError(f"columns must be 20 or 40, got {columns}")
        if not 0.5 <= width <= 4:
            raise ValueError(f"width must be between 0.5 and 4, got {width}")
        super().__init__()
        c32, c64, c96, c128 = (channels(n, width) for n in (32, 64, 96, 128))
        self.features = nn.Sequential(
            conv(1, c32, stride=2),  # 32 x 80
            conv(c32, c32),
            nn.MaxPool2d(2),  # 16 x 40
            conv(c32, c64),
            conv(c64, c96),
            nn.MaxPool2d((2, 1)),  # 8 x 40
            conv(c96, c128),
            nn.MaxPool2d((2, 1)),  # 4 x 40
            conv(c128, c128),
            nn.MaxPool2d((2, 40 // columns)),  # 2 x columns
            nn.Conv2d(c128, c128, (1, 5), padding=(0, 2)),
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
            nn.Conv2d(c128, classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 0.5) / 0.25
        logits = self.features(x)  # (batch, classes, 2, columns)
        return logits.flatten(2).transpose(1, 2)  # (batch, 2 x columns, classes): top row, then bottom row


def conv_layers(net: nn.Module) -> list[tuple[nn.Conv2d, nn.BatchNorm2d | None]]:
    """The network's convolutions in order, each with the BatchNorm right after it (None where there is none)."""
    modules = [*net.modules(), None]
    return [(module, modules[i + 1] if isinstance(modules[i + 1], nn.BatchNorm2d) else None)
            for i, module in enumerate(modules[:-1]) if isinstance(module, nn.Conv2d)]


def make_net(head: str, columns: int = 20, width: float = 1.0) -> nn.Module:
    if head == "slots":
        return PlateOCRNet()
    if head == "ctc":
        return PlateCTCNet(columns=columns, width=width)
    raise ValueError(f"unknown recogniser head {head!r}: use slots or ctc")


class WithSoftmax(nn.Module):
    """What is exported: per-slot probabilities."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=-1)
