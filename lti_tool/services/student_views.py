"""Read models of the student area: the overview of every standard, one standard's evidence and explanation,
the overall grade and what would change it, and a never-saved "what if" computed by the same engine.

Explanations come from the stored engine trace (``engine.explain``); nothing here re-derives the maths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from lti_tool import engine
from lti_tool.engine.numbers import format_number
from lti_tool.storage.models import (
    Course,
    CourseFramework,
    MasteryResultRecord,
    OverallGradeRecord,
    Person,
    Standard,
)
from lti_tool.storage.models.base import utcnow

from .errors import NotFound, ServiceError
from .grading import CoursePolicy, course_policy, standard_inputs

#: Used when a scale level has no colour: a colour-blind-safe ramp from lowest to highest.
_FALLBACK_COLOURS = ("#d73027", "#f1a340", "#91bfdb", "#5aae61", "#1b7837", "#00441b")
#: Trace keys holding timestamps, turned back into datetimes so explanations show dates, not ISO text.
_TIME_KEYS = ("at", "as_of")


@dataclass(frozen=True)
class LevelView:
    """A scale level as shown: label, points, colour, and its rank (0 = lowest) out of `of` levels."""

    label: str
    points: float
    description: str
    colour: str
    rank: int
    of: int


@dataclass(frozen=True)
class StandardSummary:
    """One standard's current result for one student (level None: no evidence yet)."""

    standard_id: int
    code: str
    label: str
    statement: str
    score: float | None
    level: LevelView | None
    mastered: bool
    evidence_count: int
    overridden: bool
    changed: bool


@dataclass(frozen=True)
class GradeNext:
    """What would lift an average-based grade: the next letter, its cut, and how far the average must rise."""

    grade: str
    min_average: float
    rise: float


@dataclass(frozen=True)
class GradeSummary:
    """The overall letter grade with its explanation and, for average rules, what would change it."""

    letter: str | None
    average: float | None
    kind: str
    sentences: list[engine.Sentence]
    next: GradeNext | None
    changed: bool


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows for one student."""

    student: Person
    course: Course
    levels: list[LevelView]  # highest first
    standards: list[StandardSummary]
    grade: GradeSummary | None
    since: datetime | None

    @property
    def mastered_count(self) -> int:
        """How many standards are mastered."""
        return sum(1 for item in self.standards if item.mastered)


@dataclass(frozen=True)
class EvidenceLine:
    """One evidence item of a standard as the trace recorded it: counted (with points) or left out (with why)."""

    assignment: str
    at: datetime | None
    counted: bool
    reason: str  # "" when counted; excused | missing | replaced | after_as_of
    score: float | None
    max: float | None
    percent: float | None
    points: float | None
    level: LevelView | None
    replaced_by: str


@dataclass(frozen=True)
class StandardDetail:
    """One standard for one student: the summary, every evidence line, and the explanation sentences."""

    summary: StandardSummary
    levels: list[LevelView]
    evidence: list[EvidenceLine]
    sentences: list[engine.Sentence]
    mastery_points: float
    method_label: str


@dataclass(frozen=True)
class WhatIf:
    """A hypothetical result after one more score; never stored."""

    points: float
    current_score: float | None
    current_level: LevelView | None
    score: float | None
    level: LevelView | None
    mastered: bool
    sentences: list[engine.Sentence]


class _StoredResult:
    """A stored trace in the shape ``engine.explain`` reads (it only looks at ``trace``)."""

    def __init__(self, trace: Sequence[Mapping[str, Any]]) -> None:
        self.trace = tuple(stored_step(step) for step in trace)


def stored_step(step: Mapping[str, Any]) -> engine.Step:
    """A JSON trace step back as an engine Step, with its timestamps as datetimes again."""
    data = {key: value for key, value in step.items() if key != "step"}
    for key in _TIME_KEYS:
        if isinstance(data.get(key), str):
            data[key] = datetime.fromisoformat(data[key])
    return engine.Step(str(step["step"]), data)


def explain_stored(trace: Sequence[Mapping[str, Any]]) -> list[engine.Sentence]:
    """Explanation sentences of a stored mastery trace."""
    return engine.explain(cast(engine.MasteryResult, _StoredResult(trace)))


def explain_stored_grade(trace: Sequence[Mapping[str, Any]]) -> list[engine.Sentence]:
    """Explanation sentences of a stored overall-grade trace."""
    return engine.explain_grade(cast(engine.GradeResult, _StoredResult(trace)))


def level_views(policy: engine.Policy) -> list[LevelView]:
    """The scale's levels, highest first, each with a colour (the scale's own, else a fallback ramp)."""
    levels = policy.scale.levels
    count = len(levels)
    views = []
    for index, level in enumerate(levels):
        rank = count - 1 - index
        colour = level.color or _FALLBACK_COLOURS[min(rank, len(_FALLBACK_COLOURS) - 1)]
        views.append(LevelView(level.label, level.points, level.description, colour, rank, count))
    return views


def overview(session: Session, course_id: int, student: Person, since: datetime | None) -> Overview:
    """Every live standard of the course with the student's result, and the overall grade."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound("No such course.")
    rules = course_policy(session, course_id)
    levels = level_views(rules.policy)
    results = {row.standard_id: row for row in session.scalars(
        select(MasteryResultRecord).options(defer(MasteryResultRecord.trace))
        .where(MasteryResultRecord.course_id == course_id, MasteryResultRecord.person_id == student.id))}
    summaries = [_summary(standard, results.get(standard.id), levels, since)
                 for standard in course_standards(session, course_id)]
    return Overview(student, course, levels, summaries, _grade(session, course_id, student.id, rules, since), since)


