"""Moodle web-service client (REST protocol, token auth): grade items, every student's grades, competencies,
and the assignment activities' due dates, submissions and extensions behind the late and missing flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import requests

from lti_tool.adapters.canvas_oauth import Clock, utc_now
from lti_tool.adapters.http import (
    RETRYABLE_ERRORS,
    LmsBadResponse,
    LmsError,
    LmsNotFound,
    LmsPermissionDenied,
    LmsUnauthorized,
    RatePacer,
    RequestRunner,
    RetrySettings,
    Sleep,
    decode_json,
)
from lti_tool.adapters.lms_records import (
    LmsAssignment,
    LmsCourseData,
    LmsOutcome,
    LmsOutcomeLink,
    LmsStudent,
    LmsSubmission,
)

LMS_NAME = "Moodle"
REST_PATH = "/webservice/rest/server.php"


class MoodleFunction(StrEnum):
    """Web-service functions the tool calls; the admin adds exactly these to the tool's external service."""

    SITE_INFO = "core_webservice_get_site_info"
    # One call returns every enrolled student's grade items with raw grade, maximum and timestamps (Moodle 3.2+).
    USER_GRADE_ITEMS = "gradereport_user_get_grade_items"
    # Names and ids only (Moodle 4.2+); kept for a cheap existence check of a course's items.
    GRADE_ITEMS = "core_grades_get_gradeitems"
    ENROLLED_USERS = "core_enrol_get_enrolled_users"
    # Assignment activities of a course: due date, cut-off date, whether it takes submissions (Moodle 2.4+).
    ASSIGNMENTS = "mod_assign_get_assignments"
    ASSIGNMENT_GRADES = "mod_assign_get_grades"
    # The latest attempt of every submission to the given assignments: status and time modified (Moodle 2.5+).
    ASSIGNMENT_SUBMISSIONS = "mod_assign_get_submissions"
    # Per-student flags of the given assignments, among them the extension due date (Moodle 2.6+).
    ASSIGNMENT_USER_FLAGS = "mod_assign_get_user_flags"
    COURSE_COMPETENCIES = "core_competency_list_course_competencies"
    COURSE_MODULE_COMPETENCIES = "core_competency_list_course_module_competencies"
    COURSE_COMPETENCIES_PAGE = "tool_lp_data_for_course_competencies_page"


# Error codes that mean the token itself is no good: the admin must enter a new one.
TOKEN_ERROR_CODES = frozenset({"invalidtoken", "invalidtimedtoken", "invalidiptoken", "invalidtokensession"})
# Error codes that mean the token's user or service lacks a function or capability.
PERMISSION_ERROR_CODES = frozenset({
    "accessexception", "nopermissions", "nopermissiontoviewgrades", "servicenotavailable",
    "requireloginerror", "notingroup", "usernotallowed",
})
NOT_FOUND_ERROR_CODES = frozenset({"invalidrecord", "invalidcourseid", "invalidrecordunknown"})

COMPETENCIES_DISABLED = "competenciesarenotenabled"

# Grade items that are totals of other items, not evidence.
TOTAL_ITEM_TYPES = frozenset({"course", "category"})

# The grade report's per-grade aggregation hint for a grade the teacher excluded from the totals. Moodle only
# reports it when hidden grades change the totals; otherwise an excluded grade reads "dropped", the same as a
# grade dropped by "drop the lowest", so "dropped" is not taken as excused.
EXCLUDED_STATUS = "excluded"
# An assign submission's status once the student has handed it in (others: new, draft, reopened).
SUBMITTED = "submitted"
ASSIGN_MODULE = "assign"


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Moodle's form encoding of nested parameters: `courseids[0]=2`, `options[0][name]=x`."""
    flat: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.extend(flatten_params(value, name))
        elif isinstance(value, (list, tuple)):
            flat.extend(flatten_params({str(i): item for i, item in enumerate(value)}, name))
        elif isinstance(value, bool):
            flat.append((name, "1" if value else "0"))
        elif value is not None:
            flat.append((name, str(value)))
    return flat


