"""Multi-object tracker: one track per passing object, so that one vehicle yields one sighting.

ByteTrack-style association, simplified for 5 fps analysis: each track predicts its box with a constant
velocity; confident detections are matched first, then weak ones (a weak box is often the same car partly hidden)
only to tracks left over; matching is greedy on IoU of the predicted and detected boxes, both enlarged
(``GATE_SCALE``) so that small, fast objects at a low frame rate still overlap from one frame to the next.

Plates are attached to the vehicle box that contains their centre; a plate outside every vehicle box (the object
detector missed the car) joins a vehicle track whose predicted box contains it, or else becomes a plate-only track
with the class "vehicle". The tracker also says where plates are still wanted (``regions``: vehicles not yet read,
plate-only tracks), so that the plate detector looks only there between whole-frame sweeps.

Memory is bounded: at most ``max_tracks`` live tracks and ``MAX_READS_PER_TRACK`` plate reads per track (the
weakest is dropped), and one retained frame per track (the best view, for the snapshot).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from sereno.domain import Box, Detection, Frame, PlateRead, Track
from sereno.geometry import area, center, contains_point, iou, scaled, shifted

VEHICLE_LABELS = frozenset({"car", "truck", "bus", "motorcycle", "bicycle"})
PLATED_LABELS = VEHICLE_LABELS - {"bicycle"}
# Pixels: a car (~1.8 m wide) narrower than this shows a 30 cm plate (Mexico, US) under 20x10 px, which reads right
# about 2% of the time (benchmarks/read_confidence.py); its plate is looked for only in the whole-frame sweeps.
MIN_PLATED_WIDTH = 120
PLATE_ONLY_LABEL = "vehicle"
HIGH_SCORE = 0.5
LOW_SCORE = 0.1
MATCH_IOU = 0.2
GATE_SCALE = 1.6
MAX_READS_PER_TRACK = 32
VELOCITY_SMOOTHING = 0.5
READS_ENOUGH = 4  # agreeing reads after which a track's plate is not read again ...
READ_ATTEMPTS = 8  # ... nor after this many attempts (unless it comes closer, see Tracker.claim_read)
CLOSER_AREA = 1.5
MIN_PLATE_CHARS = 4
REGION_MARGIN = 1.3  # a track's predicted box, scaled this much, is where its plate is looked for ...
PLATE_ONLY_REGION = 4.0  # ... and a plate-only track's plate box scaled this much (about a car's front)


@dataclass(frozen=True, slots=True)
class PlateObservation:
    """A plate found in a frame, with its reading (None when unreadable)."""

    detection: Detection
    read: PlateRead | None


@dataclass(slots=True)
class TrackState:
    """A live track plus what the tracker needs beyond the domain ``Track``: motion and the best view."""

    track: Track
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per second, between detections, smoothed
    detected_at: datetime | None = None  # when ``track.box`` was last detected (not inferred from a plate)
    read_attempts: int = 0
    largest_read_area: float = 0.0  # of the plate boxes read so far
    best_view_score: float = -1.0
    best_frame: np.ndarray | None = None
    best_box: Box | None = None
    best_plate_box: Box | None = None
    best_at: datetime | None = None
    plate_only: bool = False
    labels: dict[str, int] = field(default_factory=dict)

    def predicted(self, at: datetime) -> Box:
        """Where the object should be at ``at``: its last detected box moved at its velocity."""
        dt = (at - (self.detected_at or self.track.last_seen)).total_seconds()
        return shifted(self.track.box, self.velocity[0] * dt, self.velocity[1] * dt)


def view_score(box: Box, plate_box: Box | None) -> float:
    """How good a view is for the evidence: any view with the plate beats one without; then the bigger the plate
    (closer, sharper), or the bigger the object when no plate is seen."""
    return 1e9 + area(plate_box) if plate_box is not None else area(box)


def add_read(reads: list[PlateRead], read: PlateRead) -> None:
    """Keep at most ``MAX_READS_PER_TRACK`` reads, dropping the least confident. Readings shorter than
    ``MIN_PLATE_CHARS`` (a sticker, a fragment of a far plate) are not evidence of a plate and are not kept."""
    if len(read.text) < MIN_PLATE_CHARS:
        return
    reads.append(read)
    if len(reads) > MAX_READS_PER_TRACK:
        reads.remove(min(reads, key=lambda r: r.confidence))


def plate_worth_reading(label: str, box: Box) -> bool:
    """A vehicle that carries a plate and is near enough for it to be legible."""
    return label in PLATED_LABELS and box[2] - box[0] >= MIN_PLATED_WIDTH


def read_enough(state: TrackState) -> bool:
    """``READS_ENOUGH`` agreeing reads, or ``READ_ATTEMPTS`` attempts (an illegible plate stays illegible)."""
    texts = Counter(r.text for r in state.track.plate_reads)
    return (bool(texts) and texts.most_common(1)[0][1] >= READS_ENOUGH) or state.read_attempts >= READ_ATTEMPTS


def greedy_match(boxes_a: Sequence[Box], boxes_b: Sequence[Box], threshold: float) -> list[tuple[int, int]]:
    """Pairs (i, j) by descending gated IoU, each index used once."""
    pairs = [(iou(scaled(a, GATE_SCALE), scaled(b, GATE_SCALE)), i, j)
             for i, a in enumerate(boxes_a) for j, b in enumerate(boxes_b)]
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches = []
    for score, i, j in sorted(pairs, reverse=True):
        if score < threshold:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            matches.append((i, j))
    return matches


def owner_of(plate: Box, boxes: Sequence[Box]) -> int | None:
    """Index of the smallest box containing the plate's centre."""
    point = center(plate)
    inside = [i for i, b in enumerate(boxes) if contains_point(b, point)]
    return min(inside, key=lambda i: area(boxes[i])) if inside else None