def course_standards(session: Session, course_id: int) -> list[Standard]:
    """The live standards of the course's framework, in framework order (domains and clusters left out)."""
    return list(session.scalars(
        select(Standard).join(CourseFramework, CourseFramework.framework_id == Standard.framework_id)
        .where(CourseFramework.course_id == course_id, Standard.retired_at.is_(None))
        .order_by(Standard.position, Standard.id)))


def standard_detail(session: Session, course_id: int, student: Person, standard_id: int,
                    since: datetime | None = None) -> StandardDetail:
    """One standard of the course for the student, with evidence lines and explanation from the stored trace."""
    standard = _course_standard(session, course_id, standard_id)
    rules = course_policy(session, course_id)
    levels = level_views(rules.policy)
    row = session.scalar(select(MasteryResultRecord).where(MasteryResultRecord.course_id == course_id,
                                                           MasteryResultRecord.person_id == student.id,
                                                           MasteryResultRecord.standard_id == standard_id))
    trace = row.trace if row is not None else []
    sentences = explain_stored(trace) if trace else []
    return StandardDetail(_summary(standard, row, levels, since), levels, _evidence_lines(trace, levels), sentences,
                          rules.policy.scale.mastery_points, rules.policy.method.info.label)


def what_if(session: Session, course_id: int, student: Person, standard_id: int, points: float,
            title: str, now: datetime | None = None) -> WhatIf:
    """The result the student would have after one more score of `points` (a scale level), never saved."""
    _course_standard(session, course_id, standard_id)
    rules = course_policy(session, course_id)
    scale = rules.policy.scale
    if scale.level_with_points(points) is None:
        raise ServiceError("Choose one of the scale's levels.")
    evidence, override = standard_inputs(session, course_id, student.id, standard_id)
    current = engine.calculate(evidence, rules.policy, override=override) if evidence or override else None
    moment = now or utcnow()
    latest = max((item.at for item in evidence if item.at is not None), default=None)
    if latest is not None and latest >= moment:
        moment = latest  # the hypothetical score is always the most recent one
    extra = engine.Evidence(student=str(student.id), standard=str(standard_id), assignment=title, points=points,
                            submitted_at=moment, id="what-if")
    # An override hides the calculation, so the "what if" shows what the scores alone would give.
    hypothetical = engine.calculate([*evidence, extra], rules.policy)
    levels = level_views(rules.policy)
    return WhatIf(points, current.score if current else None, _level_view(current.level if current else None, levels),
                  hypothetical.score, _level_view(hypothetical.level, levels), hypothetical.mastered,
                  engine.explain(hypothetical))


