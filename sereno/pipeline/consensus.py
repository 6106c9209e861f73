"""Multi-frame consensus: one plate read from the many frame reads of one tracked vehicle.

Reads of the same length are pooled; each position's character distributions (from the reads' candidates) are
averaged, weighted by each read's confidence, and the pooled matrix goes through the same format decoder as a single
read, so corrections are made (and recorded) on the combined evidence. Pure: no I/O, no models.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from sereno.domain import CharCandidate, PlateRead
from sereno.vision.plate_formats import AUTO, decode, probs_from_candidates

MIN_WEIGHT = 1e-3  # a read with confidence 0 still votes, barely
# Below this consensus confidence a reading is almost never right (a far, illegible plate): the sighting is kept,
# without plate text. Chosen on the crop validation splits, as cropped and shrunk to far-plate sizes
# (benchmarks/read_confidence.py, docs/video-pipeline.md): about 1 read in 80 below it is exact.
MIN_PLATE_CONFIDENCE = 0.2


def _weight(read: PlateRead) -> float:
    return max(read.confidence, MIN_WEIGHT) * max(read.frames, 1)


def _read_probs(read: PlateRead) -> np.ndarray:
    """The read's per-position distributions; a read without candidates counts as its text at its confidence."""
    if len(read.candidates) == len(read.text):
        return probs_from_candidates(read.candidates)
    per_char = max(read.confidence, MIN_WEIGHT) ** (1.0 / max(len(read.text), 1))
    return probs_from_candidates(tuple((CharCandidate(c, per_char),) for c in read.text))


def _region(reads: Sequence[PlateRead]) -> str:
    """The region most of the (weighted) reads matched, or auto when none matched a format."""
    votes: dict[str, float] = defaultdict(float)
    for read in reads:
        if read.region:
            votes[read.region] += _weight(read)
    return max(votes, key=votes.__getitem__) if votes else AUTO


def merge_reads(reads: Sequence[PlateRead]) -> PlateRead:
    """Combine the reads of one plate across frames. ``frames`` of the result is the number of frames merged.

    Reads whose length differs from the best-supported length are outvoted, not averaged in (a dropped or extra
    character shifts every position after it). Raises ValueError on an empty sequence.
    """
    usable = [r for r in reads if r.text]
    if not usable:
        raise ValueError("merge_reads needs at least one non-empty plate read")
    total_frames = sum(max(r.frames, 1) for r in reads)
    by_length: dict[int, list[PlateRead]] = defaultdict(list)
    for read in usable:
        by_length[len(read.text)].append(read)
    group = max(by_length.values(), key=lambda g: (sum(_weight(r) for r in g), len(g)))
    if len(group) == 1 and len(reads) == 1:
        return group[0]

    weights = np.array([_weight(r) for r in group])
    pooled = np.tensordot(weights / weights.sum(), np.stack([_read_probs(r) for r in group]), axes=1)
    merged = decode(pooled, _region(group))
    assert merged is not None  # pooled has len(text) >= 1 rows
    best_single = max(group, key=lambda r: r.confidence)
    return replace(merged, box=best_single.box, frames=total_frames)



def track_plate(reads: Sequence[PlateRead]) -> PlateRead | None:
    """The plate a track's reads agree on; None without reads or when the consensus is below
    ``MIN_PLATE_CONFIDENCE`` (the sighting then carries no plate text rather than a guess)."""
    if not any(r.text for r in reads):
        return None
    merged = merge_reads(reads)
    return merged if merged.confidence >= MIN_PLATE_CONFIDENCE else None
