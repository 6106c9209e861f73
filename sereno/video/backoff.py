"""Reconnect delays: exponential with full jitter, so that many cameras behind one dead switch do not all
hammer it again in the same second."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base_s: float = 1.0, cap_s: float = 60.0, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        """The wait before the next attempt: uniform in [ceiling/2, ceiling], ceiling doubling per failure."""
        ceiling = min(self.cap_s, self.base_s * 2 ** self.failures)
        self.failures += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0
