"""The tool's signing keys: create on first start, rotate, publish until expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.adapters.lti.keys import generate_key_pair, jwks_document
from lti_tool.adapters.lti.service_auth import SigningKey
from lti_tool.storage.models import ToolKey

from . import audit


def _now() -> datetime:
    return datetime.now(timezone.utc)


def current_key(session: Session) -> ToolKey | None:
    """The key the tool signs with now (the newest unretired one)."""
    return session.scalar(select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc()))


def ensure_signing_key(session: Session) -> ToolKey:
    """Return the signing key, generating one the first time the tool starts."""
    key = current_key(session)
    if key is None:
        pair = generate_key_pair()
        key = ToolKey(kid=pair.kid, private_pem=pair.private_pem, public_jwk=pair.public_jwk)
        session.add(key)
        session.flush()
        audit.record(session, district_id=None, actor="system", action="create", entity="tool_key",
                     entity_id=key.kid)
    return key


def rotate_keys(session: Session, overlap: timedelta, actor: str = "cli", now: datetime | None = None) -> ToolKey:
    """Start signing with a new key; the old one stays published for `overlap`, then expires."""
    now = now or _now()
    for old in session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))):
        old.retired_at = now
        old.expires_at = now + overlap
    pair = generate_key_pair()
    key = ToolKey(kid=pair.kid, private_pem=pair.private_pem, public_jwk=pair.public_jwk)
    session.add(key)
    session.flush()
    audit.record(session, district_id=None, actor=actor, action="rotate", entity="tool_key", entity_id=key.kid)
    return key


def published_jwks(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The JWKS: the current key and retired keys that have not yet expired."""
    now = now or _now()
    keys = session.scalars(
        select(ToolKey).where(or_(ToolKey.expires_at.is_(None), ToolKey.expires_at > now)).order_by(ToolKey.id)
    )
    return jwks_document([key.public_jwk for key in keys])


def current_signing_key_loader(sessions: sessionmaker[Session]) -> Callable[[], SigningKey]:
    """A callable giving the current signing key, re-read at most every 30 s (rotation applies quickly)."""
    cached: dict[str, Any] = {"at": 0.0, "key": None}

    def load() -> SigningKey:
        if cached["key"] is None or time.monotonic() - cached["at"] > 30:
            with sessions() as session:
                key = ensure_signing_key(session)
                session.commit()
                cached["key"] = SigningKey(kid=key.kid, private_pem=key.private_pem)
                cached["at"] = time.monotonic()
        return cached["key"]  # type: ignore[no-any-return]

    return load