def raise_for_moodle_exception(body: Any) -> None:
    """Moodle reports errors as HTTP 200 with `{"exception", "errorcode", "message"}`; map them."""
    if not (isinstance(body, dict) and "exception" in body):
        return
    code = str(body.get("errorcode") or "")
    said = str(body.get("message") or code)
    if code in TOKEN_ERROR_CODES:
        raise LmsUnauthorized(f"Moodle no longer accepts the web-service token ({said}); "
                              "an admin must enter a new one.", lms_message=said, code=code)
    if code in PERMISSION_ERROR_CODES:
        raise LmsPermissionDenied(f"Moodle refused: {said}. Check that the tool's service user has the "
                                  "needed capabilities and that the function is in its external service.",
                                  lms_message=said, code=code)
    if code in NOT_FOUND_ERROR_CODES:
        raise LmsNotFound(f"Moodle could not find it: {said}.", lms_message=said, code=code)
    raise LmsError(f"Moodle reported a problem: {said}.", lms_message=said, code=code)


def _timestamp(value: Any) -> datetime | None:
    """Moodle's Unix seconds (0 or missing means never) to an aware datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def grade_item_from_json(raw: Mapping[str, Any]) -> LmsAssignment:
    """A `gradereport_user_get_grade_items` grade item to an LmsAssignment (keyed by grade item id)."""
    module = raw.get("itemmodule") or None
    return LmsAssignment(
        source="moodle",
        lms_id=str(raw["id"]),
        title=raw.get("itemname") or "",
        points_possible=_number(raw.get("grademax")),
        module_lms_id=str(raw["cmid"]) if raw.get("cmid") else None,
        kind=module or raw.get("itemtype"),
    )


def grade_from_json(student_id: str, raw: Mapping[str, Any]) -> LmsSubmission:
    """One student's grade on one item to an LmsSubmission."""
    score = _number(raw.get("graderaw"))
    submitted_at = _timestamp(raw.get("gradedatesubmitted"))
    if score is not None:
        state = "graded"
    elif submitted_at is not None:
        state = "submitted"
    else:
        state = "unsubmitted"
    return LmsSubmission(
        source="moodle",
        student_lms_id=student_id,
        assignment_lms_id=str(raw["id"]),
        score=score,
        max_score=_number(raw.get("grademax")),
        submitted_at=submitted_at,
        graded_at=_timestamp(raw.get("gradedategraded")),
        excused=raw.get("status") == EXCLUDED_STATUS,
        workflow_state=state,
    )


def competency_from_json(raw: Mapping[str, Any]) -> LmsOutcome:
    """A Moodle competency (exporter structure) to an LmsOutcome; `idnumber` carries the standard's code."""
    return LmsOutcome(
        source="moodle",
        lms_id=str(raw["id"]),
        title=raw.get("shortname") or raw.get("idnumber") or "",
        vendor_guid=raw.get("idnumber") or None,
        description=raw.get("description") or "",
    )


# ---------------------------------------------------------------------------
# Assignment activities: due dates, submissions and extensions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignActivity:
    """An assignment activity as `mod_assign_get_assignments` describes it."""

    assign_id: str
    module_id: str
    due_at: datetime | None
    cutoff_at: datetime | None
    takes_submissions: bool
    team_submission: bool
    description: str = ""


@dataclass(frozen=True)
class AssignSubmission:
    """The latest attempt of one student's submission (`mod_assign_get_submissions`)."""

    assign_id: str
    student_id: str
    status: str
    modified_at: datetime | None

    @property
    def submitted(self) -> bool:
        """True when the student handed it in (a draft or a reopened attempt is not handed in)."""
        return self.status == SUBMITTED


