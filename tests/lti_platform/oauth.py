"""OAuth 2 client-credentials token endpoint with a private_key_jwt client assertion (1EdTech security)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, jsonify, request

from .keys import InvalidToolJwt

if TYPE_CHECKING:
    from .server import LtiPlatform

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class AccessToken:
    """An issued bearer token."""

    value: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    profile: str


@dataclass
class TokenStore:
    """Issued tokens, used assertion ids (`jti`) and the number of token requests."""

    ttl: int = 3600
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    used_jtis: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, client_id: str, scopes: frozenset[str], profile: str) -> AccessToken:
        """Create a token valid for `ttl` seconds."""
        token = AccessToken(secrets.token_urlsafe(24), client_id, scopes, time.time() + self.ttl, profile)
        with self._lock:
            self.tokens[token.value] = token
        return token

    def use_jti(self, jti: str) -> bool:
        """Record an assertion id; False if it was used before (replay)."""
        with self._lock:
            if jti in self.used_jtis:
                return False
            self.used_jtis.add(jti)
            return True

    def lookup(self, value: str) -> AccessToken | None:
        """The token with this value, expired or not."""
        with self._lock:
            return self.tokens.get(value)

    def expire_all(self) -> None:
        """Make every token issued so far expired (the next service call with one gets 401)."""
        with self._lock:
            for token in self.tokens.values():
                token.expires_at = 0.0


def token_error(error: str, description: str, status: int = 400):
    """An RFC 6749 error answer."""
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add the Canvas- and Moodle-shaped token endpoints."""

    def token_endpoint(profile: str):
        platform.stats.count("token")
        platform.stats.token_requests += 1
        gate = platform.pre_service_faults("token")
        if gate is not None:
            return gate
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return token_error("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return token_error("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion", "")
        if not assertion:
            return token_error("invalid_request", "client_assertion is missing")
        try:
            unverified = platform.unverified_claims(assertion)
            client_id = str(unverified.get("sub") or unverified.get("iss") or "")
            tool = platform.tools.get(client_id)
            if tool is None:
                return token_error("invalid_client", f"unknown client {client_id!r}", 401)
            claims = platform.tool_keys.verify(
                assertion,
                jwks_url=tool.jwks_url,
                jwks=tool.jwks,
                audience=platform.token_url(profile),
                issuer=client_id,
                required=("exp", "iat", "jti", "sub", "iss", "aud"),
            )
        except InvalidToolJwt as exc:
            return token_error("invalid_client", str(exc), 401)
        if claims.get("sub") != client_id:
            return token_error("invalid_client", "sub must equal iss (the client id)", 401)
        if not platform.tokens.use_jti(str(claims["jti"])):
            return token_error("invalid_client", "the assertion's jti was already used", 401)
        requested = frozenset(form.get("scope", "").split())
        granted = requested & tool.scopes if requested else tool.scopes
        if not granted:
            return token_error("invalid_scope", f"none of the requested scopes is allowed: {sorted(requested)}")
        token = platform.tokens.issue(client_id, frozenset(granted), profile)
        return jsonify(
            access_token=token.value,
            token_type="Bearer",
            expires_in=platform.tokens.ttl,
            scope=" ".join(sorted(granted)),
        )

    app.add_url_rule(
        "/login/oauth2/token", "canvas_token", lambda: token_endpoint("canvas"), methods=["POST"]
    )
    app.add_url_rule(
        "/mod/lti/token.php", "moodle_token", lambda: token_endpoint("moodle"), methods=["POST"]
    )
