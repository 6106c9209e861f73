"""Plate text basics shared by vision (correction), intel (fuzzy search, hotlist matching) and the store.

Pure functions only. The confusion table lists the look-alike characters that plate readers mix up; the cost of
substituting one for the other is low, which makes a misread "8" for "B" cheap but still recorded as such.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# Pairs that OCR (and people) confuse on plates, with the substitution cost (1.0 = unrelated characters).
CONFUSION_COSTS: dict[frozenset[str], float] = {
    frozenset("O0"): 0.2, frozenset("D0"): 0.3, frozenset("Q0"): 0.3, frozenset("OD"): 0.3, frozenset("OQ"): 0.3,
    frozenset("I1"): 0.2, frozenset("L1"): 0.4, frozenset("T1"): 0.5, frozenset("IL"): 0.5, frozenset("J1"): 0.5,
    frozenset("B8"): 0.2, frozenset("S5"): 0.2, frozenset("Z2"): 0.2, frozenset("G6"): 0.3, frozenset("A4"): 0.4,
    frozenset("T7"): 0.4, frozenset("37"): 0.5, frozenset("38"): 0.5, frozenset("B3"): 0.5, frozenset("E3"): 0.5,
    frozenset("MW"): 0.4, frozenset("MN"): 0.5, frozenset("NH"): 0.5, frozenset("UV"): 0.4, frozenset("KX"): 0.5,
    frozenset("PR"): 0.5, frozenset("CG"): 0.5, frozenset("56"): 0.5, frozenset("69"): 0.5, frozenset("89"): 0.5,
    frozenset("G0"): 0.5, frozenset("C0"): 0.5, frozenset("U0"): 0.5, frozenset("Y7"): 0.5, frozenset("Z7"): 0.5,
}
INSERT_DELETE_COST = 1.0

# Canonical form: each character replaced by one representative of its tightest look-alike class (cost <= 0.3).
# Two plates with the same key differ only by cheap confusions, so an index on the key finds them fast.
_KEY_MAP = {"O": "0", "D": "0", "Q": "0", "I": "1", "B": "8", "S": "5", "Z": "2", "G": "6"}

_NOT_PLATE_CHAR = re.compile(r"[^A-Z0-9]")

# Plate regions with their own formats (sereno.vision.plate_formats); a camera or a reading expects one, or "auto".
PLATE_REGIONS = ("mx", "us", "eu", "br", "ar")
AUTO = "auto"


class UnknownRegion(ValueError):
    pass


def check_region(region: str) -> str:
    """The region code in lower case, or UnknownRegion naming the accepted ones."""
    code = region.strip().lower()
    if code != AUTO and code not in PLATE_REGIONS:
        raise UnknownRegion(f"unknown plate region {region!r}: use one of {', '.join((AUTO, *PLATE_REGIONS))}")
    return code


def normalize_plate(text: str) -> str:
    """Upper-case ASCII letters and digits only: 'abc-12 3' -> 'ABC123', 'ÑAÉ' -> 'NAE'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_PLATE_CHAR.sub("", folded.upper())


def confusion_key(plate: str) -> str:
    """Collapse look-alike characters: confusion_key('B0S1') == confusion_key('8OS1') == '8051'."""
    return "".join(_KEY_MAP.get(c, c) for c in normalize_plate(plate))


def substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return CONFUSION_COSTS.get(frozenset((a, b)), 1.0)


@lru_cache(maxsize=65536)
def plate_distance(a: str, b: str) -> float:
    """Edit distance where confusable substitutions are cheap (Levenshtein with weighted substitutions)."""
    if a == b:
        return 0.0
    prev = [j * INSERT_DELETE_COST for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [i * INSERT_DELETE_COST]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + INSERT_DELETE_COST, cur[j - 1] + INSERT_DELETE_COST,
                           prev[j - 1] + substitution_cost(ca, cb)))
        prev = cur
    return prev[-1]


def only_confusions(a: str, b: str) -> bool:
    """True when a and b have the same length and differ only by characters listed as confusable."""
    return len(a) == len(b) and a != b and all(
        x == y or frozenset((x, y)) in CONFUSION_COSTS for x, y in zip(a, b)
    )