def _course_standard(session: Session, course_id: int, standard_id: int) -> Standard:
    standard = session.scalar(
        select(Standard).join(CourseFramework, CourseFramework.framework_id == Standard.framework_id)
        .where(CourseFramework.course_id == course_id, Standard.id == standard_id, Standard.retired_at.is_(None)))
    if standard is None:
        raise NotFound("No such standard in this course.")
    return standard


def _level_view(level: engine.Level | None, levels: Sequence[LevelView]) -> LevelView | None:
    if level is None:
        return None
    return next((view for view in levels if view.points == level.points), None)


def level_for_points(points: float | None, levels: Sequence[LevelView]) -> LevelView | None:
    """The level whose points match exactly (stored result rows and trace items carry exact level points)."""
    if points is None:
        return None
    return next((view for view in levels if view.points == points), None)


def _summary(standard: Standard, row: MasteryResultRecord | None, levels: Sequence[LevelView],
             since: datetime | None) -> StandardSummary:
    has_result = row is not None and row.level_points is not None
    return StandardSummary(
        standard_id=standard.id, code=standard.code or standard.identifier, label=standard.label,
        statement=standard.statement, score=row.score if row else None,
        level=level_for_points(row.level_points, levels) if has_result and row else None,
        mastered=bool(row and row.mastered), evidence_count=row.evidence_count if row else 0,
        overridden=bool(row and row.overridden),
        changed=bool(row and since is not None and row.changed_at > since),
    )


def _evidence_lines(trace: Sequence[Mapping[str, Any]], levels: Sequence[LevelView]) -> list[EvidenceLine]:
    lines = []
    for raw in trace:
        step = stored_step(raw)
        if step.kind not in ("evidence", "dropped"):
            continue
        data = step.data
        counted = step.kind == "evidence"
        points = data.get("points") if counted else None
        lines.append(EvidenceLine(
            assignment=str(data.get("assignment") or ""), at=data.get("at"), counted=counted,
            reason="" if counted else str(data.get("reason", "")), score=data.get("score"), max=data.get("max"),
            percent=data.get("percent"), points=points, level=_nearest_level(points, levels),
            replaced_by=str(data.get("replaced_by") or ""),
        ))
    return lines


def _nearest_level(points: float | None, levels: Sequence[LevelView]) -> LevelView | None:
    """The level an evidence item's points fall in (a rubric rating may sit between levels)."""
    if points is None:
        return None
    reached = [view for view in levels if view.points <= points]
    return reached[0] if reached else levels[-1]


def _grade(session: Session, course_id: int, person_id: int, rules: CoursePolicy,
           since: datetime | None) -> GradeSummary | None:
    if rules.grade_rules is None:
        return None
    row = session.scalar(select(OverallGradeRecord).where(OverallGradeRecord.course_id == course_id,
                                                          OverallGradeRecord.person_id == person_id))
    if row is None:
        return None
    return GradeSummary(row.letter, row.average, rules.grade_rules.kind, explain_stored_grade(row.trace),
                        grade_next(rules.grade_rules, row.letter, row.average),
                        since is not None and row.changed_at > since)


def grade_next(rules: engine.GradeRules, letter: str | None, average: float | None) -> GradeNext | None:
    """For average-based grades: the next higher letter and how much the average must rise to reach it."""
    if rules.kind != "average" or average is None:
        return None
    higher = [cut for cut in rules.cuts if cut.min_average > average]
    if not higher:
        return None
    target = min(higher, key=lambda cut: cut.min_average)
    if target.grade == letter:
        return None
    return GradeNext(target.grade, target.min_average, engine_round(target.min_average - average))


def engine_round(value: float) -> float:
    """A difference of rounded numbers without float noise (3.5 - 3.48 is 0.02, not 0.020000000000000018)."""
    return float(format_number(value))
