"""What the setup page shows: assignments with their alignments and flags, suggestions, the Canvas connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.services import alignment, evidence, lms_credentials
from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    EvidencePull,
    Framework,
    Platform,
    Standard,
)

FLAG_LABELS = {
    "extra_credit": "above the maximum (extra credit)",
    "no_maximum": "without a maximum",
    "ungraded": "not graded yet",
    "excused": "excused",
    "missing": "missing",
}


@dataclass
class AssignmentRow:
    """One assignment with what the teacher needs to align it."""

    assignment: Assignment
    alignments: list[tuple[Alignment, Standard]] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)


@dataclass
class SetupPage:
    """Everything the setup page renders."""

    course: Course
    platform: Platform
    framework: Framework | None
    frameworks: list[Framework]
    standards: list[Standard]
    rows: list[AssignmentRow]
    suggestions: list[tuple[alignment.Suggestion, Assignment]]
    pulls: list[EvidencePull]
    canvas: dict[str, Any]


def canvas_status(session: Session, platform: Platform, person_id: int) -> dict[str, Any]:
    """Whether the Canvas API is set up by the admin and connected by this teacher."""
    if platform.product != "canvas":
        return {"applies": False}
    configured = lms_credentials.has_credential(session, platform.id, lms_credentials.CANVAS_API)
    grant = lms_credentials.grant_of(session, platform.id, person_id)
    return {"applies": True, "configured": configured, "connected": grant is not None and grant.status == "active",
            "reconnect": grant is not None and grant.status != "active",
            "user": grant.canvas_user_name if grant else ""}


def build_page(session: Session, course: Course, platform: Platform, person_id: int) -> SetupPage:
    """Load the setup page of a course (already scoped to the caller's course)."""
    framework = alignment.course_framework(session, course.id)
    standards = list(session.scalars(select(Standard).where(Standard.framework_id == framework.id,
                                                            Standard.retired_at.is_(None))
                                     .order_by(Standard.position, Standard.id))) if framework else []
    assignments = list(session.scalars(select(Assignment).where(Assignment.course_id == course.id)
                                       .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)))
    by_id = {a.id: AssignmentRow(a) for a in assignments}
    for row in alignment.alignments_of(session, course.id):
        standard = session.get(Standard, row.standard_id)
        if standard is not None and row.assignment_id in by_id:
            by_id[row.assignment_id].alignments.append((row, standard))
    for assignment_id, counts in evidence.assignment_flag_counts(session, course.id).items():
        if assignment_id in by_id:
            by_id[assignment_id].flags = counts
    suggestions = []
    if framework is not None:
        titles = {a.id: a for a in assignments}
        suggestions = [(s, titles[s.assignment_id]) for s in alignment.suggest(session, course.id)]
    pulls = list(session.scalars(select(EvidencePull).where(EvidencePull.course_id == course.id)
                                 .order_by(EvidencePull.source)))
    return SetupPage(course, platform, framework,
                     alignment.district_frameworks(session, platform.district_id) if framework is None else [],
                     standards, [by_id[a.id] for a in assignments], suggestions, pulls,
                     canvas_status(session, platform, person_id))
