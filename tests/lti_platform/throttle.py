"""Canvas's request throttle: a leaky bucket per developer key.

Canvas charges each request an up-front cost when it starts (reserved while it is in flight), refuses a
request when the bucket is at or above the high-water mark once that reservation is added, and, when the
request ends, replaces the reservation by the request's real cost. The bucket drains at a constant rate.
So concurrency, not request rate alone, is what gets a client throttled.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

THROTTLED_BODY = "403 Forbidden (Rate Limit Exceeded)\n"


class ManualClock:
    """A clock that moves only when told to, so tests can drain a bucket without sleeping."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass
class Reservation:
    """The up-front cost held for one in-flight request."""

    amount: float
    allowed: bool


@dataclass
class LeakyBucket:
    """One client's bucket: `high_water` units, draining `outflow` units/s, `up_front` units per request."""

    high_water: float = 600.0
    outflow: float = 10.0
    up_front: float = 50.0
    clock: Callable[[], float] = time.monotonic
    level: float = 0.0
    _last: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _leak(self) -> None:
        now = self.clock()
        if self._last is not None:
            self.level = max(0.0, self.level - (now - self._last) * self.outflow)
        self._last = now

    def reserve(self) -> Reservation:
        """Start a request: add the up-front cost, then decide whether it may proceed."""
        with self._lock:
            self._leak()
            self.level += self.up_front
            return Reservation(self.up_front, allowed=self.level < self.high_water)

    def settle(self, reservation: Reservation, cost: float) -> None:
        """End a request: swap its reservation for its real cost (zero for a refused one)."""
        with self._lock:
            self._leak()
            self.level = max(0.0, self.level - reservation.amount + cost)

    @property
    def remaining(self) -> float:
        """What Canvas reports as X-Rate-Limit-Remaining: the high-water mark minus the current level."""
        with self._lock:
            self._leak()
            return max(0.0, self.high_water - self.level)

    def fill(self, level: float) -> None:
        """Set the bucket's level directly (to start a test already near the limit)."""
        with self._lock:
            self._leak()
            self.level = level


@dataclass
class CanvasThrottle:
    """Buckets per client id, plus the per-request cost charged when a request completes."""

    enabled: bool = False
    high_water: float = 600.0
    outflow: float = 10.0
    up_front: float = 50.0
    request_cost: float = 0.1
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, LeakyBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bucket(self, client_id: str) -> LeakyBucket:
        """The bucket of `client_id`, created on first use."""
        with self._lock:
            if client_id not in self.buckets:
                self.buckets[client_id] = LeakyBucket(
                    self.high_water, self.outflow, self.up_front, clock=self.clock
                )
            return self.buckets[client_id]
