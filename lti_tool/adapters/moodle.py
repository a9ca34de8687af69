"""Moodle web-service client (REST protocol, token auth): grade items, every student's grades, competencies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import requests

from lti_tool.adapters.canvas_oauth import Clock, utc_now
from lti_tool.adapters.http import (
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
    ASSIGNMENTS = "mod_assign_get_assignments"
    ASSIGNMENT_GRADES = "mod_assign_get_grades"
    ASSIGNMENT_SUBMISSIONS = "mod_assign_get_submissions"
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

    def pull_course(self, course_id: str) -> LmsCourseData:
        """Grade items, all students' grades and competency links of a course."""
        fetched_at = self._clock()
        assignments, submissions = self.gradebook(course_id)
        competencies, links = self.competency_links(course_id, assignments)
        return LmsCourseData(
            source="moodle",
            course_lms_id=str(course_id),
            fetched_at=fetched_at,
            assignments=tuple(assignments),
            submissions=tuple(submissions),
            outcomes=tuple(competencies),
            outcome_links=tuple(links),
        )
