"""Recalculate stored mastery results and overall grades of a course from its evidence, overrides and policy.

Rows written: one MasteryResultRecord per (student, standard) that has evidence aligned to it or an active
override; a standard with neither gets no row (the student pages show it as "no evidence yet"). A row whose
evidence has all gone is kept with a null score, so the change is visible and synced. `changed_at` moves only
when the score or level changes; the trace is refreshed every time. Deterministic: rows are read in id order.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool import engine
from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    CourseFramework,
    Enrollment,
    EvidenceRecord,
    MasteryResultRecord,
    OverallGradeRecord,
    OverrideRecord,
    Standard,
)
from lti_tool.storage.models.base import utcnow

from .errors import NotFound
from .policies import effective_grade_rules, effective_policy

log = logging.getLogger(__name__)

#: Enrollment role of learners (the area a Learner launch opens).
LEARNER_ROLE = "student"


@dataclass(frozen=True)
class RecalcSummary:
    """What a recalculation did: pairs whose score or level changed, and students whose grade changed."""

    course_id: int
    students: int
    results_written: int
    changed: tuple[tuple[int, int], ...]  # (person_id, standard_id), sorted
    grades_changed: tuple[int, ...]  # person_ids, sorted


@dataclass(frozen=True)
class CoursePolicy:
    """The engine policy of a course and its overall-grade rules (None when the district uses no letter grade)."""

    policy: engine.Policy
    grade_rules: engine.GradeRules | None


def recalculate_course(session: Session, course_id: int, now: datetime | None = None) -> RecalcSummary:
    """Recalculate every active learner of the course."""
    learners = session.scalars(
        select(Enrollment.person_id).where(Enrollment.course_id == course_id, Enrollment.role == LEARNER_ROLE,
                                           Enrollment.active.is_(True)).order_by(Enrollment.person_id)
    ).all()
    return recalculate_students(session, course_id, learners, now)


def recalculate_students(
    session: Session, course_id: int, person_ids: Iterable[int], now: datetime | None = None
) -> RecalcSummary:
    """Recalculate the given people of the course (only those actively enrolled as learners are written)."""
    moment = now or utcnow()
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"course {course_id}")
    wanted = sorted(set(person_ids))
    people = _active_learners(session, course_id, wanted)
    standards = _course_standards(session, course_id)
    if not people or not standards:
        return RecalcSummary(course_id, len(people), 0, (), ())
    rules = course_policy(session, course_id)
    evidence = _engine_evidence(session, course_id, people, standards)
    overrides = _active_overrides(session, course_id, people)
    existing = {(row.person_id, row.standard_id): row for row in session.scalars(
        select(MasteryResultRecord).where(MasteryResultRecord.course_id == course_id,
                                          MasteryResultRecord.person_id.in_(people)))}

    changed: list[tuple[int, int]] = []
    written = 0
    scores_by_person: dict[int, list[tuple[str, float | None]]] = defaultdict(list)
    for person_id in people:
        for standard_id in standards:
            key = (person_id, standard_id)
            items = evidence.get(key, [])
            override = overrides.get(key)
            row = existing.get(key)
            if not items and override is None and row is None:
                continue
            result = engine.calculate(items, rules.policy, override=override)
            if _store_result(session, course_id, key, result, row, moment):
                changed.append(key)
            written += 1
            scores_by_person[person_id].append((str(standard_id), result.score))

    grades_changed = []
    if rules.grade_rules is not None:
        for person_id in people:
            if _store_grade(session, course_id, person_id, scores_by_person.get(person_id, []), rules.grade_rules,
                            moment):
                grades_changed.append(person_id)
    session.flush()
    return RecalcSummary(course_id, len(people), written, tuple(sorted(changed)), tuple(grades_changed))


def standard_inputs(session: Session, course_id: int, person_id: int,
                    standard_id: int) -> tuple[list[engine.Evidence], engine.Override | None]:
    """The engine evidence and active override of one learner on one standard (e.g. for a "what if")."""
    evidence = _engine_evidence(session, course_id, [person_id], [standard_id])
    override = _active_overrides(session, course_id, [person_id]).get((person_id, standard_id))
    return evidence.get((person_id, standard_id), []), override


def course_policy(session: Session, course_id: int) -> CoursePolicy:
    """The engine policy and letter-grade rules in force for a course (course -> framework -> district)."""
    return CoursePolicy(effective_policy(session, course_id), effective_grade_rules(session, course_id))


def _active_learners(session: Session, course_id: int, person_ids: Sequence[int]) -> list[int]:
    if not person_ids:
        return []
    return list(session.scalars(
        select(Enrollment.person_id).where(Enrollment.course_id == course_id, Enrollment.role == LEARNER_ROLE,
                                           Enrollment.active.is_(True), Enrollment.person_id.in_(person_ids))
        .order_by(Enrollment.person_id)))


def _course_standards(session: Session, course_id: int) -> list[int]:
    """Ids of the live (not retired) standards of the course's framework."""
    return list(session.scalars(
        select(Standard.id).join(CourseFramework, CourseFramework.framework_id == Standard.framework_id)
        .where(CourseFramework.course_id == course_id, Standard.retired_at.is_(None))
        .order_by(Standard.position, Standard.id)))


