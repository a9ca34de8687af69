"""Record who changed what in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lti_tool.storage.models import AuditEvent


def record(session: Session, *, district_id: int | None, actor: str, action: str, entity: str,
           entity_id: str | int = "", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit event to the current unit of work."""
    event = AuditEvent(district_id=district_id, actor=actor, action=action, entity=entity,
                       entity_id=str(entity_id), before=before, after=after)
    session.add(event)
    return event
