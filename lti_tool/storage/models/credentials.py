"""LMS API credentials (encrypted), teachers' Canvas OAuth2 grants, OAuth states, and evidence-pull bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class LmsApiCredential(Base):
    """A platform's API credential: a Canvas API developer key or a Moodle web-service token.

    `secret_encrypted` holds the Fernet token of the client secret (Canvas) or web-service token (Moodle);
    the plain value never reaches the database or a log.
    """

    __tablename__ = "lms_api_credential"
    __table_args__ = (UniqueConstraint("platform_id", "kind", name="uq_lms_api_credential_platform_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # canvas_api | moodle_ws
    client_id: Mapped[str] = mapped_column(String(255), default="")  # Canvas developer key id; empty for Moodle
    secret_encrypted: Mapped[str] = mapped_column(Text)
    api_url: Mapped[str] = mapped_column(String(1000), default="")  # empty: from the launch or the issuer
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CanvasGrant(Base):
    """One teacher's Canvas OAuth2 authorization for one platform; tokens encrypted at rest."""

    __tablename__ = "canvas_grant"
    __table_args__ = (UniqueConstraint("platform_id", "person_id", name="uq_canvas_grant_platform_person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    api_url: Mapped[str] = mapped_column(String(1000))  # the Canvas the tokens belong to
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    canvas_user_id: Mapped[str] = mapped_column(String(255), default="")
    canvas_user_name: Mapped[str] = mapped_column(String(500), default="")
    # active | needs_reconnect (Canvas refused the refresh token; the teacher connects again)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OAuthState(Base):
    """A pending "Connect to Canvas": the state value (hashed) bound to a person and course, used once."""

    __tablename__ = "oauth_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    api_url: Mapped[str] = mapped_column(String(1000))
    display: Mapped[str] = mapped_column(String(20), default="iframe")  # iframe | window
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EvidencePull(Base):
    """Where a course's incremental pulls stand: the cursor of the last complete pull and the last outcome."""

    __tablename__ = "evidence_pull"
    __table_args__ = (UniqueConstraint("course_id", "source", name="uq_evidence_pull_course_source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # canvas | moodle | canvas_csv | moodle_csv
    # Start time of the last pull that finished: the next Canvas pull asks for grades since then.
    complete_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="never")  # never | running | ok | failed
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
