"""Regional plate formats and the decoder that reads a plate from per-position character probabilities.

A recogniser (our PlateOCR or PP-OCRv4) gives, for each character position, a probability for every character in
``PLATE_CHARS``. The decoder picks, for each region and format, the best string the format allows (letter slots take
letters, digit slots digits), scores it by log-probability + log prior, and keeps the best. Every character it changes
from the recogniser's own first choice is recorded as a ``Correction``, never hidden. When no format fits well, the raw
reading comes back with ``region=None``. A reading one character too long may also fit a format with one symbol
dropped (separators, emblems and stickers get read as characters); the drop is recorded as a correction too. A
reading one character too short may fit a format with one character inserted, when the recogniser says where it saw
one faintly (``Reading.gaps``: a CTC model lets a blurred character sink under the blank); the insertion is recorded
as a correction and costs the log-probability that a character is there at all. Correction positions index
``PlateRead.raw_text`` (an insertion: the position it goes before); candidates index ``PlateRead.text``.

Pattern symbols: ``@`` a letter, ``#`` a digit, ``*`` either (free-form plates, as many US states issue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import NamedTuple

import numpy as np

from sereno.domain import CharCandidate, Correction, PlateRead
from sereno.plates import AUTO, CONFUSION_COSTS, PLATE_CHARS, PLATE_REGIONS, check_region
from sereno.plates import UnknownRegion as UnknownRegion  # re-exported: the decoder's callers catch it

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
REGIONS = PLATE_REGIONS

_INDEX = {c: i for i, c in enumerate(PLATE_CHARS)}
_SLOT_MASKS = {
    "@": np.array([c in LETTERS for c in PLATE_CHARS]),
    "#": np.array([c in DIGITS for c in PLATE_CHARS]),
    "*": np.ones(len(PLATE_CHARS), dtype=bool),
}
_FLOOR = 1e-6  # probabilities are clipped here so one impossible slot does not give -inf
LOOKALIKE_WEIGHT = 0.3  # P(read as a look-alike | true char) relative to reading it right, scaled by 1 - cost
SURE_CHAR = 0.8  # above this probability a character's look-alikes lose support as its doubt shrinks
FONT_TWINS = (frozenset("I1"), frozenset("O0"))  # the same stroke in many plate typefaces
MIN_CORRECTION_PROB = 0.02  # a non-look-alike change needs at least this much support from the recogniser
NO_FORMAT_PRIOR = 0.01  # prior of a plate that follows none of the known formats (below US free-form)
CANDIDATES_PER_POSITION = 3
MIN_LENGTH_AFTER_DROP = 5  # readings are only shortened to plates of at least this many characters
MIN_CANDIDATE_PROB = 0.01


def _lookalike_matrix(pairs) -> np.ndarray:
    """K[a, c]: how much a reading of ``a`` supports the true character ``c``, for the look-alike ``pairs``."""
    matrix = np.zeros((len(PLATE_CHARS), len(PLATE_CHARS)))
    for pair in pairs:
        a, c = sorted(pair)
        matrix[_INDEX[a], _INDEX[c]] = matrix[_INDEX[c], _INDEX[a]] = LOOKALIKE_WEIGHT * (1.0 - CONFUSION_COSTS[pair])
    return matrix


_TWIN_LOOKALIKE = _lookalike_matrix(p for p in CONFUSION_COSTS if p in FONT_TWINS)
_SHAPE_LOOKALIKE = _lookalike_matrix(p for p in CONFUSION_COSTS if p not in FONT_TWINS)


def with_lookalikes(probs: np.ndarray) -> np.ndarray:
    """Per position, each character's support: its own probability, or a look-alike's probability scaled by how
    often recognisers confuse the two (an unsure 'B' still leaves room for an '8' where a format needs a digit).

    A sure reading leaves little room: above ``SURE_CHAR`` a look-alike's share shrinks with the reading's doubt
    (1 - p). On held-out crops, a character read at 0.99 or more was a look-alike of the truth about once in two
    thousand, one read at 0.5-0.8 about one time in six; a flat share let a format's prior turn a sharp '3' into a
    'B' (a Romanian V304HRE read VB04HRE, the British current series). ``FONT_TWINS`` keep the flat share: their
    glyphs are the same stroke in many plate typefaces, so no certainty tells them apart (the British plate LS15EBC
    reads its 1 as I at 0.9999; the price: a British prefix plate A123BCD still reads AI23BCD)."""
    doubt = np.minimum(1.0, (1.0 - probs) / (1.0 - SURE_CHAR))
    weights = _TWIN_LOOKALIKE[np.newaxis] + doubt[:, :, np.newaxis] * _SHAPE_LOOKALIKE[np.newaxis]
    return np.maximum(probs, (probs[:, :, np.newaxis] * weights).max(axis=1))


@dataclass(frozen=True, slots=True)
class PlateFormat:
    region: str
    pattern: str
    prior: float  # share of this format among the region's plates (rough, from what is issued in practice)
    name: str


def _german_series() -> list[tuple[str, float, str]]:
    """German plates: district 1-3 letters, 1-2 letters, 1-4 digits, at most 8 characters."""
    patterns = sorted({
        "@" * d + "@" * m + "#" * n
        for d, m, n in product((1, 2, 3), (1, 2), (1, 2, 3, 4))
        if d + m + n <= 8
    })
    return [(p, 0.25 / len(patterns), "DE") for p in patterns]


# European series: (pattern, rough share among European plates, where it is issued). Shares follow each country's
# fleet. Series of smaller fleets and older series still on the road are there so that their plates read as what they
# are, not "corrected" into a look-alike series of a bigger country. A series whose pattern would be a format of its
# own with a share under NO_FORMAT_PRIOR is left out: a reading that fits no format already beats it (Swiss
# ZH123456, Irish 131D1234, old French 123ABC75). Some listed here under that share (@@####, @@@@###) add to a German
# pattern's share.
EUROPEAN_SERIES: tuple[tuple[str, float, str], ...] = (
    ("@@##@@@", 0.15, "UK; RO"),
    ("@@###@@", 0.15, "FR (SIV), IT, SK, RS; AT"),
    ("####@@@", 0.10, "ES"),
    ("@@#####", 0.04, "PL (two-letter district); DK, NO; CH"),
    ("@@@####", 0.03, "PL (three-letter district); GR"),
    ("@@@##@@", 0.03, "PL (three-letter district, mixed)"),
    ("##@@@#", 0.02, "NL sidecode 7"),
    ("#@@@##", 0.02, "NL sidecode 8"),
    ("@@###@", 0.01, "NL sidecode 9; HR"),
    ("@###@@", 0.01, "NL sidecode 10"),
    ("#@@@###", 0.03, "BE"),
    ("@@##@@", 0.02, "PT (2020)"),
    ("##@@##", 0.01, "PT (2005)"),
    ("#@#####", 0.01, "CZ"),
    ("@@@###", 0.02, "SE, FI, HU, LT; BE (before 2008)"),
    ("@###@@@", 0.01, "RO; UK prefix (1983-2001)"),
    ("@@####@@", 0.01, "BG, HR, RS; ES provincial (before 2000)"),
    ("@@####", 0.008, "CH, LV; PT (before 1992)"),
    ("@@@@###", 0.004, "HU (since 2022)"),
    *_german_series(),
)


def _merged(region: str, series) -> list[PlateFormat]:
    """One format per pattern: where several series share a pattern, their shares add up and their names join."""
    shares: dict[str, float] = {}
    names: dict[str, list[str]] = {}
    for pattern, share, name in series:
        shares[pattern] = shares.get(pattern, 0.0) + share
        names.setdefault(pattern, []).append(name)
    return [PlateFormat(region, p, shares[p], "; ".join(dict.fromkeys(names[p]))) for p in shares]


# Priors within a region add up to at most 1; the rest is left to plates outside these formats.
FORMATS: dict[str, list[PlateFormat]] = {
    "mx": [
        PlateFormat("mx", "@@@####", 0.27, "private car, older state series (ABC-1234)"),
        PlateFormat("mx", "@@@###@", 0.23, "private car, current state series (ABC-123-D)"),
        PlateFormat("mx", "@##@@@", 0.08, "private car, state series (A12-BCD)"),
        PlateFormat("mx", "@@#####", 0.08, "light truck / state series (AB-123-45)"),
        PlateFormat("mx", "####@@", 0.06, "trailer / state series (1234-AB)"),
        PlateFormat("mx", "###@@@", 0.05, "private car, older series (123-ABC)"),
        PlateFormat("mx", "@####@", 0.04, "taxi / public service (A-1234-B)"),
        PlateFormat("mx", "##@@#@", 0.04, "federal public service, cargo (12-AB-3C)"),
        PlateFormat("mx", "###@@#", 0.03, "federal public service, passenger (123-AB-4)"),
        PlateFormat("mx", "@@###", 0.03, "motorcycle (AB-123, two lines)"),
        PlateFormat("mx", "###@@", 0.02, "motorcycle (123-AB, two lines)"),
        PlateFormat("mx", "@#####", 0.01, "taxi (A-12345)"),
        PlateFormat("mx", "@@####", 0.01, "public service (AB-1234)"),
        PlateFormat("mx", "##@@@##", 0.01, "public service (12-ABC-34)"),
        PlateFormat("mx", "####@@@", 0.01, "state series (12-34-ABC)"),
        PlateFormat("mx", "##@@@", 0.01, "motorcycle (12-ABC, two lines)"),
    ],
    "us": [
        PlateFormat("us", "@@@####", 0.20, "ABC-1234 (NY, TX, PA, GA, MI, ...)"),
        PlateFormat("us", "#@@@###", 0.15, "1ABC234 (CA)"),
        PlateFormat("us", "@@@###", 0.12, "ABC-123 (older series, many states)"),
        PlateFormat("us", "###@@@", 0.06, "123-ABC (many states)"),
        PlateFormat("us", "@@@@##", 0.04, "ABCD12 (FL)"),
        PlateFormat("us", "####@@", 0.03, "1234-AB"),
        PlateFormat("us", "##@@@#", 0.03, "12A-BC3 (IL, ...)"),
        # Free-form: vanity and many state series mix letters and digits anywhere. Weak prior per length.
        *(PlateFormat("us", "*" * n, 0.05, f"free-form, {n} characters") for n in range(5, 9)),
    ],
    "eu": _merged("eu", EUROPEAN_SERIES),
    "br": [
        PlateFormat("br", "@@@####", 0.55, "old series (ABC-1234)"),
        PlateFormat("br", "@@@#@##", 0.40, "Mercosur (ABC1D23)"),
    ],
    "ar": [
        PlateFormat("ar", "@@@###", 0.45, "old series (ABC 123)"),
        PlateFormat("ar", "@@###@@", 0.50, "Mercosur (AB 123 CD)"),
    ],
}

# How likely each region is when the caller says "auto": a Mexican border city sees mostly Mexican and US plates.
REGION_PRIORS = {"mx": 0.40, "us": 0.40, "eu": 0.05, "br": 0.075, "ar": 0.075}


def matches(text: str, pattern: str) -> bool:
    """True when ``text`` follows ``pattern`` (``@`` letter, ``#`` digit, ``*`` either)."""
    return len(text) == len(pattern) and all(
        _SLOT_MASKS[slot][_INDEX[c]] if c in _INDEX else False for c, slot in zip(text, pattern)
    )


def formats_for(region: str) -> list[tuple[PlateFormat, float]]:
    """The formats to try, each with its log prior (region prior included for ``auto``)."""
    code = check_region(region)
    if code != AUTO:
        return [(f, math.log(f.prior)) for f in FORMATS[code]]
    return [(f, math.log(f.prior * REGION_PRIORS[r])) for r, fmts in FORMATS.items() for f in fmts]


class Reading(NamedTuple):
    """One reading of a plate crop by a recogniser: ``probs`` (positions, len(PLATE_CHARS)), one probability row per
    character; ``gaps`` optionally (positions + 1, len(PLATE_CHARS)): for each gap before, between and after those
    characters, the weight the recogniser gave to a character there (rows sum to at most 1)."""

    probs: np.ndarray
    gaps: np.ndarray | None = None


def _candidates(probs: np.ndarray) -> tuple[tuple[CharCandidate, ...], ...]:
    order = np.argsort(-probs, axis=1)[:, :CANDIDATES_PER_POSITION]
    return tuple(
        tuple(
            CharCandidate(PLATE_CHARS[j], round(float(row[j]), 4))
            for rank, j in enumerate(idx)
            if rank == 0 or row[j] >= MIN_CANDIDATE_PROB
        )
        for row, idx in zip(probs, order)
    )


def _corrections(raw: list[str], chosen: str, fmt: PlateFormat, raw_positions: list[int]) -> list[Correction]:
    """The changes from ``raw`` (the recogniser's first choices; "" where a character is inserted) to ``chosen``."""
    found = []
    for pos, (was, now) in enumerate(zip(raw, chosen)):
        if was == now:
            continue
        look_alike = frozenset((was, now)) in CONFUSION_COSTS
        kind = "a digit" if fmt.pattern[pos] == "#" else "a letter"
        why = "inserted: seen faintly" if not was else "look-alike" if look_alike else "second choice"
        found.append(Correction(raw_positions[pos], was, now, f"{fmt.region}:{fmt.pattern} expects {kind} ({why})"))
    return found


# P[a, c]: True when ``a`` and ``c`` are look-alikes; one more row, all False, for an inserted character.
_LOOKALIKE_PAIR = np.vstack([(_TWIN_LOOKALIKE + _SHAPE_LOOKALIKE) > 0, np.zeros((1, len(PLATE_CHARS)), dtype=bool)])


@dataclass(frozen=True, slots=True)
class _Formats:
    """The formats of one length that a region tries, as arrays: every format is scored in one step."""

    formats: tuple[PlateFormat, ...]
    masks: np.ndarray  # (formats, length, len(PLATE_CHARS)): which characters each slot allows
    log_priors: np.ndarray  # (formats,)


@lru_cache(maxsize=None)
def _formats_by_length(region: str) -> dict[int, _Formats]:
    """``formats_for(region)`` grouped by length, built once per region: ``FORMATS`` and ``REGION_PRIORS`` are
    constants (a change to them needs ``_formats_by_length.cache_clear()``)."""
    by_length: dict[int, list[tuple[PlateFormat, float]]] = {}
    for fmt, log_prior in formats_for(region):
        by_length.setdefault(len(fmt.pattern), []).append((fmt, log_prior))
    groups = {}
    for length, group in by_length.items():
        masks = np.stack([np.stack([_SLOT_MASKS[s] for s in f.pattern]) for f, _ in group])
        log_priors = np.array([log_prior for _, log_prior in group])
        masks.setflags(write=False)
        log_priors.setflags(write=False)
        groups[length] = _Formats(tuple(f for f, _ in group), masks, log_priors)
    return groups


@dataclass(frozen=True, slots=True)
class _Variant:
    """The reading as the recogniser gave it, or changed by one symbol dropped or one character inserted."""

    probs: np.ndarray  # per position, the recogniser's probabilities (an inserted one: renormalised to sum to 1)
    support: np.ndarray  # ``with_lookalikes(probs)``
    raw: list[str]  # per position, the recogniser's first choice ("" where a character is inserted)
    positions: list[int]  # per position, its index in the raw reading (an inserted one: the index it goes before)
    logp: float  # log-probability of the change: the dropped symbol is spurious, or a character is in the gap
    corrections: list[Correction]  # the drop, when there is one


@dataclass(frozen=True, slots=True)
class _Fit:
    score: float  # log-probability + log prior (+ log-probability of the drop or insertion)
    logp: float  # log-probability of the characters read (+ that of the drop or insertion)
    text: str
    fmt: PlateFormat
    probs: np.ndarray  # the recogniser's probabilities of the characters read
    corrections: list[Correction]


def _variants(probs: np.ndarray, raw: str, gaps: np.ndarray | None) -> list[_Variant]:
    """The reading itself; with one symbol dropped (a separator, emblem or sticker read as a character), each with
    the log-probability that the dropped symbol is spurious; and with one character inserted in a gap where the
    recogniser put at least ``MIN_CORRECTION_PROB`` on one, with the log-probability that it is there."""
    n = len(raw)
    support = with_lookalikes(probs)  # row by row, so a variant's support is these rows (and the inserted one)
    variants = [_Variant(probs, support, list(raw), list(range(n)), 0.0, [])]
    if n > MIN_LENGTH_AFTER_DROP:
        for pos in range(n):
            spurious = max(1.0 - float(probs[pos].max()), _FLOOR)
            dropped = Correction(pos, raw[pos], "", "dropped: not a plate character in any matching format")
            kept = [i for i in range(n) if i != pos]
            variants.append(_Variant(probs[kept], support[kept], [raw[i] for i in kept], kept, math.log(spurious),
                                     [dropped]))
    if gaps is not None:
        for pos, gap in enumerate(gaps):
            present = float(gap.sum())
            if present >= MIN_CORRECTION_PROB:
                row = (gap / present)[np.newaxis]
                variants.append(_Variant(np.concatenate((probs[:pos], row, probs[pos:])),
                                         np.concatenate((support[:pos], with_lookalikes(row), support[pos:])),
                                         [*raw[:pos], "", *raw[pos:]], [*range(pos), pos, *range(pos, n)],
                                         math.log(present), []))
    return variants


def _best_fit(probs: np.ndarray, raw: str, region: str, gaps: np.ndarray | None = None) -> _Fit | None:
    """The best format fit over every variant of the reading: for each format, the most probable string it allows
    (letter slots take letters, digit slots digits) scored by log-probability + log prior; a fit counts only when
    each change from the reading is a look-alike or has at least ``MIN_CORRECTION_PROB`` support."""
    by_length = _formats_by_length(check_region(region))
    best = None
    for variant in _variants(probs, raw, gaps):
        group = by_length.get(len(variant.raw))
        if group is None:
            continue
        masked = np.where(group.masks, variant.support[np.newaxis], 0.0)  # (formats, length, chars)
        chosen = masked.argmax(axis=2)
        slots = np.arange(chosen.shape[1])
        picked = masked[np.arange(len(chosen))[:, np.newaxis], slots, chosen]
        logp = np.log(np.maximum(picked, _FLOOR)).sum(axis=1)
        read = np.array([_INDEX[c] if c else len(PLATE_CHARS) for c in variant.raw])
        believable = ((chosen == read) | _LOOKALIKE_PAIR[read, chosen]
                      | (variant.support[slots, chosen] >= MIN_CORRECTION_PROB))
        scores = np.where(believable.all(axis=1), logp + variant.logp + group.log_priors, -np.inf)
        i = int(scores.argmax())
        if scores[i] > -np.inf and (best is None or scores[i] > best[0]):
            best = (float(scores[i]), float(logp[i] + variant.logp), variant, group.formats[i], chosen[i])
    if best is None:
        return None
    score, logp, variant, fmt, chosen = best
    text = "".join(PLATE_CHARS[j] for j in chosen)
    corrections = sorted(variant.corrections + _corrections(variant.raw, text, fmt, variant.positions),
                         key=lambda c: c.position)
    return _Fit(score, logp, text, fmt, variant.probs, corrections)


def decode_scored(probs: np.ndarray, region: str = AUTO,
                  gaps: np.ndarray | None = None) -> tuple[float, PlateRead] | None:
    """``decode`` plus the reading's score (log-probability + log prior), to choose among alternative readings of
    one plate (e.g. the whole crop against one text row)."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(PLATE_CHARS):
        raise ValueError(f"expected a (positions, {len(PLATE_CHARS)}) probability matrix, got shape {probs.shape}")
    if gaps is not None:
        gaps = np.asarray(gaps, dtype=np.float64)
        if gaps.shape != (len(probs) + 1, len(PLATE_CHARS)):
            raise ValueError(f"expected ({len(probs) + 1}, {len(PLATE_CHARS)}) gap rows for {len(probs)} positions, "
                             f"got shape {gaps.shape}")
    if probs.shape[0] == 0:
        return None
    raw_idx = probs.argmax(axis=1)
    raw = "".join(PLATE_CHARS[j] for j in raw_idx)
    raw_logp = float(np.log(np.maximum(probs[np.arange(len(raw_idx)), raw_idx], _FLOOR)).sum())

    fit = _best_fit(probs, raw, region, gaps)
    no_format_score = raw_logp + math.log(NO_FORMAT_PRIOR)
    if fit is None or fit.score < no_format_score:
        read = PlateRead(text=raw, confidence=round(math.exp(raw_logp), 4), raw_text=raw, candidates=_candidates(probs))
        return no_format_score, read
    read = PlateRead(
        text=fit.text,
        confidence=round(math.exp(fit.logp), 4),
        raw_text=raw,
        region=fit.fmt.region,
        pattern=fit.fmt.pattern,
        candidates=_candidates(fit.probs),
        corrections=tuple(fit.corrections),
    )
    return fit.score, read


def decode(probs: np.ndarray, region: str = AUTO, gaps: np.ndarray | None = None) -> PlateRead | None:
    """Read a plate from a (positions, len(PLATE_CHARS)) probability matrix, rows summing to ~1 (and optionally the
    recogniser's ``gaps``, see ``Reading``).

    Confidence is the product of the chosen characters' probabilities. Returns None when there is nothing to read
    (no positions). ``box`` and ``frames`` are left to the caller.
    """
    scored = decode_scored(probs, region, gaps)
    return scored[1] if scored else None


def probs_from_candidates(candidates: tuple[tuple[CharCandidate, ...], ...]) -> np.ndarray:
    """Rebuild a probability matrix from stored top-k candidates; the unlisted mass is spread evenly."""
    matrix = np.zeros((len(candidates), len(PLATE_CHARS)))
    for pos, cands in enumerate(candidates):
        listed = 0.0
        for cand in cands:
            if cand.char in _INDEX:
                matrix[pos, _INDEX[cand.char]] += cand.prob
                listed += cand.prob
        rest = max(0.0, 1.0 - listed)
        unlisted = matrix[pos] == 0
        if unlisted.any():
            matrix[pos, unlisted] = rest / unlisted.sum()
    return matrix / matrix.sum(axis=1, keepdims=True)
