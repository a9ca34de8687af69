"""Local admin accounts for self-hosted installs, and framework files waiting between preview and import."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AdminAccount(Base):
    """A district admin who signs in with an email and password instead of an LMS launch."""

    __tablename__ = "admin_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PendingImport(Base):
    """An uploaded framework file kept server-side from the preview until the admin confirms (or it expires)."""

    __tablename__ = "pending_import"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
