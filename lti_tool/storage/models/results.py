"""Computed mastery per student and standard, overall grades, and teachers' overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class MasteryResultRecord(Base):
    """The current result of one student on one standard in one course, with the engine's trace."""

    __tablename__ = "mastery_result"
    __table_args__ = (UniqueConstraint("course_id", "person_id", "standard_id", name="uq_mastery_result_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="RESTRICT"), index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    level_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    level_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    mastered: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when the level last changed


class OverrideRecord(Base):
    """A teacher's level for a student and standard, with the reason; removed overrides are kept (removed_at)."""

    __tablename__ = "mastery_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="RESTRICT"), index=True)
    level_points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by: Mapped[str] = mapped_column(String(255), default="")


class OverallGradeRecord(Base):
    """A student's letter grade in a course and the trace of the rule that produced it."""

    __tablename__ = "overall_grade"
    __table_args__ = (UniqueConstraint("course_id", "person_id", name="uq_overall_grade_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    letter: Mapped[str | None] = mapped_column(String(20), nullable=True)
    average: Mapped[float | None] = mapped_column(Float, nullable=True)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
