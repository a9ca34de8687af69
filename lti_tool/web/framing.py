"""Content-Security-Policy frame-ancestors: only the registered platforms may frame the tool."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.adapters.lti.tool_config import origin
from lti_tool.storage.models import Platform

from .runtime import runtime

_CACHE_SECONDS = 30.0
_lock = threading.Lock()
_cached: tuple[float, str] = (0.0, "")


def platform_origins() -> list[str]:
    """Origins of every registered platform's issuer and authorization URL."""
    with runtime().sessions() as session:
        rows = session.execute(select(Platform.issuer, Platform.auth_url)).all()
    origins = {origin(url) for row in rows for url in row}
    return sorted(origin for origin in origins if origin)


def frame_ancestors() -> str:
    """The CSP header value, refreshed every few seconds so new registrations apply quickly."""
    global _cached
    now = time.monotonic()
    if now - _cached[0] > _CACHE_SECONDS or not _cached[1]:
        with _lock:
            try:
                origins = platform_origins()
            except SQLAlchemyError:
                # The database is down (health checks must still answer): keep what we had, else only ourselves.
                return _cached[1] or "frame-ancestors 'self'"
            ancestors = " ".join(["'self'", *origins])
            _cached = (now, f"frame-ancestors {ancestors}")
    return _cached[1]


def forget_frame_ancestors() -> None:
    """Recompute on the next response (after a registration changes)."""
    global _cached
    _cached = (0.0, "")
