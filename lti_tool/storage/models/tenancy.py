"""Districts (tenants), platform registrations and their deployments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class District(Base):
    """A tenant: owns registrations, frameworks, scales and policies."""

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Platform(Base):
    """An LTI 1.3 platform registration (issuer + client id) bound to one district."""

    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_platform_issuer_client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    product: Mapped[str] = mapped_column(String(40), default="other")  # canvas | moodle | other
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000))
    jwks_url: Mapped[str] = mapped_column(String(1000))
    registered_via: Mapped[str] = mapped_column(String(40), default="cli")  # cli | dynamic | admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    district: Mapped[District] = relationship()
    deployments: Mapped[list["Deployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )


class Deployment(Base):
    """One deployment id of a platform registration."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_deployment_platform_deployment"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    # Canvas's dynamic registration names no deployment: it is recorded at its first launch.
    recorded_at_first_launch: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")