def _engine_evidence(session: Session, course_id: int, people: Sequence[int],
                     standards: Sequence[int]) -> dict[tuple[int, int], list[engine.Evidence]]:
    """Evidence per (person, standard): each record once per alignment of its assignment (or criterion)."""
    rows = session.execute(
        select(EvidenceRecord, Alignment.standard_id, Alignment.weight, Assignment.title, Assignment.reassesses_id,
               Assignment.points_possible)
        .join(Alignment, (Alignment.assignment_id == EvidenceRecord.assignment_id)
              & (Alignment.rubric_criterion == EvidenceRecord.rubric_criterion))
        .join(Assignment, Assignment.id == EvidenceRecord.assignment_id)
        .where(EvidenceRecord.course_id == course_id, EvidenceRecord.person_id.in_(people),
               Alignment.standard_id.in_(standards), Assignment.course_id == course_id,
               Assignment.not_standards_based.is_(False))
        .order_by(EvidenceRecord.id, Alignment.id)
    ).all()
    # Which evidence items belong to each assignment, so a reassessment can name the one it replaces.
    by_assignment: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    for record, standard_id, *_ in rows:
        by_assignment[(record.person_id, standard_id, record.assignment_id)].append(_evidence_id(record))
    grouped: dict[tuple[int, int], list[engine.Evidence]] = defaultdict(list)
    for record, standard_id, weight, title, reassesses_id, points_possible in rows:
        if weight is not None and weight <= 0:
            continue  # a zero weight switches an alignment off
        replaces = None
        if reassesses_id is not None:
            originals = by_assignment.get((record.person_id, standard_id, reassesses_id), [])
            replaces = originals[0] if originals else None
        item = _to_engine(record, standard_id, title, replaces, points_possible, 1.0 if weight is None else weight)
        if item is not None:
            grouped[(record.person_id, standard_id)].append(item)
    return grouped


def _evidence_id(record: EvidenceRecord) -> str:
    return f"e{record.id}"


def _to_engine(record: EvidenceRecord, standard_id: int, title: str, replaces: str | None,
               points_possible: float | None, weight: float) -> engine.Evidence | None:
    """One engine evidence item, or None for ungraded or unusable rows (logged, never fatal for the course).

    The alignment's weight rides on the item: the methods that take a mean count it that many times.
    """
    fields: dict[str, Any] = {
        "student": str(record.person_id), "standard": str(standard_id), "assignment": title or "",
        "assignment_id": str(record.assignment_id), "id": _evidence_id(record), "replaces": replaces,
        "submitted_at": record.submitted_at, "graded_at": record.graded_at,
        "excused": record.excused, "missing": record.missing, "late": record.late, "weight": weight,
    }
    maximum = record.max_score if record.max_score else points_possible
    if record.rubric_points is not None:
        fields["points"] = record.rubric_points
    elif record.score is not None and maximum:
        fields["score"], fields["max_score"] = record.score, maximum
    elif not (record.excused or record.missing):
        return None  # not graded yet
    try:
        return engine.Evidence(**fields)
    except engine.EvidenceError as error:
        log.warning("evidence %s skipped: %s %s", record.id, error.field, error.message)
        return None


def _active_overrides(session: Session, course_id: int,
                      people: Sequence[int]) -> dict[tuple[int, int], engine.Override]:
    """The newest active override per (person, standard)."""
    found: dict[tuple[int, int], engine.Override] = {}
    for record in session.scalars(
        select(OverrideRecord).where(OverrideRecord.course_id == course_id, OverrideRecord.person_id.in_(people),
                                     OverrideRecord.removed_at.is_(None))
        .order_by(OverrideRecord.set_at, OverrideRecord.id)
    ):
        found[(record.person_id, record.standard_id)] = engine.Override(
            points=record.level_points, reason=record.reason, by=record.set_by, at=record.set_at)
    return found


def _store_result(session: Session, course_id: int, key: tuple[int, int], result: engine.MasteryResult,
                  row: MasteryResultRecord | None, moment: datetime) -> bool:
    """Upsert one result row; True when its score or level changed (a new row counts as changed)."""
    person_id, standard_id = key
    label = result.level.label if result.level else None
    points = result.level.points if result.level else None
    if row is None:
        row = MasteryResultRecord(course_id=course_id, person_id=person_id, standard_id=standard_id,
                                  changed_at=moment)
        session.add(row)
        changed = True
    else:
        changed = row.score != result.score or row.level_label != label or row.level_points != points
        if changed:
            row.changed_at = moment
    row.score = result.score
    row.level_label = label
    row.level_points = points
    row.mastered = result.mastered
    row.evidence_count = result.evidence_count
    row.overridden = result.override is not None
    row.trace = result.trace_dicts()
    row.computed_at = moment
    return changed


def _store_grade(session: Session, course_id: int, person_id: int, scores: list[tuple[str, float | None]],
                 rules: engine.GradeRules, moment: datetime) -> bool:
    """Upsert one overall grade; True when the letter or average changed."""
    grade = engine.overall_grade(scores, rules)
    row = session.scalar(select(OverallGradeRecord).where(OverallGradeRecord.course_id == course_id,
                                                          OverallGradeRecord.person_id == person_id))
    if row is None:
        row = OverallGradeRecord(course_id=course_id, person_id=person_id, changed_at=moment)
        session.add(row)
        changed = True
    else:
        changed = row.letter != grade.grade or row.average != grade.average
        if changed:
            row.changed_at = moment
    row.letter = grade.grade
    row.average = grade.average
    row.trace = grade.trace_dicts()
    row.computed_at = moment
    return changed


__all__ = ["CoursePolicy", "RecalcSummary", "course_policy", "recalculate_course", "recalculate_students",
           "standard_inputs"]
