"""Evidence intake: store assignments and scores pulled from Canvas or Moodle, or read from a gradebook CSV.

Idempotent: each score is compared with what is stored, so a second pull of the same data changes nothing
and reports every item as unchanged. A pull is written a page at a time and each page is committed whole
(with the recalculation of its students), so a pull that fails half way leaves no half-written page, and the
next pull, which starts from the same cursor as the failed one, picks up the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.adapters.canvas import CanvasClient, submission_from_json
from lti_tool.adapters.http import LmsError, LmsUnauthorized
from lti_tool.adapters.importers.gradebook_csv import (
    CsvProblem,
    GradebookFormatError,
    GradebookImport,
    parse_gradebook_csv,
)
from lti_tool.adapters.lms_records import LmsAssignment, LmsOutcomeLink, LmsSubmission
from lti_tool.adapters.moodle import MoodleClient
from lti_tool.storage.models import (
    Assignment,
    Course,
    Enrollment,
    EvidenceRecord,
    Person,
    Platform,
)
from lti_tool.storage.models.base import utcnow

from . import audit, lms_credentials
from .errors import NotFound, ServiceError
from .pull_status import ensure_pull_record
from .sync import recalculate_and_plan

log = logging.getLogger(__name__)

#: Students written (and recalculated) per committed step of a Moodle pull or a CSV preview's count.
STUDENTS_PER_STEP = 100
#: Canvas's graded_since is compared with the LMS clock: ask again for a few minutes before the last pull.
CURSOR_OVERLAP = timedelta(minutes=5)
#: Where a source's assignment ids live: a Canvas export uses Canvas ids, so both share one Assignment row.
ASSIGNMENT_SOURCE = {"canvas": "canvas", "canvas_csv": "canvas", "moodle": "moodle", "moodle_csv": "moodle_csv"}

Commit = Callable[[], None]


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


@dataclass
class IntakeCounts:
    """What a pull or import did to the stored evidence, and what it saw that the teacher should know."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    assignments_added: int = 0
    assignments_updated: int = 0
    extra_credit: int = 0
    no_maximum: int = 0
    ungraded: int = 0
    excused: int = 0
    missing: int = 0
    unmatched_students: set[str] = field(default_factory=set)
    recalculated: set[int] = field(default_factory=set)
    recalculation_note: str = ""
    # What the LMS would not tell (e.g. a Moodle function missing from the service); the pull went on without it.
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts (stored with the pull, shown to the teacher)."""
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "assignments_added": self.assignments_added, "assignments_updated": self.assignments_updated,
                "extra_credit": self.extra_credit, "no_maximum": self.no_maximum, "ungraded": self.ungraded,
                "excused": self.excused, "missing": self.missing,
                "unmatched_students": sorted(self.unmatched_students), "recalculated": len(self.recalculated),
                "recalculation_note": self.recalculation_note, "notes": list(self.notes)}

    def describe(self) -> str:
        """The one-line summary the CLI prints."""
        line = f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}"
        extras = [f"{value} {label}" for value, label in (
            (self.extra_credit, "above the maximum (extra credit)"), (self.no_maximum, "without a maximum"),
            (self.ungraded, "not graded yet"), (self.excused, "excused"), (self.missing, "missing"),
            (len(self.unmatched_students), "from students not on the roster")) if value]
        line += f" ({'; '.join(extras)})" if extras else ""
        return " ".join([line + ("." if self.notes else ""), *self.notes])


@dataclass(frozen=True)
class EvidenceRow:
    """One stored evidence item as `sbg evidence list` prints it."""

    student_lms_id: str
    assignment_lms_id: str
    title: str
    rubric_criterion: str
    score: float | None
    max_score: float | None
    at: datetime | None
    flags: tuple[str, ...]


# ---------------------------------------------------------------------------
# Storing one batch
# ---------------------------------------------------------------------------


def _rubric_json(assignment: LmsAssignment, links: Sequence[LmsOutcomeLink]) -> list[dict[str, Any]]:
    guid_by_criterion = {link.criterion_lms_id: link for link in links if link.criterion_lms_id}
    rows = []
    for criterion in assignment.rubric:
        link = guid_by_criterion.get(criterion.lms_id)
        rows.append({"id": criterion.lms_id, "description": criterion.description, "points": criterion.points,
                     "outcome_id": criterion.outcome_lms_id,
                     "outcome_title": link.outcome_title if link else None,
                     "vendor_guid": (link.vendor_guid if link else None) or criterion.outcome_vendor_guid})
    return rows


def _assignment_values(assignment: LmsAssignment, links: Sequence[LmsOutcomeLink]) -> dict[str, Any]:
    whole_links = [{"outcome_id": link.outcome_lms_id, "title": link.outcome_title, "vendor_guid": link.vendor_guid}
                   for link in links if not link.criterion_lms_id]
    extra = {"grading_type": assignment.grading_type, "omit_from_final_grade": assignment.omit_from_final_grade,
             "kind": assignment.kind, "module_id": assignment.module_lms_id, "outcome_links": whole_links}
    return {"title": assignment.title, "description": assignment.description,
            "points_possible": assignment.points_possible, "due_at": assignment.due_at,
            "published": assignment.published, "rubric": _rubric_json(assignment, links),
            "extra": {k: v for k, v in extra.items() if v not in (None, [], False)}}


def store_assignments(session: Session, course_id: int, assignments: Iterable[LmsAssignment],
                      links: Sequence[LmsOutcomeLink], fetched_at: datetime, counts: IntakeCounts,
                      *, keep_details: bool = False) -> dict[str, Assignment]:
    """Upsert the course's assignments (by source and LMS id); returns them by LMS id.

    `keep_details` leaves fields a CSV export does not carry (description, due date, rubric) as they are.
    """
    by_id: dict[str, Assignment] = {}
    links_by_assignment: dict[str, list[LmsOutcomeLink]] = {}
    for link in links:
        links_by_assignment.setdefault(link.assignment_lms_id, []).append(link)
    wanted = list(assignments)
    for source in {ASSIGNMENT_SOURCE[a.source] for a in wanted}:
        ids = [a.lms_id for a in wanted if ASSIGNMENT_SOURCE[a.source] == source]
        for row in session.scalars(select(Assignment).where(Assignment.course_id == course_id,
                                                            Assignment.source == source,
                                                            Assignment.lms_id.in_(ids))):
            by_id[row.lms_id] = row
    for lms_assignment in wanted:
        values = _assignment_values(lms_assignment, links_by_assignment.get(lms_assignment.lms_id, []))
        if keep_details:
            values = {k: values[k] for k in ("title", "points_possible")}
        found = by_id.get(lms_assignment.lms_id)
        if found is None:
            created = Assignment(course_id=course_id, source=ASSIGNMENT_SOURCE[lms_assignment.source],
                                 lms_id=lms_assignment.lms_id, fetched_at=fetched_at, **values)
            session.add(created)
            by_id[lms_assignment.lms_id] = created
            counts.assignments_added += 1
            continue
        row = found
        if keep_details and values["points_possible"] is None:
            values.pop("points_possible")  # a Moodle export has no maxima: keep what the API told us
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(row, key, value)
            row.fetched_at = fetched_at
            counts.assignments_updated += 1
    session.flush()
    return by_id


def _evidence_values(submission: LmsSubmission, score: float | None,
                     max_score: float | None) -> dict[str, Any]:
    return {"score": score, "max_score": max_score, "submitted_at": submission.submitted_at,
            "graded_at": submission.graded_at, "excused": submission.excused, "missing": submission.missing,
            "late": submission.late, "workflow_state": submission.workflow_state}


def _targets(submission: LmsSubmission, assignment: Assignment) -> Iterator[tuple[str, dict[str, Any]]]:
    """The evidence rows one submission becomes: the whole assignment, then each assessed rubric criterion."""
    maximum = submission.max_score if submission.max_score is not None else assignment.points_possible
    yield "", _evidence_values(submission, submission.score, maximum)
    criterion_max = {str(c.get("id")): c.get("points") for c in assignment.rubric or []}
    for criterion in submission.criterion_scores:
        yield criterion.criterion_lms_id, _evidence_values(
            submission, criterion.points, criterion_max.get(criterion.criterion_lms_id))


def _note_flags(values: Mapping[str, Any], counts: IntakeCounts) -> None:
    score, maximum = values["score"], values["max_score"]
    if values["excused"]:
        counts.excused += 1
    elif values["missing"] and score is None:
        counts.missing += 1
    elif score is None:
        counts.ungraded += 1
    elif not maximum:
        counts.no_maximum += 1
    elif score > maximum:
        counts.extra_credit += 1


def store_submissions(session: Session, course: Course, assignments: Mapping[str, Assignment],
                      submissions: Sequence[LmsSubmission], people: Mapping[str, int], fetched_at: datetime,
                      counts: IntakeCounts) -> set[int]:
    """Upsert the evidence of these submissions; returns the people whose evidence changed."""
    changed_people: set[int] = set()
    wanted = [(s, assignments[s.assignment_lms_id], people.get(s.student_lms_id)) for s in submissions
              if s.assignment_lms_id in assignments]
    for submission, _, person_id in wanted:
        if person_id is None:
            counts.unmatched_students.add(submission.student_lms_id)
    person_ids = {p for _, _, p in wanted if p is not None}
    assignment_ids = {a.id for _, a, _ in wanted}
    existing = {(row.assignment_id, row.person_id, row.rubric_criterion): row for row in session.scalars(
        select(EvidenceRecord).where(EvidenceRecord.course_id == course.id,
                                     EvidenceRecord.person_id.in_(person_ids),
                                     EvidenceRecord.assignment_id.in_(assignment_ids)))} if person_ids else {}
    for submission, assignment, person_id in wanted:
        if person_id is None:
            continue
        for criterion, values in _targets(submission, assignment):
            if not criterion:
                _note_flags(values, counts)
            ref = {"assignment_id": submission.assignment_lms_id, "user_id": submission.student_lms_id}
            if criterion:
                ref["criterion_id"] = criterion
            row = existing.get((assignment.id, person_id, criterion))
            if row is None:
                row = EvidenceRecord(course_id=course.id, person_id=person_id, assignment_id=assignment.id,
                                     rubric_criterion=criterion, source=submission.source, lms_ref=ref,
                                     fetched_at=fetched_at, changed_at=fetched_at, **values)
                session.add(row)
                existing[(assignment.id, person_id, criterion)] = row
                counts.added += 1
                changed_people.add(person_id)
                continue
            if all(getattr(row, key) == value for key, value in values.items()):
                counts.unchanged += 1
                continue
            for key, value in values.items():
                setattr(row, key, value)
            row.source, row.lms_ref, row.fetched_at, row.changed_at = submission.source, ref, fetched_at, fetched_at
            counts.updated += 1
            changed_people.add(person_id)
    session.flush()
    return changed_people


def recalculate(session: Session, course_id: int, person_ids: Iterable[int], counts: IntakeCounts) -> None:
    """Recalculate the mastery of the people whose evidence changed; a course without a policy waits for one."""
    people = sorted(set(person_ids))
    if not people:
        return
    try:
        recalculate_and_plan(session, course_id, actor="intake", person_ids=people)
    except NotFound as missing:
        counts.recalculation_note = f"Mastery is not calculated yet: no {missing} is set."
        return
    counts.recalculated.update(people)


# ---------------------------------------------------------------------------
# Matching students
# ---------------------------------------------------------------------------


def course_people_by_lms_id(session: Session, course: Course) -> dict[str, int]:
    """The course's enrolled people by LMS user id (Moodle's `sub` is its user id, so it counts too)."""
    rows = session.execute(
        select(Person.id, Person.lms_user_id, Person.sub, Platform.product)
        .join(Enrollment, Enrollment.person_id == Person.id).join(Platform, Platform.id == Person.platform_id)
        .where(Enrollment.course_id == course.id)).all()
    found: dict[str, int] = {}
    for person_id, lms_user_id, sub, product in rows:
        if product == "moodle" and sub:
            found.setdefault(sub, person_id)
        if lms_user_id:
            found[lms_user_id] = person_id
    return found


def course_people_by_email(session: Session, course: Course) -> dict[str, int]:
    """The course's enrolled people by lower-case email (Moodle's grader export names no ids)."""
    rows = session.execute(select(Person.id, Person.email).join(Enrollment, Enrollment.person_id == Person.id)
                           .where(Enrollment.course_id == course.id, Person.email != "")).all()
    return {email.strip().lower(): person_id for person_id, email in rows}


# ---------------------------------------------------------------------------
# Pull bookkeeping
# ---------------------------------------------------------------------------


def _finish(session: Session, course_id: int, source: str, started: datetime, counts: IntakeCounts,
            commit: Commit, error: Exception | None = None) -> None:
    record = ensure_pull_record(session, course_id, source)
    record.finished_at = utcnow()
    record.counts = counts.as_dict()
    if error is None:
        # A pull that succeeded without some details (see IntakeCounts.notes) says so.
        record.status, record.message, record.complete_since = "ok", " ".join(counts.notes), started
    else:
        record.status = "failed"
        record.message = getattr(error, "message", None) or str(error)
    commit()


# ---------------------------------------------------------------------------
# Canvas
# ---------------------------------------------------------------------------


def _canvas_submission_pages(client: CanvasClient, course_id: str, max_scores: Mapping[str, float | None],
                             graded_since: datetime | None) -> Iterator[list[LmsSubmission]]:
    """Course-wide submissions one page at a time (grouped by student), so each page can be stored whole.

    CanvasClient.list_submissions returns only the whole list; this walks the same request page by page.
    """
    from lti_tool.adapters.canvas import PER_PAGE, format_canvas_time

    params: list[tuple[str, Any]] = [("student_ids[]", "all"), ("include[]", "rubric_assessment"),
                                     ("grouped", "true"), ("per_page", PER_PAGE)]
    if graded_since is not None:
        params.append(("graded_since", format_canvas_time(graded_since)))
    for page in client._pages(f"/courses/{course_id}/students/submissions", params):
        batch: list[LmsSubmission] = []
        for entry in page:
            if isinstance(entry, dict) and isinstance(entry.get("submissions"), list):
                batch.extend(submission_from_json(raw, max_scores) for raw in entry["submissions"])
            elif isinstance(entry, dict):
                batch.append(submission_from_json(entry, max_scores))
        yield batch


def pull_canvas(session: Session, course: Course, client: CanvasClient, *, full: bool = False,
                commit: Commit | None = None) -> IntakeCounts:
    """Pull a Canvas course: assignments and outcome links, then submissions graded since the last pull."""
    commit = commit or session.commit
    counts = IntakeCounts()
    started = utcnow()
    record = ensure_pull_record(session, course.id, "canvas")
    since = None if full or record.complete_since is None else record.complete_since - CURSOR_OVERLAP
    record.status, record.started_at = "running", started
    commit()
    lms_course = course.lms_course_id
    try:
        assignments = client.list_assignments(lms_course)
        _, links = client.outcome_links(lms_course, assignments)
        stored = store_assignments(session, course.id, assignments, links, started, counts)
        commit()
        people = course_people_by_lms_id(session, course)
        maxima = {a.lms_id: a.points_possible for a in assignments}
        for page in _canvas_submission_pages(client, lms_course, maxima, since):
            changed = store_submissions(session, course, stored, page, people, started, counts)
            recalculate(session, course.id, changed, counts)
            commit()  # this page, with its students' new results, is now whole
    except LmsError as error:
        session.rollback()
        _finish(session, course.id, "canvas", started, counts, commit, error)
        raise
    _finish(session, course.id, "canvas", started, counts, commit)
    return counts


# ---------------------------------------------------------------------------
# Moodle
# ---------------------------------------------------------------------------


def pull_moodle(session: Session, course: Course, client: MoodleClient, *,
                commit: Commit | None = None) -> IntakeCounts:
    """Pull a Moodle course: grade items, every student's grades, the assignment activities' due dates with the
    late and missing flags of each grade, and competency links (one call per web-service function)."""
    commit = commit or session.commit
    counts = IntakeCounts()
    started = utcnow()
    record = ensure_pull_record(session, course.id, "moodle")
    record.status, record.started_at = "running", started
    commit()
    try:
        data = client.pull_course(course.lms_course_id)
        counts.notes.extend(data.notes)
        for note in data.notes:
            log.info("Moodle pull of course %s: %s", course.id, note)
        stored = store_assignments(session, course.id, data.assignments, data.outcome_links, started, counts)
        commit()
        people = course_people_by_lms_id(session, course)
        by_student: dict[str, list[LmsSubmission]] = {}
        for submission in data.submissions:
            by_student.setdefault(submission.student_lms_id, []).append(submission)
        students = list(by_student)
        for start in range(0, len(students), STUDENTS_PER_STEP):
            batch = [s for student in students[start:start + STUDENTS_PER_STEP] for s in by_student[student]]
            changed = store_submissions(session, course, stored, batch, people, started, counts)
            recalculate(session, course.id, changed, counts)
            commit()
    except LmsError as error:
        session.rollback()
        _finish(session, course.id, "moodle", started, counts, commit, error)
        raise
    _finish(session, course.id, "moodle", started, counts, commit)
    return counts


# ---------------------------------------------------------------------------
# Pull with the stored credentials (web, jobs, CLI)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PullOutcome:
    """The result of pulling a course with the stored credentials; `reconnect` asks a teacher to reconnect."""

    course_id: int
    source: str
    counts: IntakeCounts | None = None
    error: str = ""
    reconnect: bool = False


def pull_course(session: Session, course_id: int, *, http: requests.Session, secret_key: str, tool_base_url: str,
                full: bool = False, person_id: int | None = None) -> PullOutcome:
    """Pull a course from its LMS with the credentials on file (a teacher's grant for Canvas, the site token
    for Moodle). An expired or revoked Canvas grant is marked for reconnection; nothing stored is lost."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"course {course_id}")
    platform = session.get(Platform, course.platform_id)
    assert platform is not None
    box = lms_credentials.SecretBox(secret_key)
    if platform.product == "moodle":
        ws = lms_credentials.moodle_ws_token(session, box, platform.id)
        client = MoodleClient(ws.url, ws.token, http)
        try:
            return PullOutcome(course_id, "moodle", pull_moodle(session, course, client))
        except LmsUnauthorized as error:
            return PullOutcome(course_id, "moodle", error=error.message)
        except LmsError as error:
            return PullOutcome(course_id, "moodle", error=error.message)
    if platform.product != "canvas":
        raise ServiceError("This platform has no API the tool can read; upload a gradebook export instead.")
    key = lms_credentials.canvas_api_key(session, box, platform.id)
    grant = (lms_credentials.grant_of(session, platform.id, person_id) if person_id is not None else None) \
        or lms_credentials.course_grant(session, course)
    if grant.status != "active":
        return PullOutcome(course_id, "canvas", error="Canvas needs to be connected again.", reconnect=True)
    oauth = lms_credentials.canvas_oauth(key, grant.api_url, tool_base_url)
    canvas = CanvasClient(grant.api_url, lms_credentials.token_source(session, box, grant, oauth), http)
    try:
        return PullOutcome(course_id, "canvas", pull_canvas(session, course, canvas, full=full))
    except LmsUnauthorized as error:
        lms_credentials.mark_needs_reconnect(session, grant)
        session.commit()
        return PullOutcome(course_id, "canvas", error=error.message, reconnect=True)
    except LmsError as error:
        return PullOutcome(course_id, "canvas", error=error.message)