class Tracker:
    def __init__(self, camera_id: str, timeout_s: float = 2.0, min_hits: int = 2, max_tracks: int = 64) -> None:
        self.camera_id = camera_id
        self.timeout_s = timeout_s
        self.min_hits = min_hits
        self.max_tracks = max_tracks
        self.tracks: list[TrackState] = []
        self.next_id = 1

    def update(self, frame: Frame, objects: Sequence[Detection], plates: Sequence[PlateObservation]) -> list[TrackState]:
        """Feed one analysed frame's detections; returns the tracks that ended (confirmed ones only)."""
        now = frame.timestamp
        # Tracks unseen for too long end BEFORE matching: after a gap (a looping clip's pause, a stream that
        # stalled) a new car where the old one was last seen is a new track, not the old one resumed.
        ended = self._expire(now)
        vehicles = [d for d in objects if d.score >= LOW_SCORE]
        vehicle_indices = [i for i, d in enumerate(vehicles) if d.label in VEHICLE_LABELS]
        plates_by_vehicle: dict[int, list[PlateObservation]] = {}
        loose: list[PlateObservation] = []
        for plate in plates:
            owner = owner_of(plate.detection.box, [vehicles[i].box for i in vehicle_indices])
            if owner is None:
                loose.append(plate)
            else:
                plates_by_vehicle.setdefault(vehicle_indices[owner], []).append(plate)

        object_tracks = [t for t in self.tracks if not t.plate_only]
        matched_tracks: set[int] = set()
        unmatched = list(range(len(vehicles)))
        for minimum in (HIGH_SCORE, LOW_SCORE):
            candidates = [j for j in unmatched if vehicles[j].score >= minimum]
            free = [t for t in object_tracks if id(t) not in matched_tracks]
            for i, j in greedy_match([t.predicted(now) for t in free], [vehicles[j].box for j in candidates],
                                     MATCH_IOU):
                state, detection = free[i], vehicles[candidates[j]]
                self._observe(state, frame, detection.box, detection.label, plates_by_vehicle.get(candidates[j], []))
                matched_tracks.add(id(state))
                unmatched.remove(candidates[j])
        for j in unmatched:
            if vehicles[j].score >= HIGH_SCORE:
                state = self._start(frame, vehicles[j].box, vehicles[j].label, plate_only=False)
                self._observe(state, frame, vehicles[j].box, vehicles[j].label, plates_by_vehicle.get(j, []),
                              first=True)
        self._place_loose_plates(frame, loose, matched_tracks)
        self._absorb_plate_tracks(now)
        return ended + self._expire(now)

    def _absorb_plate_tracks(self, now: datetime) -> None:
        """A plate-only track started before its vehicle was detected (the object detector runs on a subset of
        frames) is folded into the vehicle track that now contains it: one car, one sighting."""
        vehicles = [t for t in self.tracks if not t.plate_only and t.track.label in VEHICLE_LABELS
                    and t.detected_at == now]
        for orphan in [t for t in self.tracks if t.plate_only]:
            point = center(orphan.predicted(now))
            hosts = [v for v in vehicles if contains_point(v.track.box, point)]
            if not hosts:
                continue
            host = min(hosts, key=lambda t: area(t.track.box))
            for read in orphan.track.plate_reads:
                add_read(host.track.plate_reads, read)
            host.track.hits += orphan.track.hits
            host.track.first_seen = min(host.track.first_seen, orphan.track.first_seen)
            host.read_attempts += orphan.read_attempts
            host.largest_read_area = max(host.largest_read_area, orphan.largest_read_area)
            if orphan.best_view_score > host.best_view_score:
                host.best_view_score, host.best_frame = orphan.best_view_score, orphan.best_frame
                host.best_box, host.best_plate_box, host.best_at = orphan.best_box, orphan.best_plate_box, \
                    orphan.best_at
            self.tracks.remove(orphan)

    def _place_loose_plates(self, frame: Frame, loose: list[PlateObservation], matched: set[int]) -> None:
        now = frame.timestamp
        for plate in loose:
            point = center(plate.detection.box)
            hosts = [t for t in self.tracks if not t.plate_only and id(t) not in matched
                     and contains_point(t.predicted(now), point)]
            if hosts:
                host = min(hosts, key=lambda t: area(t.track.box))
                self._observe(host, frame, host.predicted(now), host.track.label, [plate], detected=False)
                matched.add(id(host))
                continue
            free = [t for t in self.tracks if t.plate_only and id(t) not in matched]
            match = greedy_match([t.predicted(now) for t in free], [plate.detection.box], MATCH_IOU)
            state = free[match[0][0]] if match else self._start(frame, plate.detection.box, PLATE_ONLY_LABEL,
                                                                 plate_only=True)
            self._observe(state, frame, plate.detection.box, PLATE_ONLY_LABEL, [plate], first=not match)
            matched.add(id(state))

    def regions(self, at: datetime) -> list[Box]:
        """Where to look for plates between object detections: where the live vehicle tracks that still want
        plate reads should be at ``at``, with a margin for the prediction's error, and around every plate-only
        track's plate (about a car's front; nothing else keeps such a track alive). Left out: a vehicle whose plate
        is read (or illegible) or too far to read (``plate_worth_reading``), and a person."""
        return [scaled(t.predicted(at), PLATE_ONLY_REGION if t.plate_only else REGION_MARGIN) for t in self.tracks
                if t.plate_only or (plate_worth_reading(t.track.label, t.track.box) and not read_enough(t))]

    def claim_read(self, plate: Box, at: datetime) -> bool:
        """Whether to read a plate box now (reading costs as much as detecting); counts the attempt against the
        track the plate belongs to. No, when that track already has ``READS_ENOUGH`` agreeing reads or
        ``READ_ATTEMPTS`` attempts (an illegible plate stays illegible), unless the plate now looks ``CLOSER_AREA``
        times bigger than at any attempt so far (a closer view reads better)."""
        point = center(plate)
        owner = next((t for t in self.tracks if contains_point(
            scaled(t.predicted(at), GATE_SCALE) if t.plate_only else t.predicted(at), point)), None)
        if owner is None:
            return True
        if read_enough(owner) and area(plate) < CLOSER_AREA * owner.largest_read_area:
            return False
        owner.read_attempts += 1
        owner.largest_read_area = max(owner.largest_read_area, area(plate))
        return True

    def _start(self, frame: Frame, box: Box, label: str, plate_only: bool) -> TrackState:
        if len(self.tracks) >= self.max_tracks:  # bounded memory: drop the stalest track
            self.tracks.remove(min(self.tracks, key=lambda t: t.track.last_seen))
        track = Track(self.next_id, self.camera_id, label, box, frame.timestamp, frame.timestamp, hits=0)
        self.next_id += 1
        state = TrackState(track=track, plate_only=plate_only)
        self.tracks.append(state)
        return state

    def _observe(self, state: TrackState, frame: Frame, box: Box, label: str, plates: Sequence[PlateObservation],
                 first: bool = False, detected: bool = True) -> None:
        """Record a sighting of the track. ``detected`` False: seen only through its plate, at ``box`` predicted."""
        track = state.track
        if detected:
            dt = 0.0 if first or state.detected_at is None else (frame.timestamp - state.detected_at).total_seconds()
            if dt > 0:
                (ox, oy), (nx, ny) = center(track.box), center(box)
                measured = ((nx - ox) / dt, (ny - oy) / dt)
                # Detector boxes jitter (and grow as a car approaches): smooth the estimate.
                state.velocity = measured if track.hits == 1 else tuple(
                    VELOCITY_SMOOTHING * m + (1 - VELOCITY_SMOOTHING) * v for m, v in zip(measured, state.velocity))
            track.box, state.detected_at = box, frame.timestamp
        track.last_seen = frame.timestamp
        track.hits += 1
        state.labels[label] = state.labels.get(label, 0) + 1
        track.label = max(state.labels, key=lambda k: state.labels[k])
        for plate in plates:
            self._record_plate(state, frame, box, plate)
        if not plates:
            self._consider_view(state, frame, box, None)

    def _record_plate(self, state: TrackState, frame: Frame, box: Box, plate: PlateObservation) -> None:
        if plate.read is not None:
            add_read(state.track.plate_reads, plate.read)
        self._consider_view(state, frame, box, plate.detection.box)

    @staticmethod
    def _consider_view(state: TrackState, frame: Frame, box: Box, plate_box: Box | None) -> None:
        score = view_score(box, plate_box)
        if score > state.best_view_score:
            state.best_view_score = score
            state.best_frame = frame.image  # a reference: every decoded frame is a fresh array
            state.best_box, state.best_plate_box, state.best_at = box, plate_box, frame.timestamp

    def _expire(self, now: datetime) -> list[TrackState]:
        ended = [t for t in self.tracks if (now - t.track.last_seen).total_seconds() > self.timeout_s]
        return self._finish(ended)

    def flush(self) -> list[TrackState]:
        """End every live track (end of stream, shutdown)."""
        return self._finish(list(self.tracks))

    def _finish(self, ended: list[TrackState]) -> list[TrackState]:
        for state in ended:
            self.tracks.remove(state)
        return [t for t in ended if t.track.hits >= self.min_hits or t.track.plate_reads]
