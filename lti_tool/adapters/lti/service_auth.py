"""Access tokens for LTI Advantage services (AGS, NRPS): OAuth2 client credentials with a private_key_jwt
assertion (authlib), cached per (issuer, client id, scopes) until shortly before they expire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

from .errors import LaunchError

# Refresh this long before the platform's expiry, so a token never dies mid-request.
EXPIRY_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class ServiceClient:
    """Who asks for a token: the registration's issuer, client id and token endpoint."""

    issuer: str
    client_id: str
    token_url: str


@dataclass(frozen=True)
class SigningKey:
    """The tool's current private key and its kid."""

    kid: str
    private_pem: str


class ServiceAuthError(LaunchError):
    """The platform refused to issue a service token."""


@dataclass
class _Cached:
    token: str
    expires_at: float


@dataclass
class ServiceTokenCache:
    """Thread-safe token cache shared by every AGS and NRPS call of a process."""

    http: requests.Session
    signing_key: Callable[[], SigningKey]
    clock: Callable[[], float] = time.time
    token_requests: int = 0
    _cache: dict[tuple[str, str, frozenset[str]], _Cached] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, client: ServiceClient, scopes: Iterable[str]) -> str:
        """A valid access token for these scopes, fetched only when none is cached or it is about to expire."""
        key = (client.issuer, client.client_id, frozenset(scopes))
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached.expires_at - EXPIRY_MARGIN_SECONDS > self.clock():
                return cached.token
            fresh = self._fetch(client, sorted(key[2]))
            self._cache[key] = fresh
            return fresh.token

    def forget(self, client: ServiceClient, scopes: Iterable[str]) -> None:
        """Drop a token the platform rejected (401), so the next call fetches a new one."""
        with self._lock:
            self._cache.pop((client.issuer, client.client_id, frozenset(scopes)), None)

    def _fetch(self, client: ServiceClient, scopes: list[str]) -> _Cached:
        key = self.signing_key()
        session = OAuth2Session(client_id=client.client_id, client_secret=key.private_pem,
                                token_endpoint_auth_method=PrivateKeyJWT(client.token_url,
                                                                         headers={"kid": key.kid}),
                                scope=" ".join(scopes))
        session.headers.update({"User-Agent": self.http.headers.get("User-Agent", "sbg")})
        session.mount("https://", self.http.get_adapter("https://"))
        session.mount("http://", self.http.get_adapter("http://"))
        self.token_requests += 1
        try:
            token = session.fetch_token(client.token_url, grant_type="client_credentials",
                                        scope=" ".join(scopes), timeout=(3.05, 15))
        except Exception as exc:  # authlib raises several types; all mean "no token"
            raise ServiceAuthError("service_token", f"The platform refused a service token: {exc}",
                                   "Check the registration's client id, token URL and scopes.", status=502) from exc
        finally:
            session.close()
        expires_in = float(token.get("expires_in") or 3600)
        return _Cached(token=str(token["access_token"]), expires_at=self.clock() + expires_in)
