"""Gradebook sync: what goes to the LMS gradebook (settings, line items) and the outbox of scores to send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class SyncSetting(Base):
    """A course's gradebook choices: which columns to send and whether to sync after every recomputation."""

    __tablename__ = "sync_setting"
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    columns: Mapped[str] = mapped_column(String(20), default="standards")  # standards | overall | both
    auto_sync: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SyncLineItem(Base):
    """A gradebook column the tool may post to: created by the tool, found in its own listing, or from a launch."""

    __tablename__ = "sync_line_item"
    __table_args__ = (UniqueConstraint("course_id", "url", name="uq_sync_line_item_course_url"),
                      Index("ix_sync_line_item_course_target", "course_id", "target"))
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(60))  # "standard:<id>" or "overall"
    url: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(500), default="")
    score_maximum: Mapped[float] = mapped_column(Float, default=1.0)
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(100), default="")
    origin: Mapped[str] = mapped_column(String(20), default="created")  # created | found | launch
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One request to sync a course: the items it planned and how many were unchanged."""

    __tablename__ = "sync_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="teacher")  # teacher | cli | auto | override
    requested_by: Mapped[str] = mapped_column(String(255), default="")
    planned: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncItem(Base):
    """One score to publish (the outbox row): pending until the LMS acknowledges it, then never sent again."""

    __tablename__ = "sync_item"
    __table_args__ = (Index("ix_sync_item_course_status", "course_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[str] = mapped_column(String(255))  # the LTI subject the LMS knows the student by
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    level_label: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)  # whole seconds, increasing per column and user
    # pending -> sending -> sent | kept (LMS kept a teacher's grade) | failed; superseded by a newer item
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lms_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lms_message: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SyncedScore(Base):
    """Per student and column: the last score planned and the last one the LMS acknowledged (or holds)."""

    __tablename__ = "synced_score"
    __table_args__ = (UniqueConstraint("course_id", "person_id", "target", name="uq_synced_score_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(60))
    planned_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    planned_label: Mapped[str] = mapped_column(String(200), default="")
    last_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lms_score: Mapped[float | None] = mapped_column(Float, nullable=True)  # what the LMS holds, when it differs
    lms_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
