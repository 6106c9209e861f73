"""Camera tampering: a view that goes dark, is covered, turned away or blurred raises an alarm.

Pure functions over a small grey copy of a frame (``tamper_view``), compared with a reference learned from the
camera's own normal frames (``judge``):

- dark: the mean brightness collapses (lens painted black, sensor shot out, lights cut);
- covered: most of the areas that had texture turn flat (a bag, a board, a palm, thick paint);
- blurred: the fine detail collapses (spray, grease, a lens knocked out of focus);
- turned away: the structure of the last few seconds (its edges, moving traffic averaged out) no longer matches the
  reference (the camera was turned, or its view replaced). PTZ cameras move on purpose: not checked for them.
A black or blank frame is dark or covered even before there is a reference (a camera that starts blinded).

``TamperDetector`` is the stateful shell: it looks at one frame per ``CHECK_EVERY_S``, learns the reference over the
first ``LEARN_S`` seconds, then lets it follow slow changes (dusk, shadows, parked cars) from normal frames only, so
a covered camera never becomes the new normal; and it debounces: an alarm is raised only after a condition held
``raise_after_s`` seconds of stream time (traffic passing close, a bird on the lens do not last), and cleared after
the view was normal for ``clear_after_s``. The reference lives in memory: after a camera is re-aimed on purpose,
a supervisor accepts the new view (``accept_view``; ``POST /api/cameras/{id}/accept-view``, recorded in the
ledger), and it is learned again. Figures and tests: docs/recording.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

WORK_WIDTH = 192  # pixels; enough to see texture and structure, cheap on any stream
GRID = (8, 6)  # columns x rows of cells whose texture is compared one by one
LEARN_S = 5.0
FOLLOW_S = 120.0  # time constant of the reference following slow changes
RECENT_S = 3.0  # time constant of the recent structure compared with the reference: traffic passes, a turn stays
CHECK_EVERY_S = 1.0  # one frame a second is plenty to see a camera tampered with, and costs ~1/5 of 5 fps
RAISE_AFTER_S = 10.0
CLEAR_AFTER_S = 10.0

BLACK_LEVEL = 8.0  # grey level (0-255): darker than this is dark whatever the reference (a camera that starts dark)
BLANK_CONTRAST = 3.0  # grey-level standard deviation: flatter than this is covered whatever the reference
DARK_LEVEL = 40.0  # below this, and below DARK_RATIO of the reference's brightness, the view is dark
DARK_RATIO = 0.35
TEXTURED = 4.0  # a cell whose detail (mean |Laplacian|) is at least this had texture to lose
FLAT_RATIO = 0.3  # a textured cell is flat when its detail and contrast fell below this share of the reference
COVERED_SHARE = 0.6  # of the textured cells
BLUR_RATIO = 0.4  # fine detail over the reference's, below which the view is blurred
TURNED_MATCH = 0.4  # structure match (correlation of edge maps) below which the view is another one

DARK, COVERED, BLURRED, TURNED_AWAY = "dark", "covered", "blurred", "turned away"


def tamper_view(image_bgr: np.ndarray) -> np.ndarray:
    """The small grey frame the detector works on (``WORK_WIDTH`` wide, aspect kept)."""
    height, width = image_bgr.shape[:2]
    size = (WORK_WIDTH, max(GRID[1], round(height * WORK_WIDTH / max(width, 1))))
    small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small


@dataclass(frozen=True, slots=True)
class ViewFeatures:
    brightness: float  # mean grey level
    contrast: float  # grey-level standard deviation
    detail: float  # mean |Laplacian| (fine texture)
    cell_detail: np.ndarray  # the same per cell of GRID
    cell_contrast: np.ndarray
    edges: np.ndarray  # smoothed gradient magnitude (the structure of the picture), float32


def _cells(values: np.ndarray, reducer) -> np.ndarray:  # noqa: ANN001
    columns, rows = GRID
    height, width = values.shape
    return np.array([[reducer(values[r * height // rows:(r + 1) * height // rows,
                                     c * width // columns:(c + 1) * width // columns])
                      for c in range(columns)] for r in range(rows)], np.float32)


def view_features(grey: np.ndarray) -> ViewFeatures:
    grey32 = grey.astype(np.float32)
    laplacian = np.abs(cv2.Laplacian(grey32, cv2.CV_32F, ksize=3))
    gx, gy = cv2.Sobel(grey32, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey32, cv2.CV_32F, 0, 1, ksize=3)
    # Smoothed so that a few pixels of shake (wind, a passing truck) do not read as a different view.
    edges = cv2.GaussianBlur(cv2.magnitude(gx, gy), (0, 0), 2.0)
    return ViewFeatures(float(grey32.mean()), float(grey32.std()), float(laplacian.mean()),
                        _cells(laplacian, np.mean), _cells(grey32, np.std), edges)


def structure_match(edges: np.ndarray, reference: np.ndarray) -> float:
    """Correlation (-1..1) of two edge maps: near 1 for the same view, near 0 for an unrelated one."""
    a, b = edges - edges.mean(), reference - reference.mean()
    norm = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / norm if norm > 0 else 0.0


def _mix(old, new, weight: float):  # noqa: ANN001, ANN202
    return old + (new - old) * weight


@dataclass(frozen=True, slots=True)
class Reference:
    """The camera's normal view, as features."""

    brightness: float
    detail: float
    cell_detail: np.ndarray
    cell_contrast: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, features: ViewFeatures) -> "Reference":
        return cls(features.brightness, features.detail, features.cell_detail, features.cell_contrast,
                   features.edges)

    def blend(self, features: ViewFeatures, weight: float) -> "Reference":
        """Move ``weight`` (0..1) of the way towards this frame."""
        return Reference(_mix(self.brightness, features.brightness, weight),
                         _mix(self.detail, features.detail, weight),
                         _mix(self.cell_detail, features.cell_detail, weight),
                         _mix(self.cell_contrast, features.cell_contrast, weight),
                         _mix(self.edges, features.edges, weight))