@dataclass
class AssignDetails:
    """What Moodle told about a course's assignment activities, and what it would not tell (`notes`)."""

    activities: dict[str, AssignActivity] = field(default_factory=dict)  # by course module id
    submissions: dict[tuple[str, str], AssignSubmission] = field(default_factory=dict)  # (assign id, user id)
    # Assignments whose submissions Moodle listed (possibly none); only these get late and missing flags, since
    # an assignment it would not list (no access, function missing) would make every student look missing.
    submissions_listed: set[str] = field(default_factory=set)
    extensions: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (assign id, user id)
    notes: list[str] = field(default_factory=list)


def assign_activity_from_json(raw: Mapping[str, Any]) -> AssignActivity:
    """One assignment of `mod_assign_get_assignments` to an AssignActivity."""
    return AssignActivity(
        assign_id=str(raw["id"]),
        module_id=str(raw["cmid"]),
        due_at=_timestamp(raw.get("duedate")),
        cutoff_at=_timestamp(raw.get("cutoffdate")),
        takes_submissions=not raw.get("nosubmissions"),
        team_submission=bool(raw.get("teamsubmission")),
        description=raw.get("intro") or "",
    )


def _warning_notes(body: Mapping[str, Any], what: str, ignored_codes: frozenset[str]) -> list[str]:
    """Moodle's per-item `warnings` (e.g. no access to one activity) as notes for the teacher."""
    notes = []
    for warning in body.get("warnings") or []:
        if str(warning.get("warningcode")) in ignored_codes:
            continue
        item = f"{warning.get('item', '')} {warning.get('itemid', '')}".strip()
        notes.append(f"Moodle did not share {what} ({item}): {warning.get('message', '')}".rstrip(": "))
    return notes


def effective_due(activity: AssignActivity, extension: datetime | None) -> datetime | None:
    """The due date that applies to one student: an extension replaces the assignment's due date."""
    return extension or activity.due_at


def is_late(activity: AssignActivity, submission: AssignSubmission | None, extension: datetime | None) -> bool:
    """Moodle's rule: handed in after the (extended) due date, judged by the submission's time modified."""
    due = effective_due(activity, extension)
    if submission is None or not submission.submitted or due is None or submission.modified_at is None:
        return False
    return submission.modified_at > due


def is_missing(activity: AssignActivity, submission: AssignSubmission | None, extension: datetime | None,
               graded: bool, now: datetime) -> bool:
    """Not handed in, not graded, and the (extended) due date has passed, for an activity that takes submissions."""
    due = effective_due(activity, extension)
    if not activity.takes_submissions or due is None or graded:
        return False
    handed_in = submission is not None and submission.submitted
    return not handed_in and now > due


def _with_submission_details(grade: LmsSubmission, activity: AssignActivity, details: AssignDetails,
                             now: datetime) -> LmsSubmission:
    """One grade-report grade with the submission time and the late and missing flags of its activity."""
    key = (activity.assign_id, grade.student_lms_id)
    submission = details.submissions.get(key)
    extension = details.extensions.get(key)
    submitted_at = grade.submitted_at
    if submission is not None and submission.submitted and submission.modified_at is not None:
        submitted_at = submission.modified_at  # the grade report's date is the same field; this one is fresher
    state = grade.workflow_state
    if grade.score is None:
        state = "submitted" if submission is not None and submission.submitted else "unsubmitted"
    return replace(grade, submitted_at=submitted_at, workflow_state=state,
                   late=is_late(activity, submission, extension),
                   missing=not grade.excused and is_missing(activity, submission, extension, grade.is_graded, now))


