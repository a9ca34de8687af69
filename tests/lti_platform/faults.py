"""Fault injection for service endpoints: added latency and a queue of scripted answers."""

from __future__ import annotations

import threading
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


@dataclass
class Faults:
    """Knobs: latency per request, scripted answers, and expiry of every access token issued so far."""

    latency: float = 0.0
    _script: deque[ScriptedAnswer] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *answers: ScriptedAnswer) -> None:
        """Queue answers; each is used once, in order, by the next request it applies to."""
        with self._lock:
            self._script.extend(answers)

    def clear(self) -> None:
        """Drop every queued answer and the latency."""
        with self._lock:
            self._script.clear()
            self.latency = 0.0

    def pending(self) -> int:
        """How many scripted answers are still queued."""
        with self._lock:
            return len(self._script)

    def next_for(self, endpoint: str) -> ScriptedAnswer | None:
        """Take the first queued answer that applies to `endpoint`."""
        with self._lock:
            for answer in self._script:
                if answer.endpoint in (None, endpoint):
                    self._script.remove(answer)
                    return answer
        return None

    def describe(self) -> list[dict[str, Any]]:
        """The queue, for debugging."""
        with self._lock:
            return [vars(a).copy() for a in self._script]
