"""Fault injection for service endpoints: added latency, a queue of scripted answers, and outage windows."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .throttle import THROTTLED_BODY


@dataclass
class ScriptedAnswer:
    """An answer to give instead of (or, with `passthrough`, before) the normal one."""

    status: int = 503
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    passthrough: bool = False  # True: sleep `delay`, then answer normally (a slow or timed-out request)
    endpoint: str | None = None  # only for this endpoint kind (e.g. "scores"); None: any service endpoint

    @classmethod
    def too_many_requests(cls, retry_after: int = 1, endpoint: str | None = None) -> "ScriptedAnswer":
        """429 with Retry-After, as most LMSs throttle."""
        return cls(429, "Too Many Requests", {"Retry-After": str(retry_after)}, endpoint=endpoint)

    @classmethod
    def unavailable(cls, endpoint: str | None = None) -> "ScriptedAnswer":
        """503 Service Unavailable."""
        return cls(503, "Service Unavailable", endpoint=endpoint)

    @classmethod
    def canvas_throttled(cls, endpoint: str | None = None) -> "ScriptedAnswer":
        """Canvas's throttled answer, without going through the bucket model."""
        return cls(
            403, THROTTLED_BODY, {"Content-Type": "text/plain; charset=utf-8", "X-Rate-Limit-Remaining": "0.0"},
            endpoint=endpoint,
        )

    @classmethod
    def slow(cls, seconds: float, endpoint: str | None = None) -> "ScriptedAnswer":
        """Sleep, then answer normally: longer than the client's timeout, it is a timeout."""
        return cls(delay=seconds, passthrough=True, endpoint=endpoint)

    @classmethod
    def unauthorized(cls, endpoint: str | None = None) -> "ScriptedAnswer":
        """401 as for an expired access token."""
        return cls(401, '{"error": "invalid_token"}', {"WWW-Authenticate": 'Bearer error="invalid_token"',
                                                       "Content-Type": "application/json"}, endpoint=endpoint)


OUTAGE_MODES = ("5xx", "timeout")


@dataclass(frozen=True)
class Outage:
    """A time window in which the LMS is down: every request arriving in it gets a 5xx (mode "5xx") or is held
    `hang` seconds, longer than the client waits, and then processed normally (mode "timeout": the LMS did the
    work but the client had given up, so a score it POSTed may be stored)."""

    mode: str
    starts_at: float  # time.time()
    ends_at: float
    hang: float = 0.0
    status: int = 503
    endpoints: frozenset[str] | None = None  # None: every service endpoint (token, AGS, NRPS)

    @classmethod
    def starting_now(cls, mode: str, seconds: float, *, hang: float = 0.0, status: int = 503,
                     endpoints: frozenset[str] | None = None) -> "Outage":
        """An outage of `seconds` from now."""
        if mode not in OUTAGE_MODES:
            raise ValueError(f"unknown outage mode {mode!r}; use one of {OUTAGE_MODES}")
        now = time.time()
        return cls(mode, now, now + seconds, hang, status, endpoints)

    def active(self, at: float | None = None) -> bool:
        """Whether the window covers `at` (default: now)."""
        moment = time.time() if at is None else at
        return self.starts_at <= moment < self.ends_at

    def applies_to(self, endpoint: str) -> bool:
        """Whether this endpoint kind is down during the window."""
        return self.endpoints is None or endpoint in self.endpoints

    def answer(self) -> ScriptedAnswer:
        """What a request arriving in the window gets."""
        if self.mode == "timeout":
            return ScriptedAnswer.slow(self.hang)
        return ScriptedAnswer(self.status, "Service Unavailable" if self.status == 503 else "Internal Server Error")


@dataclass
class Faults:
    """Knobs: latency per request, scripted answers, an outage window, and expiry of every access token."""

    latency: float = 0.0
    outage: Outage | None = None
    _script: deque[ScriptedAnswer] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    outage_hits: int = 0  # requests that arrived during the outage window

    def script(self, *answers: ScriptedAnswer) -> None:
        """Queue answers; each is used once, in order, by the next request it applies to."""
        with self._lock:
            self._script.extend(answers)

    def clear(self) -> None:
        """Drop every queued answer, the outage and the latency."""
        with self._lock:
            self._script.clear()
            self.latency = 0.0
            self.outage = None

    def pending(self) -> int:
        """How many scripted answers are still queued."""
        with self._lock:
            return len(self._script)

    def next_for(self, endpoint: str) -> ScriptedAnswer | None:
        """The outage's answer while one is on, else take the first queued answer that applies to `endpoint`."""
        with self._lock:
            outage = self.outage
            if outage is not None and outage.applies_to(endpoint) and outage.active():
                self.outage_hits += 1
                return outage.answer()
            for answer in self._script:
                if answer.endpoint in (None, endpoint):
                    self._script.remove(answer)
                    return answer
        return None

    def describe(self) -> list[dict[str, Any]]:
        """The queue, for debugging."""
        with self._lock:
            return [vars(a).copy() for a in self._script]
