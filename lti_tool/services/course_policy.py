"""A teacher's course policy: which settings they may change, a preview of whose levels would change, saving.

The district's locked settings stay as the admin set them (`policies.save_policy` refuses them). The preview
saves the proposed policy and recalculates inside a savepoint that is always rolled back, so it uses exactly
the code path a real save uses and changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from . import policies
from .errors import ServiceError

#: Settings a course page offers (the scale stays the district's, so every course reports on one scale).
TEACHER_KEYS = ("method", "conversion", "rounding", "missing", "reassessment")


@dataclass(frozen=True)
class CoursePolicyForm:
    """What the course policy page shows: the merged document, editable keys, locked keys and sources."""

    document: dict[str, Any]
    editable: tuple[str, ...]
    locked: tuple[str, ...]
    sources: dict[str, str]


@dataclass(frozen=True)
class PolicyPreview:
    """How many students (and cells) would change level under a proposed policy."""

    students_changed: int
    cells_changed: int
    students: int


def policy_form(session: Session, course_id: int) -> CoursePolicyForm:
    """The course's policy with what the teacher may change."""
    resolved = policies.resolve_course_policy(session, course_id)
    editable = tuple(key for key in TEACHER_KEYS if key not in resolved.locked)
    return CoursePolicyForm(copy.deepcopy(resolved.document), editable, resolved.locked, dict(resolved.sources))


def _course_settings(session: Session, course_id: int, proposed: Mapping[str, Any]) -> dict[str, Any]:
    form = policy_form(session, course_id)
    refused = [key for key in proposed if key not in form.editable]
    if refused:
        raise ServiceError(f"These settings cannot be changed for this course: {', '.join(sorted(refused))}.")
    current = policies.resolve_course_policy(session, course_id)
    own = {key: value for key, value in current.document.items()
           if current.sources.get(key) == "course" and key in form.editable}
    own.update(copy.deepcopy(dict(proposed)))
    return own


def preview(session: Session, course_id: int, proposed: Mapping[str, Any], *, actor: str) -> PolicyPreview:
    """Count the students whose level on any standard would change; nothing is kept."""
    from .grading import recalculate_course

    district_id = policies._course_scope(session, course_id)[0]
    settings = _course_settings(session, course_id, proposed)
    session.flush()
    savepoint = session.begin_nested()
    try:
        policies.save_policy(session, district_id, settings=settings, course_id=course_id, actor=actor)
        summary = recalculate_course(session, course_id)
    finally:
        savepoint.rollback()
    session.expire_all()  # rows touched inside the savepoint must be re-read from the database
    return PolicyPreview(len({person for person, _ in summary.changed}), len(summary.changed), summary.students)


def save(session: Session, course_id: int, proposed: Mapping[str, Any], *, actor: str) -> PolicyPreview:
    """Save the course policy, recalculate the course and (when the course syncs automatically) plan a sync."""
    from .sync import recalculate_and_plan

    district_id = policies._course_scope(session, course_id)[0]
    policies.save_policy(session, district_id, settings=_course_settings(session, course_id, proposed),
                         course_id=course_id, actor=actor)
    summary, _run = recalculate_and_plan(session, course_id, actor=actor)
    return PolicyPreview(len({person for person, _ in summary.changed}), len(summary.changed), summary.students)