# ---------------------------------------------------------------------------
# Gradebook CSV
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvPreview:
    """What importing a gradebook file would do, or the line-numbered problems that stop it."""

    source: str
    problems: tuple[CsvProblem, ...]
    students: int = 0
    assignments: tuple[tuple[str, str, bool], ...] = ()  # (lms id, title, already known)
    counts: IntakeCounts = field(default_factory=IntakeCounts)

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.problems


def _parse(data: bytes | str) -> GradebookImport:
    try:
        return parse_gradebook_csv(data)
    except GradebookFormatError as error:
        return GradebookImport(source="canvas_csv", student_key="lms_id", assignment_key="lms_id",
                               problems=(CsvProblem(1, str(error)),))


def _csv_people(session: Session, course: Course, parsed: GradebookImport) -> dict[str, int]:
    if parsed.student_key == "email":
        return course_people_by_email(session, course)
    return course_people_by_lms_id(session, course)


def _moodle_csv_assignments(session: Session, course: Course, parsed: GradebookImport) -> GradebookImport:
    """Match a Moodle export's titles to grade items pulled from Moodle, so both feed the same assignment."""
    if parsed.source != "moodle_csv":
        return parsed
    known = {row.title: row.lms_id for row in session.scalars(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.source == "moodle"))}
    if not known:
        return parsed
    from dataclasses import replace

    assignments = tuple(replace(a, source="moodle", lms_id=known[a.title]) if a.title in known else a
                        for a in parsed.assignments)
    submissions = tuple(replace(s, assignment_lms_id=known.get(s.assignment_lms_id, s.assignment_lms_id))
                        for s in parsed.submissions)
    return replace(parsed, assignments=assignments, submissions=submissions)


