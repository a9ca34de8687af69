"""Signing keys of the test platform and verification against a tool's JWKS."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

USER_AGENT = "lti-test-platform/1.0"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class SigningKey:
    """An RSA key pair with a key id, able to sign RS256 JWTs and publish its public JWK."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def generate(cls, kid: str | None = None) -> "SigningKey":
        """Create a fresh 2048-bit RSA key (a new one per platform start)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key=key, kid=kid or secrets.token_hex(8))

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with `kid`, `alg` and `use`, as platforms publish it."""
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return jwk

    def sign(self, payload: dict[str, Any], *, include_kid: bool = True, alg: str = "RS256") -> str:
        """Sign `payload`; `include_kid=False` omits the header's kid, `alg="none"` makes an unsigned token."""
        headers: dict[str, Any] = {"typ": "JWT"}
        if include_kid:
            headers["kid"] = self.kid
        if alg.lower() == "none":
            # Built by hand: an "alg: none" token is exactly the bad input a tool must refuse.
            header = dict(headers, alg="none")
            return ".".join(
                [_b64url(json.dumps(header).encode()), _b64url(json.dumps(payload).encode()), ""]
            )
        return jwt.encode(payload, self.private_key, algorithm=alg, headers=headers)


@dataclass
class ToolKeyResolver:
    """Fetches a tool's JWKS over HTTP (or uses a given document) to verify the tool's JWTs."""

    fetch_count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_set(self, jwks_url: str | None, jwks: dict[str, Any] | None = None) -> jwt.PyJWKSet:
        """The tool's key set: the static `jwks` when given, else a fresh fetch of `jwks_url`."""
        if jwks is not None:
            return jwt.PyJWKSet.from_dict(jwks)
        if not jwks_url:
            raise InvalidToolJwt("the tool has no JWKS URL")
        with self._lock:
            self.fetch_count += 1
        try:
            response = requests.get(jwks_url, timeout=5, headers={"User-Agent": USER_AGENT})
        except requests.RequestException as exc:
            raise InvalidToolJwt(f"could not fetch the tool's JWKS at {jwks_url}: {exc}") from exc
        if response.status_code != 200:
            raise InvalidToolJwt(f"the tool's JWKS at {jwks_url} answered {response.status_code}")
        return jwt.PyJWKSet.from_dict(response.json())

    def verify(
        self,
        token: str,
        *,
        jwks_url: str | None,
        jwks: dict[str, Any] | None = None,
        audience: str | list[str],
        issuer: str | None = None,
        required: tuple[str, ...] = ("exp", "iat"),
    ) -> dict[str, Any]:
        """Verify an RS256 JWT from the tool (signature by kid, aud, iss, exp, iat); raise InvalidToolJwt."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToolJwt(f"not a JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise InvalidToolJwt(f"alg must be RS256, got {header.get('alg')!r}")
        key_set = self.key_set(jwks_url, jwks)
        kid = header.get("kid")
        candidates = [k for k in key_set.keys if kid is None or k.key_id == kid]
        if not candidates:
            raise InvalidToolJwt(f"no key with kid {kid!r} in the tool's JWKS")
        last_error: Exception | None = None
        for candidate in candidates:
            try:
                return jwt.decode(
                    token,
                    candidate.key,
                    algorithms=["RS256"],
                    audience=audience,
                    issuer=issuer,
                    options={"require": list(required)},
                    leeway=5,
                )
            except jwt.PyJWTError as exc:
                last_error = exc
        raise InvalidToolJwt(f"the tool's JWT did not verify: {last_error}")


class InvalidToolJwt(Exception):
    """A JWT from the tool (client assertion, deep-linking response) failed verification."""
