"""Per platform client pacing of AGS calls: adaptive concurrency and backoff with jitter.

Canvas meters every AGS call of one developer key in one leaky bucket: each request in flight holds an
up-front reservation (50 units of a 600 high-water mark), so *concurrency* is what gets a tool refused.
Canvas reports what is left in `X-Rate-Limit-Remaining`; this pacer allows one request in flight until that
header shows room, then as many as the remaining budget covers (with a safety reserve), shrinks the window
as the budget falls, halves it on a throttled answer, and makes every sender of the client wait out a
`Retry-After` or a jittered backoff. LMSs that send no such header keep one request in flight.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class PacingSettings:
    """Bucket model and limits: Canvas's defaults (600 high water, 50 units up front per request)."""

    up_front: float = 50.0
    reserve: float = 120.0  # budget kept free for other tools' and the teacher's own calls
    max_in_flight: int = 8
    base_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0


@dataclass
class ClientPacer:
    """Concurrency window and shared pause for one (issuer, client id)."""

    settings: PacingSettings = field(default_factory=PacingSettings)
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    limit: int = 1
    in_flight: int = 0
    paused_until: float = 0.0
    throttled_answers: int = 0
    _condition: threading.Condition = field(default_factory=threading.Condition)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the `limit` request slots (waiting for a free one and for any shared pause)."""
        with self._condition:
            while self.in_flight >= self.limit:
                self._condition.wait(timeout=0.5)
            self.in_flight += 1
        try:
            self._wait_for_pause()
            yield
        finally:
            with self._condition:
                self.in_flight -= 1
                self._condition.notify_all()

    def _wait_for_pause(self) -> None:
        while True:
            with self._condition:
                remaining = self.paused_until - self.clock()
            if remaining <= 0:
                return
            self.sleep(remaining)

    def observe_remaining(self, value: str | None) -> None:
        """Resize the window from an `X-Rate-Limit-Remaining` value (ignored when absent or unreadable)."""
        if value is None:
            return
        try:
            remaining = float(value)
        except ValueError:
            return
        with self._condition:
            # The reported budget already excludes the reservations of our other requests still in flight.
            others = max(self.in_flight - 1, 0)
            room = int((remaining - self.settings.reserve) // self.settings.up_front)
            self.limit = max(1, min(self.settings.max_in_flight, others + room))
            self._condition.notify_all()

    def throttled(self, retry_after: float | None, attempt: int) -> float:
        """Halve the window and pause every sender; returns the pause in seconds."""
        with self._condition:
            self.throttled_answers += 1
            self.limit = max(1, self.limit // 2)
        return self.pause(retry_after, attempt)

    def pause(self, retry_after: float | None, attempt: int) -> float:
        """Pause every sender of this client for `Retry-After` or a jittered exponential backoff."""
        delay = (min(retry_after, self.settings.max_retry_after) if retry_after is not None
                 else self.backoff(attempt))
        with self._condition:
            self.paused_until = max(self.paused_until, self.clock() + delay)
        return delay

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter ("equal jitter": half fixed, half random)."""
        ceiling = min(self.settings.max_backoff, self.settings.base_backoff * (2 ** max(attempt - 1, 0)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


class PacerRegistry:
    """One ClientPacer per (issuer, client id) per process, shared by every thread that calls that platform."""

    def __init__(self, settings: PacingSettings | None = None) -> None:
        self.settings = settings or PacingSettings()
        self._pacers: dict[tuple[str, str], ClientPacer] = {}
        self._lock = threading.Lock()

    def pacer(self, issuer: str, client_id: str) -> ClientPacer:
        """The pacer of this platform client, created on first use."""
        with self._lock:
            key = (issuer, client_id)
            if key not in self._pacers:
                self._pacers[key] = ClientPacer(self.settings)
            return self._pacers[key]

    def reset(self) -> None:
        """Forget every pacer (tests)."""
        with self._lock:
            self._pacers.clear()


#: The process-wide registry used by AGS clients.
PACERS = PacerRegistry()