def _apply_csv(session: Session, course: Course, parsed: GradebookImport, counts: IntakeCounts) -> set[int]:
    moment = utcnow()
    parsed = _moodle_csv_assignments(session, course, parsed)
    stored = store_assignments(session, course.id, parsed.assignments, (), moment, counts, keep_details=True)
    # Moodle rows matched to pulled grade items are keyed by the item id; the rest by title.
    return store_submissions(session, course, stored, parsed.submissions, _csv_people(session, course, parsed),
                             moment, counts)


def preview_gradebook_csv(session: Session, course: Course, data: bytes | str) -> CsvPreview:
    """Parse a gradebook export and count what importing it would change, writing nothing."""
    parsed = _parse(data)
    if not parsed.ok:
        return CsvPreview(parsed.source, parsed.problems)
    counts = IntakeCounts()
    known = set(session.scalars(select(Assignment.lms_id).where(Assignment.course_id == course.id)))
    # A dry run: apply the file, count, then roll everything back (call it in its own unit of work).
    try:
        _apply_csv(session, course, parsed, counts)
    finally:
        session.rollback()
    assignments = tuple((a.lms_id, a.title, a.lms_id in known or a.title in known) for a in parsed.assignments)
    return CsvPreview(parsed.source, (), len(parsed.students), assignments, counts)


