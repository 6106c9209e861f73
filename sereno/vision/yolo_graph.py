"""A fixed-size YOLOv8 ONNX graph re-targeted to another input size, so that a 16:9 frame is not padded to a square.

The COCO detector ships with a fixed 640x640 input. Its convolutions take any size that is a multiple of the
largest stride (32); what the export baked in for 640x640 is the anchor grid (one point per cell of the three
feature maps, 8,400 in all), the stride of each anchor and the reshapes of the box head that count anchors.
``retarget`` recomputes those for ``height`` x ``width`` and checks that the originals were what it expects, so a
graph of another shape is refused (``GraphLayoutError``) instead of quietly giving wrong boxes. A 1280x720 frame
then runs at 640x384: 40% fewer pixels, about 40% less time (docs/video-pipeline.md).

Needs the ``onnx`` package (protobuf editing; installed with the ``build`` extra that ``sereno models install``
uses). Inference itself is ``sereno.vision.onnx``'s.
"""

from __future__ import annotations

import numpy as np

STRIDES = (8, 16, 32)  # YOLOv8's three detection scales


class GraphLayoutError(ValueError):
    """The graph does not have the fixed-size YOLOv8 layout that ``retarget`` knows how to change."""


def anchor_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Anchor centres ``(1, 2, n)`` (x, y in feature-map cells, +0.5) and their strides ``(1, n)``, as Ultralytics
    lays them out: stride 8 first, row-major within each map."""
    points, strides = [], []
    for stride in STRIDES:
        ys, xs = np.meshgrid(np.arange(height // stride) + 0.5, np.arange(width // stride) + 0.5, indexing="ij")
        points.append(np.stack((xs.ravel(), ys.ravel())))
        strides.append(np.full(xs.size, stride))
    return (np.concatenate(points, axis=1)[None].astype(np.float32),
            np.concatenate(strides)[None].astype(np.float32))


def retarget(model_bytes: bytes, height: int, width: int) -> bytes:
    """The serialized graph with its input set to ``height`` x ``width`` (multiples of 32)."""
    import onnx
    from onnx import numpy_helper

    if height % STRIDES[-1] or width % STRIDES[-1] or height <= 0 or width <= 0:
        raise ValueError(f"input {height}x{width}: both sides must be positive multiples of {STRIDES[-1]}")
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4 or not dims[2].dim_value or not dims[3].dim_value:
        raise GraphLayoutError("the graph's input is not a fixed [1, 3, H, W] image")
    old_h, old_w = dims[2].dim_value, dims[3].dim_value
    old_points, old_strides = anchor_grid(old_h, old_w)
    new_points, new_strides = anchor_grid(height, width)
    old_n, new_n = old_points.shape[2], new_points.shape[2]
    replaced = set()
    for tensor in graph.initializer:
        value = numpy_helper.to_array(tensor)
        if value.shape == old_points.shape and np.allclose(value, old_points):
            new, kind = new_points, "anchors"
        elif value.shape == old_strides.shape and np.allclose(value, old_strides):
            new, kind = new_strides, "strides"
        elif value.dtype == np.int64 and value.ndim == 1 and len(value) > 1 and value[-1] == old_n:
            new, kind = np.concatenate((value[:-1], [new_n])), f"reshape{len(value)}"  # the box head's anchor count
        else:
            continue
        tensor.CopyFrom(numpy_helper.from_array(new.astype(value.dtype), tensor.name))
        replaced.add(kind)
    if not {"anchors", "strides"} <= replaced:
        raise GraphLayoutError(f"no YOLOv8 anchor grid for {old_h}x{old_w} found in the graph (found: "
                               f"{', '.join(sorted(replaced)) or 'nothing'})")
    dims[2].dim_value, dims[3].dim_value = height, width
    output = graph.output[0].type.tensor_type.shape.dim
    if len(output) == 3 and output[2].dim_value == old_n:
        output[2].dim_value = new_n
    del graph.value_info[:]  # intermediate shapes recorded for the old size; the runtime infers them again
    return model.SerializeToString()
