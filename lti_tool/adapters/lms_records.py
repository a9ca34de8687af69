"""Plain records the LMS clients and gradebook importers return; the evidence service stores them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

LmsSource = Literal["canvas", "moodle", "canvas_csv", "moodle_csv"]


@dataclass(frozen=True)
class LmsRubricCriterion:
    """One rubric row of an assignment, with the outcome it is aligned to in the LMS, if any."""

    lms_id: str
    description: str
    points: float | None
    outcome_lms_id: str | None = None
    outcome_vendor_guid: str | None = None


@dataclass(frozen=True)
class LmsAssignment:
    """A gradable item: a Canvas assignment or a Moodle grade item."""

    source: LmsSource
    lms_id: str
    title: str
    points_possible: float | None
    due_at: datetime | None = None
    published: bool = True
    description: str = ""
    omit_from_final_grade: bool = False
    grading_type: str | None = None
    rubric: tuple[LmsRubricCriterion, ...] = ()
    # Moodle: the course module behind a grade item (competencies link to modules, not items).
    module_lms_id: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class LmsCriterionScore:
    """Points a student got on one rubric criterion."""

    criterion_lms_id: str
    points: float | None
    comments: str = ""


@dataclass(frozen=True)
class LmsSubmission:
    """A student's result on one assignment, with the flags the grading policy needs."""

    source: LmsSource
    student_lms_id: str
    assignment_lms_id: str
    score: float | None
    max_score: float | None
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    excused: bool = False
    missing: bool = False
    late: bool = False
    workflow_state: str = "unsubmitted"
    criterion_scores: tuple[LmsCriterionScore, ...] = ()

    @property
    def is_graded(self) -> bool:
        """True when the LMS holds a score for this submission."""
        return self.score is not None


@dataclass(frozen=True)
class LmsOutcome:
    """A Canvas outcome or Moodle competency as the LMS describes it."""

    source: LmsSource
    lms_id: str
    title: str
    vendor_guid: str | None = None
    description: str = ""


@dataclass(frozen=True)
class LmsOutcomeLink:
    """An LMS-side alignment: an assignment (or one of its rubric criteria) assesses an outcome."""

    source: LmsSource
    assignment_lms_id: str
    outcome_lms_id: str
    outcome_title: str
    vendor_guid: str | None = None
    criterion_lms_id: str | None = None


@dataclass(frozen=True)
class LmsStudent:
    """A student as the LMS (or an export file) names them."""

    lms_id: str
    name: str = ""
    email: str | None = None
    sis_id: str | None = None
    login_id: str | None = None


@dataclass(frozen=True)
class LmsCourseData:
    """Everything one pull read from a course, stamped with when it was fetched."""

    source: LmsSource
    course_lms_id: str
    fetched_at: datetime
    assignments: tuple[LmsAssignment, ...]
    submissions: tuple[LmsSubmission, ...]
    outcomes: tuple[LmsOutcome, ...] = ()
    outcome_links: tuple[LmsOutcomeLink, ...] = ()
    students: tuple[LmsStudent, ...] = field(default=())
    # What the LMS would not tell (a function missing from its service, say): the pull went on without it.
    notes: tuple[str, ...] = ()