def judge(features: ViewFeatures, recent_edges: np.ndarray, reference: Reference | None,
          check_turned: bool = True) -> str | None:
    """What is wrong with this view (``DARK``, ``COVERED``, ``BLURRED``, ``TURNED_AWAY``), or None when it looks
    like the camera's normal view. ``recent_edges``: the structure of the last few seconds (moving traffic
    averaged out); ``reference``: None while it is being learned (only a black or blank view is judged then)."""
    if features.brightness < BLACK_LEVEL:
        return DARK
    if features.contrast < BLANK_CONTRAST:
        return COVERED
    if reference is None:
        return None
    if features.brightness < DARK_LEVEL and features.brightness < DARK_RATIO * reference.brightness:
        return DARK
    textured = reference.cell_detail >= TEXTURED
    flat = (textured & (features.cell_detail < FLAT_RATIO * reference.cell_detail)
            & (features.cell_contrast < FLAT_RATIO * reference.cell_contrast))
    if textured.any() and flat.sum() >= COVERED_SHARE * textured.sum():
        return COVERED
    if features.detail < BLUR_RATIO * reference.detail:
        return BLURRED
    if check_turned and structure_match(recent_edges, reference.edges) < TURNED_MATCH:
        return TURNED_AWAY
    return None


class TamperDetector:
    """One camera's tamper alarm: ``check(frame, stream time)`` on every analysed frame; it looks at one frame per
    ``every_s`` seconds and returns the alarm in force ("dark", "covered", "blurred", "turned away") or None."""

    def __init__(self, check_turned: bool = True, raise_after_s: float = RAISE_AFTER_S,
                 clear_after_s: float = CLEAR_AFTER_S, every_s: float = CHECK_EVERY_S) -> None:
        self.check_turned = check_turned
        self.raise_after_s = raise_after_s
        self.clear_after_s = clear_after_s
        self.every_s = every_s
        self.reference: Reference | None = None
        self.recent_edges: np.ndarray | None = None
        self.learning_since: datetime | None = None
        self.frames_learned = 0
        self.last_seen: datetime | None = None
        self.alarm: str | None = None
        self.disagreeing_since: datetime | None = None  # start of the run of frames that contradict the alarm state
        self.accept_requested = False

    def accept_view(self) -> None:
        """Take the camera's view from now on as its normal one (it was re-aimed on purpose): the alarm clears and
        the reference is learned again from the next frames. Callable from another thread: the camera's own thread
        applies it at its next check. A dark or blank view still raises its alarm (those need no reference)."""
        self.accept_requested = True

    def check(self, image_bgr: np.ndarray, at: datetime) -> str | None:
        if self.last_seen is None or (at - self.last_seen).total_seconds() >= self.every_s:
            self.update(tamper_view(image_bgr), at)
        return self.alarm

    def update(self, grey: np.ndarray, at: datetime) -> str | None:
        """Judge one small grey frame (``tamper_view``); returns the alarm in force."""
        if self.accept_requested:
            self.accept_requested = False
            self.recent_edges, self.alarm, self.disagreeing_since = None, None, None  # relearned just below
        features = view_features(grey)
        elapsed = 0.0 if self.last_seen is None else max(0.0, (at - self.last_seen).total_seconds())
        self.last_seen = at
        if self.recent_edges is None or self.recent_edges.shape != features.edges.shape:
            self.reference, self.recent_edges = None, features.edges  # a new camera or a new resolution: relearn
        else:
            self.recent_edges = _mix(self.recent_edges, features.edges, 1.0 - math.exp(-elapsed / RECENT_S))
        learning = self.reference is None or (at - self.learning_since).total_seconds() < LEARN_S
        condition = judge(features, self.recent_edges, None if learning else self.reference, self.check_turned)
        self._debounce(condition, at)
        if condition is None and self.alarm is None:
            self._learn(features, at, learning, elapsed)  # only normal frames: a covered view never becomes normal
        return self.alarm

    def _learn(self, features: ViewFeatures, at: datetime, learning: bool, elapsed: float) -> None:
        if self.reference is None:
            self.reference, self.learning_since, self.frames_learned = Reference.of(features), at, 1
        elif learning:
            self.frames_learned += 1
            self.reference = self.reference.blend(features, 1.0 / self.frames_learned)
        else:
            self.reference = self.reference.blend(features, 1.0 - math.exp(-elapsed / FOLLOW_S))

    def _debounce(self, condition: str | None, at: datetime) -> None:
        if (condition is None) == (self.alarm is None):
            self.disagreeing_since = None
            return
        self.disagreeing_since = self.disagreeing_since or at
        hold = self.raise_after_s if self.alarm is None else self.clear_after_s
        if (at - self.disagreeing_since).total_seconds() >= hold:
            self.alarm, self.disagreeing_since = condition, None
