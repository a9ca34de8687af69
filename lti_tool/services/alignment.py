"""Teachers' alignment of assignments (or rubric criteria) to the standards of the course's framework.

Suggestions come first, from three places: standard codes written in assignment names and descriptions
(`8.EE.1`, `CCSS.Math.Content.6.RP.A.1` or its short form `6.RP.A.1`), Canvas outcome alignments of rubric
criteria (the outcome's `vendor_guid` is the standard's identifier) and Moodle competency links (the
competency's idnumber). The teacher accepts, edits or rejects them in bulk; every change is audited and
recalculates the course.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import (
    Alignment,
    Assignment,
    Course,
    CourseFramework,
    Framework,
    Platform,
    Standard,
)

from . import audit
from .sync import recalculate_and_plan
from .errors import NotFound, ServiceError

#: A dotted or dashed code-like token: `6.RP.A.1`, `CCSS.Math.Content.8.EE.A.1`, `HS-LS1-1`.
CODE_TOKEN = re.compile(r"(?<![\w.])[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)+")
_TAG = re.compile(r"<[^>]+>")
REJECTED_KEY = "rejected_suggestions"
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class Suggestion:
    """A proposed alignment and why it was proposed."""

    assignment_id: int
    rubric_criterion: str
    standard_id: int
    standard_code: str
    origin: str  # code_in_text | canvas_outcome | moodle_competency
    reason: str

    @property
    def key(self) -> str:
        """A stable key for forms: assignment, criterion and standard."""
        return f"{self.assignment_id}:{self.rubric_criterion}:{self.standard_id}"


# ---------------------------------------------------------------------------
# Course, framework and scoping
# ---------------------------------------------------------------------------


def course_of(session: Session, course_id: int, district_id: int) -> Course:
    """A course of the caller's district, or NotFound."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound("course")
    platform = session.get(Platform, course.platform_id)
    if platform is None or platform.district_id != district_id:
        raise NotFound("course")
    return course


