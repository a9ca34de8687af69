"""Courses (LTI contexts), people and their enrollments, as the platforms describe them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .tenancy import Platform


class Course(Base):
    """An LTI context of one platform, with the service endpoints its launches carried."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_course_platform_context"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    lms_course_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    ags_lineitems_url: Mapped[str] = mapped_column(String(1000), default="")
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    nrps_url: Mapped[str] = mapped_column(String(1000), default="")
    locale: Mapped[str] = mapped_column(String(20), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    platform: Mapped[Platform] = relationship()


class Person(Base):
    """A platform user, identified by the id_token's `sub`."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_person_platform_sub"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(500), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(500), default="")
    lms_user_id: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Enrollment(Base):
    """A person's role in a course: learner, instructor, teaching assistant, admin or mentor."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "person_id", name="uq_enrollment_course_person"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    mentees: Mapped[list[str]] = mapped_column(JSON, default=list)  # subs a mentor observes
    active: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # "changed since last visit"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    person: Mapped[Person] = relationship()
