"""One-time conversion of an Ultralytics YOLOv8 detection checkpoint (``.pt``) to ONNX, without Ultralytics.

The checkpoint is a pickled ``DetectionModel``. Ultralytics itself does not import here (its ``predict`` path needs
torchvision, which does not load beside torch 2.13), so the pickle is loaded with stand-in classes that carry the
same attributes and the YOLOv8 forward pass written out below. Only ``sereno models install`` calls this; it needs
torch (the ``build`` extra). The runtime never imports torch.

The exported graph matches Ultralytics' own ONNX export: input ``images`` ``[1, 3, H, W]`` RGB/255 (H and W
multiples of 32, dynamic), output ``[1, 4 + classes, anchors]`` = box centre x, y, width, height in input pixels,
then per-class sigmoid scores.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any


class CheckpointError(Exception):
    """The checkpoint is not a YOLOv8 detection model this converter understands."""


def _modules() -> dict[str, type]:
    """Stand-ins for the Ultralytics classes a YOLOv8 detection checkpoint references, keyed by class name."""
    import torch
    from torch import nn

    class Conv(nn.Module):
        def forward(self, x):
            x = self.conv(x)
            if hasattr(self, "bn"):  # absent once Ultralytics has fused conv+bn
                x = self.bn(x)
            return self.act(x)

    class Bottleneck(nn.Module):
        def forward(self, x):
            y = self.cv2(self.cv1(x))
            return x + y if self.add else y

    class C2f(nn.Module):
        def forward(self, x):
            y = list(self.cv1(x).split((self.c, self.c), 1))
            y.extend(m(y[-1]) for m in self.m)
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def forward(self, x):
            x = self.cv1(x)
            y1 = self.m(x)
            y2 = self.m(y1)
            return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))

    class Concat(nn.Module):
        def forward(self, x):
            return torch.cat(x, self.d)

    class DFL(nn.Module):
        """Distribution focal loss head: expected value of each box side over ``reg_max`` bins."""

        def forward(self, x):
            b, _, a = x.shape
            return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)

    class Detect(nn.Module):
        def forward(self, x):
            x = [torch.cat((self.cv2[i](x[i]), self.cv3[i](x[i])), 1) for i in range(self.nl)]
            anchors, strides = _anchors(x, self.stride_values)
            flat = torch.cat([xi.view(xi.shape[0], self.no, -1) for xi in x], 2)
            box, cls = flat.split((self.reg_max * 4, self.nc), 1)
            lt, rb = self.dfl(box).chunk(2, 1)
            x1y1, x2y2 = anchors - lt, anchors + rb
            xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
            return torch.cat((xywh, cls.sigmoid()), 1)

    def _anchors(features, stride):
        points, strides = [], []
        for feature, s in zip(features, stride):  # stride: plain floats, constants in the graph
            h, w = feature.shape[2:]
            sx = torch.arange(w, dtype=torch.float32) + 0.5
            sy = torch.arange(h, dtype=torch.float32) + 0.5
            gy, gx = torch.meshgrid(sy, sx, indexing="ij")
            points.append(torch.stack((gx, gy), -1).view(-1, 2))
            strides.append(torch.full((h * w, 1), s))
        return torch.cat(points).transpose(0, 1), torch.cat(strides).transpose(0, 1)

    class DetectionModel(nn.Module):
        def forward(self, x):
            outputs: list[Any] = []
            for m in self.model:
                if m.f != -1:
                    x = outputs[m.f] if isinstance(m.f, int) else [x if j == -1 else outputs[j] for j in m.f]
                x = m(x)
                outputs.append(x if m.i in self.save else None)
            return x

    class Namespace:  # training arguments and loss helpers: carried by the pickle, never used
        def __setstate__(self, state):
            self.__dict__.update(state if isinstance(state, dict) else {"state": state})

    found = {c.__name__: c for c in (Conv, Bottleneck, C2f, SPPF, Concat, DFL, Detect, DetectionModel)}
    for name in ("IterableSimpleNamespace", "v8DetectionLoss", "BboxLoss", "TaskAlignedAssigner"):
        found[name] = type(name, (Namespace,), {})
    return found


def load_checkpoint(path: Path):
    """The detection model in ``path`` (float32, eval mode) and its class names."""
    import torch

    stand_ins = _modules()

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if module.startswith("ultralytics"):
                if name not in stand_ins:
                    raise CheckpointError(f"{path}: unsupported layer {module}.{name} (only YOLOv8 detection)")
                return stand_ins[name]
            return super().find_class(module, name)

    pickle_module = type("pickle_module", (), {"Unpickler": Unpickler, "load": pickle.load, "__name__": "pm"})
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False, pickle_module=pickle_module)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({exc})") from exc
    model = checkpoint.get("ema") or checkpoint.get("model") if isinstance(checkpoint, dict) else None
    if model is None or type(model).__name__ != "DetectionModel":
        raise CheckpointError(f"{path}: no YOLOv8 DetectionModel inside")
    model = model.float().eval()
    for module in model.modules():
        if type(module).__name__ == "Detect":
            module.stride_values = [float(s) for s in module.stride.tolist()]
    return model, dict(model.names)


def export_onnx(checkpoint: Path, target: Path, metadata: dict[str, str] | None = None) -> dict[int, str]:
    """Write ``target`` (ONNX, dynamic height/width) from ``checkpoint``; return the class names.

    The class names go into the model's metadata as Ultralytics writes them (``names``: ``{0: 'name'}``), beside
    ``metadata`` (source, license).
    """
    import onnx
    import torch

    model, names = load_checkpoint(checkpoint)
    example = torch.zeros(1, 3, 640, 640)
    # The TorchScript exporter (dynamo=False) needs nothing beyond torch; the newer one needs onnxscript.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (example,), str(target), dynamo=False, opset_version=17,
            input_names=["images"], output_names=["output0"],
            dynamic_axes={"images": {2: "height", 3: "width"}, "output0": {2: "anchors"}},
        )
    graph = onnx.load(str(target))
    for key, value in {"names": repr(names), "task": "detect", **(metadata or {})}.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, str(target))
    return names
