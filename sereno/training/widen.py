"""Grow a trained recogniser into a wider one that computes the same function (Net2WiderNet: Chen, Goodfellow and
Shlens, "Net2Net", ICLR 2016), so that a CPU fine-tune can start from the committed model's accuracy with more
channels to learn with, instead of training the wider network from scratch (which needs a GPU's budget).

Each hidden channel of the wide network is a copy of a channel of the narrow one: the first ones are the originals,
the extra ones copies of originals drawn at random. A copied channel has the same incoming weights, so the same
activation. The layer after it reads every copy of a channel with a share of the original outgoing weight, and the
shares of one channel's copies add up to one, so its input sums to what the narrow layer received. The shares are
drawn unequal (plus or minus ``SPREAD`` around even): with even shares the copies would get the same gradient and
stay copies for ever; unequal ones let them drift apart while the function at the start stays exactly the same.

This works for a chain of convolutions where everything between two convolutions acts per channel (BatchNorm, ReLU,
max pooling, dropout), which is what ``PlateCTCNet`` is.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sereno.training.model import conv_layers

SPREAD = 0.2  # how far from even the copies' shares are drawn (each share times 1 +- SPREAD, then normalised)


def _copies(old: int, new: int, rng: np.random.Generator) -> np.ndarray:
    """For each of ``new`` channels, the old channel it copies: the originals first, then random ones."""
    if new < old:
        raise ValueError(f"cannot widen {old} channels to {new}: the wide network must have at least as many")
    return np.concatenate([np.arange(old), rng.integers(0, old, new - old)])


def _shares(source: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each new channel, its share of the original channel's outgoing weight; a channel's copies add up to one."""
    raw = 1.0 + rng.uniform(-SPREAD, SPREAD, len(source))
    totals = np.bincount(source, weights=raw, minlength=source.max() + 1)
    return raw / totals[source]


def widen(narrow: nn.Module, wide: nn.Module, seed: int = 0) -> None:
    """Set ``wide``'s weights so that it computes what ``narrow`` does (same architecture, wider hidden layers)."""
    rng = np.random.default_rng(seed)
    narrow_layers, wide_layers = conv_layers(narrow), conv_layers(wide)
    if len(narrow_layers) != len(wide_layers):
        raise ValueError(f"{len(narrow_layers)} against {len(wide_layers)} convolutions: not the same architecture")
    source_in = np.arange(narrow_layers[0][0].in_channels)  # the image's channels are not widened
    share_in = np.ones(len(source_in))
    with torch.no_grad():
        for index, ((conv, norm), (wide_conv, wide_norm)) in enumerate(zip(narrow_layers, wide_layers)):
            last = index == len(narrow_layers) - 1
            if conv.kernel_size != wide_conv.kernel_size or (last and conv.out_channels != wide_conv.out_channels):
                raise ValueError(f"convolution {index}: {conv} does not fit {wide_conv}")
            source_out = (np.arange(conv.out_channels) if last
                          else _copies(conv.out_channels, wide_conv.out_channels, rng))
            out_index, in_index = torch.from_numpy(source_out), torch.from_numpy(source_in)
            weight = conv.weight[out_index][:, in_index] * torch.from_numpy(share_in).float()[None, :, None, None]
            wide_conv.weight.copy_(weight)
            if conv.bias is not None:
                wide_conv.bias.copy_(conv.bias[out_index])
            if norm is not None:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(wide_norm, name).copy_(getattr(norm, name)[out_index])
            source_in, share_in = source_out, _shares(source_out, rng)
