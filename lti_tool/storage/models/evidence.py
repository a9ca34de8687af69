"""Assignments read from the LMS, teachers' alignments of them to standards, and the scores (evidence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .frameworks import Standard


class Assignment(Base):
    """An LMS assignment, quiz or grade item of a course, with where it came from."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("course_id", "source", "lms_id", name="uq_assignment_course_source_lms"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # canvas | moodle | csv
    lms_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    points_possible: Mapped[float | None] = mapped_column(Float, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # criteria: id, description, points
    not_standards_based: Mapped[bool] = mapped_column(Boolean, default=False)
    # A reassessment retakes an earlier assignment; its evidence replaces or adds to it, per policy.
    reassesses_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="SET NULL"),
                                                      nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alignment(Base):
    """A teacher's mapping of an assignment (or one rubric criterion of it) to a standard, with a weight."""

    __tablename__ = "alignment"
    __table_args__ = (
        UniqueConstraint("assignment_id", "standard_id", "rubric_criterion", name="uq_alignment_target"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    # RESTRICT: a standard that evidence points at is retired, never deleted.
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="RESTRICT"), index=True)
    rubric_criterion: Mapped[str] = mapped_column(String(255), default="")  # "" = the whole assignment
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    origin: Mapped[str] = mapped_column(String(40), default="teacher")  # teacher | suggestion | cli | canvas_outcome
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    standard: Mapped[Standard] = relationship()


class EvidenceRecord(Base):
    """One student's score on one assignment (or rubric criterion), with provenance; the engine's input."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("assignment_id", "person_id", "rubric_criterion", name="uq_evidence_target"),
        Index("ix_evidence_course_person", "course_id", "person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    rubric_criterion: Mapped[str] = mapped_column(String(255), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    rubric_points: Mapped[float | None] = mapped_column(Float, nullable=True)  # already in scale points
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    excused: Mapped[bool] = mapped_column(Boolean, default=False)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    workflow_state: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(20))  # canvas | moodle | csv
    lms_ref: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # LMS ids of submission/grade
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