def course_assignment(session: Session, course_id: int, assignment_id: int) -> Assignment:
    """An assignment of this course only; another course's id is NotFound (never a 403 that confirms it)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course_id:
        raise NotFound("assignment")
    return assignment


def assignment_by_lms_id(session: Session, course_id: int, lms_id: str) -> Assignment:
    """An assignment of the course by its LMS id (the CLI's handle)."""
    assignment = session.scalar(select(Assignment).where(Assignment.course_id == course_id,
                                                         Assignment.lms_id == lms_id).order_by(Assignment.id))
    if assignment is None:
        raise NotFound(f"No assignment {lms_id!r} in this course; pull the course's scores first.")
    return assignment


def course_framework(session: Session, course_id: int) -> Framework | None:
    """The framework the course is graded against, if one was chosen."""
    return session.scalar(select(Framework).join(CourseFramework, CourseFramework.framework_id == Framework.id)
                          .where(CourseFramework.course_id == course_id))


def district_frameworks(session: Session, district_id: int) -> list[Framework]:
    """The district's frameworks a teacher may pick from."""
    return list(session.scalars(select(Framework).where(Framework.district_id == district_id,
                                                        Framework.retired_at.is_(None)).order_by(Framework.title)))


def choose_framework(session: Session, course: Course, framework_id: int, *, district_id: int,
                     actor: str) -> Framework:
    """Grade the course against one of the district's frameworks (only while it has no alignments)."""
    framework = session.get(Framework, framework_id)
    if framework is None or framework.district_id != district_id:
        raise NotFound("framework")
    current = session.get(CourseFramework, course.id)
    if current is not None and current.framework_id == framework.id:
        return framework
    if current is not None and alignments_of(session, course.id):
        raise ServiceError("This course already has alignments to another framework; remove them first.")
    before = {"framework_id": current.framework_id} if current else None
    if current is None:
        current = CourseFramework(course_id=course.id, framework_id=framework.id, chosen_by=actor)
        session.add(current)
    current.framework_id, current.chosen_by = framework.id, actor
    session.flush()
    audit.record(session, district_id=district_id, actor=actor, action="course.framework", entity="course",
                 entity_id=course.id, before=before, after={"framework_id": framework.id})
    return framework


def _standards(session: Session, framework_id: int) -> list[Standard]:
    return list(session.scalars(select(Standard).where(Standard.framework_id == framework_id,
                                                       Standard.retired_at.is_(None))
                                .order_by(Standard.position, Standard.id)))


def short_code(code: str) -> str:
    """The grade-level form of a namespaced code: `CCSS.Math.Content.6.RP.A.1` -> `6.RP.A.1`."""
    parts = code.split(".")
    for index, part in enumerate(parts):
        if part[:1].isdigit() or part.upper() in ("K", "HS", "HSA", "HSF", "HSG", "HSN", "HSS"):
            return ".".join(parts[index:])
    return code


class StandardIndex:
    """Looks standards of one framework up by identifier, code or short code, case-insensitively."""

    def __init__(self, standards: Iterable[Standard]) -> None:
        self.by_key: dict[str, Standard] = {}
        for standard in standards:
            for key in (standard.identifier, standard.code, short_code(standard.code)):
                if key:
                    self.by_key.setdefault(key.strip().lower(), standard)

    def find(self, text: str | None) -> Standard | None:
        """The standard named by an identifier or (short) code, if any."""
        if not text:
            return None
        return self.by_key.get(text.strip().lower()) or self.by_key.get(short_code(text.strip()).lower())

    def codes_in(self, text: str) -> list[Standard]:
        """Standards whose code appears in free text, in order of appearance, each once."""
        found: list[Standard] = []
        for token in CODE_TOKEN.findall(_TAG.sub(" ", html.unescape(text or ""))):
            parts = re.split(r"(?=[.])", token)
            # Try the whole token, then each shorter dotted tail (a namespaced code may be written in full).
            tails = ["".join(parts[i:]).lstrip(".") for i in range(1, len(parts))]
            candidates = [token] + [tail for tail in tails if "." in tail]
            for candidate in candidates:
                standard = self.by_key.get(candidate.lower())
                if standard is not None:
                    if standard not in found:
                        found.append(standard)
                    break
        return found


def standard_index(session: Session, course_id: int) -> StandardIndex:
    """The index of the course's framework; a course without a framework cannot be aligned yet."""
    framework = course_framework(session, course_id)
    if framework is None:
        raise ServiceError("Choose the standards framework of this course first.")
    return StandardIndex(_standards(session, framework.id))


def find_standard(session: Session, course_id: int, code: str) -> Standard:
    """A standard of the course's framework by code, short code or identifier."""
    standard = standard_index(session, course_id).find(code)
    if standard is None:
        raise NotFound(f"No standard {code!r} in this course's framework.")
    return standard


# ---------------------------------------------------------------------------
# Alignments
# ---------------------------------------------------------------------------


def alignments_of(session: Session, course_id: int) -> list[Alignment]:
    """Every alignment of the course's assignments, by assignment."""
    return list(session.scalars(select(Alignment).join(Assignment, Assignment.id == Alignment.assignment_id)
                                .where(Assignment.course_id == course_id)
                                .order_by(Assignment.id, Alignment.rubric_criterion, Alignment.id)))


def _snapshot(alignment: Alignment) -> dict[str, Any]:
    return {"assignment_id": alignment.assignment_id, "standard_id": alignment.standard_id,
            "rubric_criterion": alignment.rubric_criterion, "weight": alignment.weight, "origin": alignment.origin}


def _check_target(session: Session, assignment: Assignment, standard: Standard, criterion: str, weight: float) -> None:
    framework = course_framework(session, assignment.course_id)
    if framework is None or standard.framework_id != framework.id:
        raise NotFound("standard")
    if criterion and criterion not in {str(c.get("id")) for c in assignment.rubric or []}:
        raise ServiceError(f"The assignment has no rubric criterion {criterion!r}.")
    if not 0 <= weight <= MAX_WEIGHT:
        raise ServiceError(f"A weight is a number from 0 to {MAX_WEIGHT:g}.")


def _upsert(session: Session, assignment: Assignment, standard: Standard, *, criterion: str, weight: float,
            origin: str, actor: str, district_id: int) -> Alignment:
    _check_target(session, assignment, standard, criterion, weight)
    alignment = session.scalar(select(Alignment).where(Alignment.assignment_id == assignment.id,
                                                       Alignment.standard_id == standard.id,
                                                       Alignment.rubric_criterion == criterion))
    before = _snapshot(alignment) if alignment else None
    if alignment is None:
        alignment = Alignment(assignment_id=assignment.id, standard_id=standard.id, rubric_criterion=criterion,
                              weight=weight, origin=origin, created_by=actor)
        session.add(alignment)
    elif alignment.weight == weight:
        return alignment
    alignment.weight = weight
    assignment.not_standards_based = False
    session.flush()
    audit.record(session, district_id=district_id, actor=actor, action="alignment.set", entity="alignment",
                 entity_id=alignment.id, before=before, after=_snapshot(alignment))
    return alignment


def _recalculate(session: Session, course_id: int) -> None:
    try:
        recalculate_and_plan(session, course_id, actor="alignment")
    except NotFound:
        pass  # no grading policy yet: results appear once the district sets one


def set_alignment(session: Session, assignment: Assignment, standard: Standard, *, district_id: int, actor: str,
                  criterion: str = "", weight: float = 1.0, origin: str = "teacher") -> Alignment:
    """Align an assignment (or one rubric criterion) to a standard with a weight; recalculates the course."""
    alignment = _upsert(session, assignment, standard, criterion=criterion, weight=weight, origin=origin,
                        actor=actor, district_id=district_id)
    _recalculate(session, assignment.course_id)
    return alignment


def remove_alignment(session: Session, assignment: Assignment, standard: Standard, *, district_id: int, actor: str,
                     criterion: str | None = None) -> int:
    """Remove the assignment's alignments to a standard (one criterion, or all when None); returns how many."""
    query = select(Alignment).where(Alignment.assignment_id == assignment.id, Alignment.standard_id == standard.id)
    if criterion is not None:
        query = query.where(Alignment.rubric_criterion == criterion)
    removed = 0
    for alignment in session.scalars(query).all():
        audit.record(session, district_id=district_id, actor=actor, action="alignment.remove", entity="alignment",
                     entity_id=alignment.id, before=_snapshot(alignment))
        session.delete(alignment)
        removed += 1
    session.flush()
    if removed:
        _recalculate(session, assignment.course_id)
    return removed


def remove_alignment_by_id(session: Session, course_id: int, alignment_id: int, *, district_id: int,
                           actor: str) -> None:
    """Remove one alignment of this course (another course's alignment is NotFound)."""
    alignment = session.get(Alignment, alignment_id)
    if alignment is None:
        raise NotFound("alignment")
    assignment = course_assignment(session, course_id, alignment.assignment_id)
    audit.record(session, district_id=district_id, actor=actor, action="alignment.remove", entity="alignment",
                 entity_id=alignment.id, before=_snapshot(alignment))
    session.delete(alignment)
    session.flush()
    _recalculate(session, assignment.course_id)


def mark_not_standards_based(session: Session, assignment: Assignment, flag: bool, *, district_id: int,
                             actor: str) -> None:
    """Mark an assignment as not standards-based (its scores never count) or undo it."""
    if assignment.not_standards_based == flag:
        return
    assignment.not_standards_based = flag
    session.flush()
    audit.record(session, district_id=district_id, actor=actor, action="assignment.not_standards_based",
                 entity="assignment", entity_id=assignment.id, before={"not_standards_based": not flag},
                 after={"not_standards_based": flag})
    _recalculate(session, assignment.course_id)


# ---------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------


def _rejected(assignment: Assignment) -> set[str]:
    return set((assignment.extra or {}).get(REJECTED_KEY, []))


def _suggestions_for(assignment: Assignment, index: StandardIndex) -> list[Suggestion]:
    found: list[Suggestion] = []

    def add(criterion: str, standard: Standard | None, origin: str, reason: str) -> None:
        if standard is not None and not any(s.rubric_criterion == criterion and s.standard_id == standard.id
                                            for s in found):
            found.append(Suggestion(assignment.id, criterion, standard.id, standard.code or standard.identifier,
                                    origin, reason))

    for criterion in assignment.rubric or []:
        criterion_id = str(criterion.get("id"))
        if criterion.get("vendor_guid") or criterion.get("outcome_id"):
            standard = index.find(criterion.get("vendor_guid")) or index.find(criterion.get("outcome_title"))
            title = criterion.get("outcome_title") or criterion.get("description") or ""
            add(criterion_id, standard, "canvas_outcome", f"Rubric row aligned in Canvas to outcome “{title}”")
        for standard in index.codes_in(str(criterion.get("description") or "")):
            add(criterion_id, standard, "code_in_text", "Standard code in the rubric row")
    for link in (assignment.extra or {}).get("outcome_links", []):
        origin = "moodle_competency" if assignment.source.startswith("moodle") else "canvas_outcome"
        standard = index.find(link.get("vendor_guid")) or index.find(link.get("title"))
        where = "Moodle competency" if origin == "moodle_competency" else "Canvas outcome"
        add("", standard, origin, f"Linked to {where} “{link.get('title') or link.get('vendor_guid')}”")
    for standard in index.codes_in(f"{assignment.title} {assignment.description}"):
        add("", standard, "code_in_text", "Standard code in the assignment's name or description")
    return found


def suggest(session: Session, course_id: int) -> list[Suggestion]:
    """Alignments worth proposing that are not made, not rejected, and not on not-standards-based assignments."""
    index = standard_index(session, course_id)
    existing = {(a.assignment_id, a.rubric_criterion, a.standard_id) for a in alignments_of(session, course_id)}
    suggestions = []
    for assignment in session.scalars(select(Assignment).where(Assignment.course_id == course_id)
                                      .order_by(Assignment.id)):
        if assignment.not_standards_based:
            continue
        rejected = _rejected(assignment)
        for suggestion in _suggestions_for(assignment, index):
            key = (suggestion.assignment_id, suggestion.rubric_criterion, suggestion.standard_id)
            if key not in existing and suggestion.key not in rejected:
                suggestions.append(suggestion)
    return suggestions


def accept_suggestions(session: Session, course_id: int, suggestions: Sequence[Suggestion], *, district_id: int,
                       actor: str, weights: dict[str, float] | None = None) -> int:
    """Turn suggestions into alignments (with edited weights, if given) and recalculate once."""
    made = 0
    for suggestion in suggestions:
        assignment = course_assignment(session, course_id, suggestion.assignment_id)
        standard = session.get(Standard, suggestion.standard_id)
        if standard is None:
            raise NotFound("standard")
        _upsert(session, assignment, standard, criterion=suggestion.rubric_criterion,
                weight=(weights or {}).get(suggestion.key, 1.0), origin=suggestion.origin, actor=actor,
                district_id=district_id)
        made += 1
    if made:
        _recalculate(session, course_id)
    return made


def reject_suggestions(session: Session, course_id: int, suggestions: Sequence[Suggestion], *, district_id: int,
                       actor: str) -> int:
    """Remember rejected suggestions so they are not proposed again."""
    for suggestion in suggestions:
        assignment = course_assignment(session, course_id, suggestion.assignment_id)
        extra = dict(assignment.extra or {})
        extra[REJECTED_KEY] = sorted(set(extra.get(REJECTED_KEY, [])) | {suggestion.key})
        assignment.extra = extra
        audit.record(session, district_id=district_id, actor=actor, action="alignment.reject_suggestion",
                     entity="assignment", entity_id=assignment.id,
                     after={"standard_id": suggestion.standard_id, "rubric_criterion": suggestion.rubric_criterion})
    session.flush()
    return len(suggestions)


__all__ = [
    "StandardIndex", "Suggestion", "accept_suggestions", "alignments_of", "assignment_by_lms_id", "choose_framework",
    "course_assignment", "course_framework", "course_of", "district_frameworks", "find_standard",
    "mark_not_standards_based", "reject_suggestions", "remove_alignment", "remove_alignment_by_id",
    "set_alignment", "short_code", "standard_index", "suggest",
]
