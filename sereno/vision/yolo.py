"""YOLOv8 pre- and post-processing as pure functions on arrays: letterbox, decode, class-aware NMS.

Both detectors (plates, COCO objects) use these; only the model, the class names and the thresholds differ.
A YOLOv8 ONNX graph takes ``[1, 3, H, W]`` RGB/255 and returns ``[1, 4 + classes, anchors]``: box centre x, y,
width, height in input pixels, then one score per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from sereno.domain import Box, Detection

PAD_VALUE = 114  # grey used by Ultralytics for letterbox padding (what the models were trained with)
STRIDE = 32  # largest YOLOv8 stride: a dynamic-size input must be a multiple of it


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was placed in the network input: ``input = image * scale + pad``."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, boxes_xyxy: np.ndarray) -> np.ndarray:
        out = boxes_xyxy.astype(np.float32, copy=True)
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        return out


def input_shape(image_hw: tuple[int, int], size: int, square: bool) -> tuple[int, int]:
    """Network input (height, width) for an image: ``size`` square, or the image's aspect padded to the stride."""
    if square:
        return size, size
    h, w = image_hw
    scale = size / max(h, w)
    return padded_shape((int(np.ceil(h * scale)), int(np.ceil(w * scale))), STRIDE)


def padded_shape(shape_hw: tuple[int, int], step: int) -> tuple[int, int]:
    """``shape_hw`` with each side rounded up to a multiple of ``step``."""
    return (-(-shape_hw[0] // step) * step, -(-shape_hw[1] // step) * step)


def letterbox(
    image_bgr: np.ndarray, shape_hw: tuple[int, int], canvas_hw: tuple[int, int] | None = None
) -> tuple[np.ndarray, Letterbox]:
    """Resize to fit ``shape_hw`` keeping the aspect ratio, pad centred to ``canvas_hw`` (default ``shape_hw``);
    return the NCHW float32 RGB/255 tensor."""
    h, w = image_bgr.shape[:2]
    scale = min(shape_hw[0] / h, shape_hw[1] / w)
    out_h, out_w = canvas_hw or shape_hw
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=interpolation)
    pad_x, pad_y = (out_w - new_w) // 2, (out_h - new_h) // 2
    canvas = np.full((out_h, out_w, 3), PAD_VALUE, dtype=np.uint8)
    canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = resized
    tensor = cv2.dnn.blobFromImage(canvas, scalefactor=1 / 255.0, swapRB=True)
    return tensor, Letterbox(scale=scale, pad_x=float(pad_x), pad_y=float(pad_y))


@dataclass(frozen=True, slots=True)
class Candidates:
    """Decoded boxes before NMS, in image pixels."""

    boxes: np.ndarray  # (n, 4) x1, y1, x2, y2
    scores: np.ndarray  # (n,)
    labels: np.ndarray  # (n,) object array of label strings


def decode(
    output: np.ndarray,
    transform: Letterbox,
    labels: Mapping[int, str],
    thresholds: Mapping[str, float],
    image_hw: tuple[int, int],
) -> Candidates:
    """Raw YOLOv8 output -> boxes of the wanted classes above their score threshold, clipped to the image.

    ``labels`` maps class ids to the names we keep (others are dropped); ``thresholds`` maps a name to its minimum
    score. Each anchor votes for its best class only, as Ultralytics does for single-label NMS.
    """
    predictions = output[0].T  # (anchors, 4 + classes)
    class_scores = predictions[:, 4:]
    best = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(best)), best]
    wanted_ids = np.array(sorted(labels), dtype=np.int64)
    minimum = np.full(class_scores.shape[1], np.inf, dtype=np.float32)
    minimum[wanted_ids] = [thresholds[labels[i]] for i in wanted_ids]
    keep = score >= minimum[best]
    cx, cy, w, h = predictions[keep, :4].T
    boxes = transform.to_image(np.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), axis=1))
    height, width = image_hw
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    names = np.array([labels[i] for i in best[keep]], dtype=object)
    return Candidates(boxes=boxes, scores=score[keep].astype(np.float32), labels=names)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (n, 4) with every box in ``b`` (m, 4): (n, m)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def nms(candidates: Candidates, iou_threshold: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first; boxes only suppress their own class."""
    order = list(np.argsort(-candidates.scores, kind="stable"))
    if not order:
        return []
    overlaps = iou_matrix(candidates.boxes, candidates.boxes)
    same_class = candidates.labels[:, None] == candidates.labels[None, :]
    suppress = (overlaps > iou_threshold) & same_class
    kept: list[int] = []
    removed = np.zeros(len(order), dtype=bool)
    for i in order:
        if removed[i]:
            continue
        kept.append(int(i))
        removed |= suppress[i]
    return kept


def to_detections(candidates: Candidates, indices: list[int]) -> list[Detection]:
    return [
        Detection(box=_box(candidates.boxes[i]), score=float(candidates.scores[i]), label=str(candidates.labels[i]))
        for i in indices
    ]


def _box(row: np.ndarray) -> Box:
    x1, y1, x2, y2 = (float(v) for v in row)
    return (x1, y1, x2, y2)
