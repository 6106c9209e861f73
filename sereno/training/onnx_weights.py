"""Fine-tune from the committed ONNX file when no torch checkpoint was kept.

The exporter folds each BatchNorm into the convolution before it, so the ONNX file holds one weight and one bias per
convolution. ``load_onnx_weights`` puts them back into a ``PlateCTCNet`` with the BatchNorms as the identity plus the
folded bias (the network then computes exactly what the ONNX file does), and ``calibrate_batchnorm`` gives each
BatchNorm the statistics of a real batch with a scale and shift that undo them, so that training (which normalises
with batch statistics) starts from the same function instead of from a jolt.

``average_onnx`` averages the weights of several exported fine-tunes of one model (a "model soup", Wortsman et al.
2022): the average usually keeps what each fine-tune learned while forgetting less of the model they started from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from sereno.training.model import conv_layers


def _onnx_convolutions(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    return [(tensors[node.input[1]], tensors[node.input[2]]) for node in convs]


def onnx_width(path: Path) -> float:
    """The channel width of an exported ``PlateCTCNet`` (its first convolution has 32 x width filters), so that
    fine-tuning builds the same network."""
    return _onnx_convolutions(path)[0][0].shape[0] / 32


def load_onnx_weights(net: nn.Module, path: Path) -> None:
    """Copy the convolutions of an exported ``WithSoftmax(net)`` ONNX file into ``net`` (same architecture)."""
    folded = _onnx_convolutions(path)
    layers = conv_layers(net)
    if len(layers) != len(folded):
        raise ValueError(f"{path} has {len(folded)} convolutions, the network {len(layers)}: not the same architecture")
    with torch.no_grad():
        for (conv, norm), (weight, bias) in zip(layers, folded):
            if tuple(conv.weight.shape) != weight.shape:
                raise ValueError(f"{path}: convolution shape {weight.shape} does not fit {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(weight.copy()))
            if norm is not None:
                norm.weight.fill_(1.0)
                norm.bias.copy_(torch.from_numpy(bias.copy()))
                norm.running_mean.zero_()
                norm.running_var.fill_(1.0 - norm.eps)
            else:
                conv.bias.copy_(torch.from_numpy(bias.copy()))


def calibrate_batchnorm(net: nn.Module, batch: torch.Tensor) -> None:
    """Give each identity BatchNorm (from ``load_onnx_weights``) the mean and variance of its input on ``batch``,
    with weight and bias set so that its output is unchanged."""
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    seen: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(module, inputs, _output):
        x = inputs[0]
        seen[id(module)] = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False))

    hooks = [m.register_forward_hook(record) for m in norms]
    was_training = net.training
    net.eval()
    with torch.no_grad():
        net(batch)
        for norm in norms:
            mean, var = seen[id(norm)]
            norm.bias.add_(mean)
            norm.weight.copy_(torch.sqrt(var + norm.eps))
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var)
    for hook in hooks:
        hook.remove()
    net.train(was_training)


def average_onnx(paths: list[Path], out: Path) -> None:
    """Write the uniform average of the float weights of ``paths`` (ONNX files with the same graph) to ``out``."""
    import onnx
    from onnx import numpy_helper

    if len(paths) < 2:
        raise ValueError("averaging needs at least two model files")
    models = [onnx.load(str(p)) for p in paths]
    first = models[0]
    tensors = [{t.name: numpy_helper.to_array(t) for t in m.graph.initializer} for m in models]

    def network(model, weights) -> tuple:  # what must match: the operations, their inputs, the weights' shapes
        return ([(n.op_type, list(n.input)) for n in model.graph.node], {k: v.shape for k, v in weights.items()})

    for path, model, weights in zip(paths[1:], models[1:], tensors[1:]):
        if network(model, weights) != network(first, tensors[0]):
            raise ValueError(f"{path} is not the same network as {paths[0]}: only fine-tunes of one model average")
    for i, initializer in enumerate(first.graph.initializer):
        values = [w[initializer.name] for w in tensors]
        if values[0].dtype.kind == "f":
            mean = np.mean(np.stack(values).astype(np.float64), axis=0).astype(values[0].dtype)
            first.graph.initializer[i].CopyFrom(numpy_helper.from_array(mean, initializer.name))
        elif any(not np.array_equal(values[0], v) for v in values[1:]):
            raise ValueError(f"{initializer.name} differs between the models and cannot be averaged")
    onnx.save(first, str(out))
