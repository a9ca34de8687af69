"""OIDC login state: issued at login initiation, consumed exactly once at launch."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from lti_tool.storage.models import LoginState


class StateRejected(Exception):
    """The launch's state is unknown, expired or already used."""


def issue_state(session: Session, *, platform_id: int, target_link_uri: str, ttl: int,
                storage_target: str = "") -> LoginState:
    """Create a fresh random state and nonce for one login."""
    now = datetime.now(timezone.utc)
    row = LoginState(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), platform_id=platform_id,
                     target_link_uri=target_link_uri, uses_platform_storage=bool(storage_target),
                     storage_target=storage_target,
                     created_at=now, expires_at=now + timedelta(seconds=ttl))
    session.add(row)
    session.flush()
    return row


def consume_state(session: Session, state: str) -> LoginState:
    """Mark the state used, atomically, so a replayed launch fails even on another web process."""
    now = datetime.now(timezone.utc)
    result = session.execute(
        update(LoginState)
        .where(LoginState.state == state, LoginState.used_at.is_(None), LoginState.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StateRejected(state)
    row = session.get(LoginState, state)
    assert row is not None
    return row


def purge_expired(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete login states well past their expiry (a periodic job)."""
    cutoff = datetime.now(timezone.utc) - older_than
    result = session.execute(delete(LoginState).where(LoginState.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
