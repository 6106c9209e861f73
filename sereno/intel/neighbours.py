"""Candidate generation in confusion-key space, so fuzzy search and hotlist matching read an index instead of
scanning every plate.

sereno.plates.confusion_key collapses the cheapest look-alikes (O/D/Q -> 0, I -> 1, B -> 8 ...). Any plate within a
weighted edit distance ``budget`` of a query has a key that this module generates from the query's key: each
key-space edit is charged the cheapest real edit it can stand for, so the generated set is a superset of the true
matches (never misses one); the caller then checks the exact distance on the few plates found.
"""

from __future__ import annotations

from functools import lru_cache

from sereno.plates import INSERT_DELETE_COST, PLATE_CHARS, confusion_key, substitution_cost

KEY_CHARS = "".join(sorted(set(confusion_key(PLATE_CHARS))))
_MEMBERS = {k: [c for c in PLATE_CHARS if confusion_key(c) == k] for k in KEY_CHARS}
INF = float("inf")


@lru_cache(maxsize=None)
def key_substitution_cost(x: str, y: str) -> float:
    """The cheapest real substitution between a character whose key is x and one whose key is y."""
    return min(substitution_cost(a, b) for a in _MEMBERS[x] for b in _MEMBERS[y])


@lru_cache(maxsize=None)
def _substitutes(x: str, confusions_only: bool) -> tuple[tuple[str, float], ...]:
    """Key characters x can turn into, cheapest first."""
    costs = ((y, key_substitution_cost(x, y)) for y in KEY_CHARS if y != x)
    return tuple(sorted(((y, c) for y, c in costs if c < 1.0 or not confusions_only), key=lambda t: t[1]))


def _with_insertions(states: dict[str, float], budget: float) -> dict[str, float]:
    """Close a set of (output, cost) states under inserting any key character."""
    frontier = states
    while frontier:
        grown: dict[str, float] = {}
        for out, cost in frontier.items():
            if cost + INSERT_DELETE_COST > budget:
                continue
            for y in KEY_CHARS:
                new = out + y
                if cost + INSERT_DELETE_COST < min(states.get(new, INF), grown.get(new, INF)):
                    grown[new] = cost + INSERT_DELETE_COST
        states = {**states, **grown}
        frontier = grown
    return states


@lru_cache(maxsize=4096)
def key_variants(key: str, budget: float, confusions_only: bool = False) -> frozenset[str]:
    """Every key reachable from ``key`` with total edit cost <= budget.

    confusions_only: only look-alike substitutions (no insertions, deletions or unrelated substitutions), as
    hotlist matching wants. Size grows fast with the budget: about 500 keys at 1.0 for a 7-character plate.
    Works position by position, keeping the cheapest cost of each partial output.
    """
    budget += 1e-9  # costs are sums of decimals
    states: dict[str, float] = {"": 0.0}
    for x in key:
        if not confusions_only:
            states = _with_insertions(states, budget)
        moves = ((x, 0.0),) + _substitutes(x, confusions_only)
        consumed: dict[str, float] = {}
        for out, cost in states.items():
            if not confusions_only and cost + INSERT_DELETE_COST <= budget:  # delete x
                if cost + INSERT_DELETE_COST < consumed.get(out, INF):
                    consumed[out] = cost + INSERT_DELETE_COST
            for y, step in moves:
                total = cost + step
                if total > budget:
                    break
                new = out + y
                if total < consumed.get(new, INF):
                    consumed[new] = total
        states = consumed
    if not confusions_only:
        states = _with_insertions(states, budget)
    return frozenset(out for out in states if out)
