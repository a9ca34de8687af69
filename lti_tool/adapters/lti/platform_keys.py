"""Platform public keys fetched from their JWKS URLs, cached with a TTL, refetched once on an unknown kid."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from .errors import LaunchError

MAX_JWKS_BYTES = 256 * 1024
# An attacker can send tokens with made-up kids: a kid that a refetch did not find is not refetched for again
# until this many seconds have passed.
UNKNOWN_KID_MEMORY = 60.0


@dataclass
class _Entry:
    keys: dict[str, PyJWK]
    fetched_at: float


@dataclass
class PlatformKeyCache:
    """Thread-safe per-process cache of platform key sets, keyed by JWKS URL."""

    http: requests.Session
    ttl: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    fetches: int = 0
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _unknown: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_for(self, jwks_url: str, kid: str) -> PyJWK:
        """The platform key with this kid; fetched when absent or stale, refetched once if the kid is unknown."""
        entry = self._entries.get(jwks_url)
        now = self.clock()
        if entry is None or now - entry.fetched_at > self.ttl:
            entry = self._refresh(jwks_url)
        if kid in entry.keys:
            return entry.keys[kid]
        missed_at = self._unknown.get((jwks_url, kid))
        if missed_at is None or now - missed_at > UNKNOWN_KID_MEMORY:
            # The platform may have rotated its key: refetch once before refusing.
            entry = self._refresh(jwks_url)
            if kid in entry.keys:
                return entry.keys[kid]
            if len(self._unknown) > 10_000:
                self._unknown.clear()
            self._unknown[(jwks_url, kid)] = now
        raise LaunchError(
            "unknown_kid",
            f"The platform signed the launch with key id {kid!r}, which its key set at {jwks_url} does not list.",
            "Check the platform's public keyset URL in the tool registration.",
        )

    def forget(self, jwks_url: str) -> None:
        """Drop a cached key set (used when a registration changes)."""
        with self._lock:
            self._entries.pop(jwks_url, None)

    def _refresh(self, jwks_url: str) -> _Entry:
        with self._lock:
            entry = _Entry(keys=self._fetch(jwks_url), fetched_at=self.clock())
            self._entries[jwks_url] = entry
            return entry

    def _fetch(self, jwks_url: str) -> dict[str, PyJWK]:
        self.fetches += 1
        try:
            response = self.http.get(jwks_url, timeout=(3.05, 10), stream=True)
            body = response.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
            response.close()
        except requests.RequestException as exc:
            raise LaunchError(
                "jwks_unreachable",
                f"The tool could not fetch the platform's public keys from {jwks_url} ({type(exc).__name__}).",
                "Check that the keyset URL is right and reachable from the tool's server.",
                status=502,
            ) from exc
        if response.status_code != 200 or len(body) > MAX_JWKS_BYTES:
            raise LaunchError(
                "jwks_unreachable",
                f"The platform's keyset URL {jwks_url} answered HTTP {response.status_code}.",
                "Check the keyset URL in the tool registration.",
                status=502,
            )
        return _parse_key_set(body, jwks_url)


def _parse_key_set(body: bytes, jwks_url: str) -> dict[str, PyJWK]:
    import json

    try:
        document: Any = json.loads(body)
        raw_keys = document["keys"]
    except (ValueError, KeyError, TypeError) as exc:
        raise LaunchError("jwks_invalid", f"The keyset at {jwks_url} is not a JSON Web Key Set.",
                          "Check the keyset URL in the tool registration.", status=502) from exc
    keys: dict[str, PyJWK] = {}
    for raw in raw_keys if isinstance(raw_keys, list) else []:
        if not isinstance(raw, dict) or "kid" not in raw or raw.get("kty") != "RSA":
            continue
        try:
            keys[str(raw["kid"])] = PyJWK(raw, algorithm="RS256")
        except PyJWKError:
            continue
    return keys