def apply_assign_details(assignments: Sequence[LmsAssignment], grades: Sequence[LmsSubmission],
                         details: AssignDetails, now: datetime) -> tuple[list[LmsAssignment], list[LmsSubmission]]:
    """Give assignment grade items their due date and description, and their grades the late and missing flags.

    Grade items map to activities by course module id. Team-submission activities keep their due date but get
    no per-student flags: their submissions belong to groups, which the grade report does not name. Neither do
    activities whose submissions Moodle did not list.
    """
    by_item: dict[str, AssignActivity] = {}
    updated_items = []
    for item in assignments:
        activity = details.activities.get(item.module_lms_id or "") if item.kind == ASSIGN_MODULE else None
        if activity is None:
            updated_items.append(item)
            continue
        updated_items.append(replace(item, due_at=activity.due_at, description=activity.description))
        if not activity.team_submission and activity.assign_id in details.submissions_listed:
            by_item[item.lms_id] = activity
    updated_grades = [_with_submission_details(grade, by_item[grade.assignment_lms_id], details, now)
                      if grade.assignment_lms_id in by_item else grade for grade in grades]
    return updated_items, updated_grades


class MoodleClient:
    """Calls Moodle web-service functions for one site with the tool's token."""

    def __init__(self, base_url: str, token: str, session: requests.Session, *,
                 retry: RetrySettings | None = None, pacer: RatePacer | None = None,
                 sleep: Sleep | None = None, clock: Clock = utc_now) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.runner = RequestRunner.build(session, LMS_NAME, retry=retry, pacer=pacer, sleep=sleep)
        self._clock = clock

    def __repr__(self) -> str:
        return f"MoodleClient({self.base_url!r}, token=<hidden>)"

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.runner.request_count

    def call(self, function: MoodleFunction, **params: Any) -> Any:
        """Call one function; the token travels in the POST body so it never appears in a URL or access log."""
        form = [("wstoken", self._token), ("wsfunction", function.value), ("moodlewsrestformat", "json")]
        form.extend(flatten_params(params))
        response = self.runner.send("POST", self.base_url + REST_PATH, data=form)
        body = decode_json(response, LMS_NAME)
        raise_for_moodle_exception(body)
        return body

    def site_info(self) -> dict[str, Any]:
        """Site name, release and the functions the token may call (a cheap connection test)."""
        body = self.call(MoodleFunction.SITE_INFO)
        if not isinstance(body, dict):
            raise LmsBadResponse("Moodle sent no site information.")
        return body

    def list_students(self, course_id: str) -> list[LmsStudent]:
        """Users enrolled in the course with the student role."""
        body = self.call(MoodleFunction.ENROLLED_USERS, courseid=course_id)
        if not isinstance(body, list):
            raise LmsBadResponse("Moodle sent no list of enrolled users.")
        students = []
        for user in body:
            roles = {role.get("shortname") for role in user.get("roles") or []}
            if roles and "student" not in roles:
                continue
            students.append(LmsStudent(lms_id=str(user["id"]), name=user.get("fullname") or "",
                                       email=user.get("email"), sis_id=user.get("idnumber") or None,
                                       login_id=user.get("username")))
        return students

    def gradebook(self, course_id: str) -> tuple[list[LmsAssignment], list[LmsSubmission]]:
        """Grade items and every student's grades with timestamps, from one call (userid=0 means all users)."""
        body = self.call(MoodleFunction.USER_GRADE_ITEMS, courseid=course_id, userid=0)
        usergrades = body.get("usergrades") if isinstance(body, dict) else None
        if not isinstance(usergrades, list):
            raise LmsBadResponse("Moodle's grade report answer has no usergrades list.")
        assignments: dict[str, LmsAssignment] = {}
        submissions: list[LmsSubmission] = []
        for user in usergrades:
            student_id = str(user["userid"])
            for item in user.get("gradeitems") or []:
                if item.get("itemtype") in TOTAL_ITEM_TYPES:
                    continue
                assignments.setdefault(str(item["id"]), grade_item_from_json(item))
                submissions.append(grade_from_json(student_id, item))
        return list(assignments.values()), submissions

    def list_course_competencies(self, course_id: str) -> list[LmsOutcome]:
        """Competencies the course uses (empty when the course does not use competencies)."""
        body = self.call(MoodleFunction.COURSE_COMPETENCIES, id=course_id)
        if not isinstance(body, list):
            raise LmsBadResponse("Moodle sent no list of course competencies.")
        return [competency_from_json(entry["competency"]) for entry in body if "competency" in entry]

    def list_module_competencies(self, module_id: str) -> list[LmsOutcome]:
        """Competencies linked to one course module (activity)."""
        body = self.call(MoodleFunction.COURSE_MODULE_COMPETENCIES, cmid=module_id)
        if not isinstance(body, list):
            raise LmsBadResponse("Moodle sent no list of activity competencies.")
        return [competency_from_json(entry["competency"]) for entry in body if "competency" in entry]

    def competency_links(self, course_id: str, assignments: list[LmsAssignment]) -> tuple[list[LmsOutcome],
                                                                                          list[LmsOutcomeLink]]:
        """Course competencies and which grade items' activities are linked to them.

        Only asks per activity when the course uses competencies at all, so most courses cost one call.
        """
        try:
            competencies = self.list_course_competencies(course_id)
        except LmsError as error:
            if error.code == COMPETENCIES_DISABLED:
                return [], []  # the site has competencies switched off: nothing to suggest
            raise
        if not competencies:
            return [], []
        links: list[LmsOutcomeLink] = []
        by_module: dict[str, list[LmsOutcome]] = {}
        for assignment in assignments:
            module_id = assignment.module_lms_id
            if module_id is None:
                continue
            if module_id not in by_module:
                by_module[module_id] = self.list_module_competencies(module_id)
            for competency in by_module[module_id]:
                links.append(LmsOutcomeLink(source="moodle", assignment_lms_id=assignment.lms_id,
                                            outcome_lms_id=competency.lms_id, outcome_title=competency.title,
                                            vendor_guid=competency.vendor_guid))
        return competencies, links

    def list_assign_activities(self, course_id: str) -> tuple[list[AssignActivity], list[str]]:
        """The course's assignment activities, and Moodle's warnings about those it would not show.

        `includenotenrolledcourses` lets a service user who is not enrolled in the course (a manager role at
        system or category level) read it; without it Moodle answers only for courses the user is enrolled in.
        """
        body = self.call(MoodleFunction.ASSIGNMENTS, courseids=[course_id], includenotenrolledcourses=True)
        if not isinstance(body, dict) or not isinstance(body.get("courses"), list):
            raise LmsBadResponse("Moodle's assignment list has no courses list.")
        activities = [assign_activity_from_json(raw) for course in body["courses"]
                      if str(course.get("id")) == str(course_id) for raw in course.get("assignments") or []]
        return activities, _warning_notes(body, "the course's assignments", frozenset())

    def list_assign_submissions(self, assign_ids: Sequence[str]) -> tuple[set[str], list[AssignSubmission],
                                                                         list[str]]:
        """The latest submission of every student to these assignments, in one call; also which assignments
        Moodle answered for (it leaves out those the service user may not grade, with a warning)."""
        body = self.call(MoodleFunction.ASSIGNMENT_SUBMISSIONS, assignmentids=list(assign_ids))
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise LmsBadResponse("Moodle's submission list has no assignments list.")
        found = [AssignSubmission(assign_id=str(entry["assignmentid"]), student_id=str(raw["userid"]),
                                  status=str(raw.get("status") or ""), modified_at=_timestamp(raw.get("timemodified")))
                 for entry in body["assignments"] for raw in entry.get("submissions") or []
                 if raw.get("userid")]  # userid 0 is a team's submission
        listed = {str(entry["assignmentid"]) for entry in body["assignments"]}
        # Warning 3 only says an assignment has no submissions yet.
        return listed, found, _warning_notes(body, "the submissions", frozenset({"3"}))

    def list_assign_extensions(self, assign_ids: Sequence[str]) -> tuple[dict[tuple[str, str], datetime], list[str]]:
        """Extension due dates granted to students on these assignments, in one call."""
        body = self.call(MoodleFunction.ASSIGNMENT_USER_FLAGS, assignmentids=list(assign_ids))
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise LmsBadResponse("Moodle's user flags have no assignments list.")
        extensions: dict[tuple[str, str], datetime] = {}
        for entry in body["assignments"]:
            for flag in entry.get("userflags") or []:
                granted = _timestamp(flag.get("extensionduedate"))
                if granted is not None:
                    extensions[(str(entry["assignmentid"]), str(flag["userid"]))] = granted
        # Warning 3 only says no student has flags on an assignment.
        return extensions, _warning_notes(body, "the extensions", frozenset({"3"}))

    def assign_details(self, course_id: str, module_ids: Iterable[str]) -> AssignDetails:
        """Due dates, submissions and extensions of the course's assignment activities: at most three calls.

        A function the service lacks (or a capability its user lacks) leaves that part out with a note instead
        of failing the pull: grades still come in, without the flags that part would have given.
        """
        details = AssignDetails()
        wanted = set(module_ids)
        try:
            activities, notes = self.list_assign_activities(course_id)
        except LmsError as error:
            _raise_unless_refusal(error)
            details.notes.append(_missing_part_note(MoodleFunction.ASSIGNMENTS, "due dates, late and missing flags", error))
            return details
        details.notes.extend(notes)
        details.activities = {a.module_id: a for a in activities if a.module_id in wanted}
        assign_ids = sorted({a.assign_id for a in details.activities.values()}, key=_id_order)
        if not assign_ids:
            return details
        try:
            details.submissions_listed, submissions, notes = self.list_assign_submissions(assign_ids)
            details.submissions = {(s.assign_id, s.student_id): s for s in submissions}
            details.notes.extend(notes)
        except LmsError as error:
            _raise_unless_refusal(error)
            details.notes.append(_missing_part_note(MoodleFunction.ASSIGNMENT_SUBMISSIONS,
                                                    "submission times, late and missing flags", error))
            return details  # submissions_listed stays empty: no flag is guessed
        try:
            details.extensions, notes = self.list_assign_extensions(assign_ids)
            details.notes.extend(notes)
        except LmsError as error:
            _raise_unless_refusal(error)
            details.notes.append(_missing_part_note(MoodleFunction.ASSIGNMENT_USER_FLAGS,
                                                    "extensions (lateness uses the assignment's due date)", error))
        return details

    def pull_course(self, course_id: str) -> LmsCourseData:
        """Grade items, all students' grades with assignment due dates and flags, and competency links."""
        fetched_at = self._clock()
        assignments, submissions = self.gradebook(course_id)
        notes: list[str] = []
        module_ids = [a.module_lms_id for a in assignments if a.kind == ASSIGN_MODULE and a.module_lms_id]
        if module_ids:
            details = self.assign_details(course_id, module_ids)
            assignments, submissions = apply_assign_details(assignments, submissions, details, fetched_at)
            notes = details.notes
        competencies, links = self.competency_links(course_id, assignments)
        return LmsCourseData(
            source="moodle",
            course_lms_id=str(course_id),
            fetched_at=fetched_at,
            assignments=tuple(assignments),
            submissions=tuple(submissions),
            outcomes=tuple(competencies),
            outcome_links=tuple(links),
            notes=tuple(notes),
        )


def _id_order(value: str) -> tuple[int, str]:
    """Numeric ids in numeric order (stable request bodies), anything else after them."""
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def _raise_unless_refusal(error: LmsError) -> None:
    """Re-raise what stops the whole pull (a bad token, Moodle down or throttling); a refusal of one function
    (missing from the service, a capability, an unknown parameter on an old Moodle) or an unreadable answer
    only leaves that part out."""
    if isinstance(error, (LmsUnauthorized, *RETRYABLE_ERRORS)):
        raise error


def _missing_part_note(function: MoodleFunction, what: str, error: LmsError) -> str:
    """The note a pull records when one assignment function is unavailable."""
    return (f"Pulled grades without {what}: Moodle refused {function.value} ({error.lms_message or error.code or error}). "
            "Add the function to the tool's external service and the capabilities to its role.")