def import_gradebook_csv(session: Session, course: Course, data: bytes | str, *, actor: str,
                         district_id: int) -> CsvPreview:
    """Import a gradebook export in one transaction (all or nothing) and recalculate the affected students."""
    parsed = _parse(data)
    if not parsed.ok:
        return CsvPreview(parsed.source, parsed.problems)
    counts = IntakeCounts()
    changed = _apply_csv(session, course, parsed, counts)
    recalculate(session, course.id, changed, counts)
    record = ensure_pull_record(session, course.id, parsed.source)
    record.status, record.finished_at, record.counts = "ok", utcnow(), counts.as_dict()
    audit.record(session, district_id=district_id, actor=actor, action="evidence.import_csv", entity="course",
                 entity_id=course.id, after={"source": parsed.source, "added": counts.added,
                                             "updated": counts.updated, "unchanged": counts.unchanged})
    session.flush()
    assignments = tuple((a.lms_id, a.title, True) for a in parsed.assignments)
    return CsvPreview(parsed.source, (), len(parsed.students), assignments, counts)


# ---------------------------------------------------------------------------
# Reading evidence back
# ---------------------------------------------------------------------------


def evidence_flags(row: EvidenceRecord, points_possible: float | None) -> tuple[str, ...]:
    """Plain flags for one evidence item: excused, missing, late, ungraded, extra_credit, no_maximum."""
    maximum = row.max_score if row.max_score is not None else points_possible
    flags = [name for name, on in (("excused", row.excused), ("missing", row.missing), ("late", row.late)) if on]
    if row.score is None and not row.excused:
        flags.append("ungraded")
    elif row.score is not None and not maximum:
        flags.append("no_maximum")
    elif row.score is not None and maximum and row.score > maximum:
        flags.append("extra_credit")
    return tuple(flags)


