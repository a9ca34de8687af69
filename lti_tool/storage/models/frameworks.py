"""Standards frameworks and their standards, proficiency scales, and grading policies of a district."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Framework(Base):
    """A versioned standards framework owned by one district."""

    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("district_id", "identifier", name="uq_framework_district_identifier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(255))  # CASE document GUID, or one we assign
    title: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_format: Mapped[str] = mapped_column(String(20), default="csv")  # case | canvas | moodle | csv
    source_version: Mapped[str] = mapped_column(String(100), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    standards: Mapped[list["Standard"]] = relationship(back_populates="framework", order_by="Standard.position")


class Standard(Base):
    """One node of a framework: domain, cluster, standard or sub-standard. Retired, never deleted, once used."""

    __tablename__ = "standard"
    __table_args__ = (
        UniqueConstraint("framework_id", "identifier", name="uq_standard_framework_identifier"),
        Index("ix_standard_framework_code", "framework_id", "code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(255))  # CASE GUID, vendor_guid, Moodle idnumber or code
    code: Mapped[str] = mapped_column(String(255), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("standard.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(50), default="standard")
    label: Mapped[str] = mapped_column(String(500), default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    grade_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    framework: Mapped[Framework] = relationship(back_populates="standards")


class ProficiencyScaleRecord(Base):
    """A district's mastery scale: ordered levels (points, label, description, colour) and a mastery threshold."""

    __tablename__ = "proficiency_scale"
    __table_args__ = (UniqueConstraint("district_id", "name", name="uq_proficiency_scale_district_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mastery_points: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GradingPolicyRecord(Base):
    """A grading policy: the district default (framework and course empty), a framework's, or a course's.

    `settings` holds the engine's policy document (conversion, method and parameters, rounding, missing,
    reassessment, letter-grade rules); `locked` lists the settings teachers may not change for their course.
    """

    __tablename__ = "grading_policy"
    __table_args__ = (
        UniqueConstraint("district_id", "framework_id", "course_id", name="uq_grading_policy_scope"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), nullable=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), nullable=True)
    scale_id: Mapped[int | None] = mapped_column(ForeignKey("proficiency_scale.id", ondelete="SET NULL"),
                                                 nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    locked: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CourseFramework(Base):
    """Which framework a course is graded against (a course uses one framework)."""

    __tablename__ = "course_framework"
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    chosen_by: Mapped[str] = mapped_column(String(255), default="")
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
