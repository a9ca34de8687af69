"""The tool's RSA signing keys as JWKs, and the JWKS document that publishes them."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class KeyPair:
    """A signing key: its id, private key in PEM and public key as a JWK."""

    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """Create a fresh RSA key pair with a random key id."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = secrets.token_urlsafe(16)
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return KeyPair(kid=kid, private_pem=pem, public_jwk=jwk)


def jwks_document(public_jwks: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON Web Key Set served at /.well-known/jwks.json."""
    return {"keys": public_jwks}