def list_evidence(session: Session, course_id: int) -> list[EvidenceRow]:
    """Every evidence item of a course, by student then assignment."""
    rows = session.execute(
        select(EvidenceRecord, Assignment.lms_id, Assignment.title, Assignment.points_possible, Person.lms_user_id,
               Person.sub, Person.email)
        .join(Assignment, Assignment.id == EvidenceRecord.assignment_id)
        .join(Person, Person.id == EvidenceRecord.person_id)
        .where(EvidenceRecord.course_id == course_id)
        .order_by(Person.id, Assignment.id, EvidenceRecord.rubric_criterion)).all()
    return [EvidenceRow(student_lms_id=lms_user_id or (record.lms_ref or {}).get("user_id") or sub,
                        assignment_lms_id=lms_id, title=title, rubric_criterion=record.rubric_criterion,
                        score=record.score, max_score=record.max_score if record.max_score is not None else points,
                        at=record.graded_at or record.submitted_at or record.fetched_at,
                        flags=evidence_flags(record, points))
            for record, lms_id, title, points, lms_user_id, sub, _email in rows]


def assignment_flag_counts(session: Session, course_id: int) -> dict[int, dict[str, int]]:
    """Per assignment: how many of its (whole-assignment) evidence items carry each flag, for the teacher."""
    found: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(EvidenceRecord, Assignment.points_possible).join(Assignment, Assignment.id == EvidenceRecord.assignment_id)
        .where(EvidenceRecord.course_id == course_id, EvidenceRecord.rubric_criterion == "")).all()
    for record, points in rows:
        bucket = found.setdefault(record.assignment_id, {})
        bucket["total"] = bucket.get("total", 0) + 1
        for flag in evidence_flags(record, points):
            bucket[flag] = bucket.get(flag, 0) + 1
    return found


def evidence_count(session: Session, course_id: int) -> int:
    """How many evidence items the course holds."""
    return int(session.scalar(select(func.count(EvidenceRecord.id)).where(EvidenceRecord.course_id == course_id))
               or 0)


__all__ = [
    "CsvPreview", "EvidenceRow", "IntakeCounts", "PullOutcome", "assignment_flag_counts", "evidence_count",
    "evidence_flags", "import_gradebook_csv", "list_evidence", "preview_gradebook_csv",
    "pull_canvas", "pull_course", "pull_moodle", "recalculate", "store_assignments", "store_submissions",
]
