"""Canvas REST client: assignments, course-wide submissions and outcome alignments in as few requests as possible."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from lti_tool.adapters.canvas_oauth import AccessTokenSource, Clock, utc_now
from lti_tool.adapters.http import (
    LmsBadResponse,
    LmsUnauthorized,
    RatePacer,
    RequestRunner,
    RetrySettings,
    Sleep,
    next_page_url,
)
from lti_tool.adapters.lms_records import (
    LmsAssignment,
    LmsCourseData,
    LmsCriterionScore,
    LmsOutcome,
    LmsOutcomeLink,
    LmsRubricCriterion,
    LmsSubmission,
)

LMS_NAME = "Canvas"
PER_PAGE = 100  # Canvas's maximum page size

Params = list[tuple[str, Any]]


def parse_canvas_time(value: str | None) -> datetime | None:
    """Canvas ISO 8601 timestamp (`2012-01-01T01:00:00Z`) to an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise LmsBadResponse(f"Canvas sent an unreadable timestamp {value!r}.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_canvas_time(value: datetime) -> str:
    """An aware datetime as the `YYYY-MM-DDTHH:MM:SSZ` Canvas requires for `graded_since`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _id(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


def _rubric_criteria(raw: Any) -> tuple[LmsRubricCriterion, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        LmsRubricCriterion(
            lms_id=str(criterion["id"]),
            description=criterion.get("description") or "",
            points=_number(criterion.get("points")),
            # Newer Canvas names it learning_outcome_id; older documentation says outcome_id.
            outcome_lms_id=_id(criterion.get("learning_outcome_id") or criterion.get("outcome_id")),
            outcome_vendor_guid=criterion.get("vendor_guid") or None,
        )
        for criterion in raw
        if isinstance(criterion, dict) and "id" in criterion
    )


def assignment_from_json(raw: Mapping[str, Any]) -> LmsAssignment:
    """One Canvas Assignment object to an LmsAssignment."""
    try:
        return LmsAssignment(
            source="canvas",
            lms_id=str(raw["id"]),
            title=raw.get("name") or "",
            points_possible=_number(raw.get("points_possible")),
            due_at=parse_canvas_time(raw.get("due_at")),
            published=bool(raw.get("published", True)),
            description=raw.get("description") or "",
            omit_from_final_grade=bool(raw.get("omit_from_final_grade", False)),
            grading_type=raw.get("grading_type"),
            rubric=_rubric_criteria(raw.get("rubric")),
        )
    except KeyError as exc:
        raise LmsBadResponse("Canvas sent an assignment without an id.") from exc


def submission_from_json(raw: Mapping[str, Any], max_scores: Mapping[str, float | None]) -> LmsSubmission:
    """One Canvas Submission object to an LmsSubmission, taking the maximum from its assignment."""
    try:
        assignment_id = str(raw["assignment_id"])
        student_id = str(raw["user_id"])
    except KeyError as exc:
        raise LmsBadResponse("Canvas sent a submission without assignment_id or user_id.") from exc
    rubric = raw.get("rubric_assessment") or {}
    criterion_scores = tuple(
        LmsCriterionScore(criterion_lms_id=str(criterion_id), points=_number(result.get("points")),
                          comments=result.get("comments") or "")
        for criterion_id, result in rubric.items()
        if isinstance(result, dict)
    )
    return LmsSubmission(
        source="canvas",
        student_lms_id=student_id,
        assignment_lms_id=assignment_id,
        score=_number(raw.get("score")),
        max_score=max_scores.get(assignment_id),
        submitted_at=parse_canvas_time(raw.get("submitted_at")),
        graded_at=parse_canvas_time(raw.get("graded_at")),
        excused=bool(raw.get("excused")),
        missing=bool(raw.get("missing")),
        late=bool(raw.get("late")),
        workflow_state=raw.get("workflow_state") or "unsubmitted",
        criterion_scores=criterion_scores,
    )


def outcome_from_json(raw: Mapping[str, Any]) -> LmsOutcome:
    """A Canvas Outcome object (full style) to an LmsOutcome."""
    return LmsOutcome(
        source="canvas",
        lms_id=str(raw["id"]),
        title=raw.get("title") or raw.get("display_name") or "",
        vendor_guid=raw.get("vendor_guid") or None,
        description=raw.get("description") or "",
    )


class CanvasClient:
    """Reads one Canvas course through the REST API with a teacher's OAuth2 token."""

    def __init__(self, base_url: str, token_provider: AccessTokenSource, session: requests.Session, *,
                 retry: RetrySettings | None = None, pacer: RatePacer | None = None,
                 sleep: Sleep | None = None, clock: Clock = utc_now) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = token_provider
        self.runner = RequestRunner.build(session, LMS_NAME, retry=retry, pacer=pacer, sleep=sleep)
        self._clock = clock

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self.runner.request_count

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _pages(self, path: str, params: Params) -> Iterator[Any]:
        """Every page of a list endpoint; one token refresh is tried if Canvas rejects the token."""
        next_url: str | None = self._url(path)
        page_params: Params | None = params
        while next_url:
            body, response = self._get(next_url, page_params)
            if not isinstance(body, list):
                raise LmsBadResponse(f"Canvas sent a {type(body).__name__} where a list was expected ({path}).")
            yield body
            next_url = next_page_url(response)
            page_params = None  # Link URLs are opaque and already carry every parameter

    def _get(self, url: str, params: Params | None) -> tuple[Any, requests.Response]:
        try:
            return self.runner.get_json(url, params=params, headers=self._auth(self._tokens.access_token()))
        except LmsUnauthorized:
            # The token may have expired early or been refreshed elsewhere; a revoked grant raises again.
            fresh = self._tokens.refresh_after_rejection()
            return self.runner.get_json(url, params=params, headers=self._auth(fresh))

    def list_assignments(self, course_id: str) -> list[LmsAssignment]:
        """All assignments of the course (published or not) with rubric and outcome ids."""
        params: Params = [("per_page", PER_PAGE), ("order_by", "position")]
        return [assignment_from_json(raw) for page in self._pages(f"/courses/{course_id}/assignments", params)
                for raw in page]

    def list_submissions(self, course_id: str, *, max_scores: Mapping[str, float | None] | None = None,
                         graded_since: datetime | None = None) -> list[LmsSubmission]:
        """Every student's submissions in one paginated call; `graded_since` limits it to newer grades.

        `grouped=true` pages by student (up to 100 per page) rather than by submission, so a
        40-student course arrives in a single response.
        """
        params: Params = [("student_ids[]", "all"), ("include[]", "rubric_assessment"), ("grouped", "true"),
                          ("per_page", PER_PAGE)]
        if graded_since is not None:
            params.append(("graded_since", format_canvas_time(graded_since)))
        maxima = max_scores or {}
        submissions: list[LmsSubmission] = []
        for page in self._pages(f"/courses/{course_id}/students/submissions", params):
            for entry in page:
                if isinstance(entry, dict) and isinstance(entry.get("submissions"), list):
                    submissions.extend(submission_from_json(raw, maxima) for raw in entry["submissions"])
                elif isinstance(entry, dict):  # an ungrouped answer: one submission per element
                    submissions.append(submission_from_json(entry, maxima))
        return submissions

    def get_submission(self, course_id: str, assignment_id: str, student_id: str) -> LmsSubmission:
        """One submission (one request each: only for spot checks, never for a whole course)."""
        path = f"/courses/{course_id}/assignments/{assignment_id}/submissions/{student_id}"
        body, _ = self._get(self._url(path), [("include[]", "rubric_assessment")])
        return submission_from_json(body, {})

    def list_course_outcomes(self, course_id: str) -> list[LmsOutcome]:
        """Outcomes linked into the course, with vendor_guid (`outcome_style=full` saves a request per outcome)."""
        params: Params = [("outcome_style", "full"), ("per_page", PER_PAGE)]
        outcomes: dict[str, LmsOutcome] = {}
        for page in self._pages(f"/courses/{course_id}/outcome_group_links", params):
            for link in page:
                raw = link.get("outcome") if isinstance(link, dict) else None
                if isinstance(raw, dict) and "id" in raw:
                    outcome = outcome_from_json(raw)
                    outcomes[outcome.lms_id] = outcome
        return list(outcomes.values())

    def get_outcome(self, outcome_id: str) -> LmsOutcome:
        """One outcome by id (for rubric criteria aligned to an outcome the course does not link)."""
        body, _ = self._get(self._url(f"/outcomes/{outcome_id}"), None)
        if not isinstance(body, dict) or "id" not in body:
            raise LmsBadResponse(f"Canvas sent no outcome for id {outcome_id}.")
        return outcome_from_json(body)

    def outcome_links(self, course_id: str, assignments: list[LmsAssignment]) -> tuple[list[LmsOutcome],
                                                                                       list[LmsOutcomeLink]]:
        """Outcomes aligned through rubric criteria, with vendor_guids; no request when no criterion is aligned."""
        aligned = [(a, c) for a in assignments for c in a.rubric if c.outcome_lms_id]
        if not aligned:
            return [], []
        outcomes = {o.lms_id: o for o in self.list_course_outcomes(course_id)}
        for _, criterion in aligned:
            assert criterion.outcome_lms_id is not None
            if criterion.outcome_lms_id not in outcomes:
                outcomes[criterion.outcome_lms_id] = self.get_outcome(criterion.outcome_lms_id)
        links = []
        for assignment, criterion in aligned:
            outcome = outcomes[criterion.outcome_lms_id or ""]
            links.append(LmsOutcomeLink(
                source="canvas",
                assignment_lms_id=assignment.lms_id,
                criterion_lms_id=criterion.lms_id,
                outcome_lms_id=outcome.lms_id,
                outcome_title=outcome.title,
                vendor_guid=criterion.outcome_vendor_guid or outcome.vendor_guid,
            ))
        return list(outcomes.values()), links

    def pull_course(self, course_id: str, *, graded_since: datetime | None = None) -> LmsCourseData:
        """Assignments, submissions (all, or graded since a time) and outcome alignments of a course."""
        fetched_at = self._clock()
        assignments = self.list_assignments(course_id)
        max_scores = {a.lms_id: a.points_possible for a in assignments}
        submissions = self.list_submissions(course_id, max_scores=max_scores, graded_since=graded_since)
        outcomes, links = self.outcome_links(course_id, assignments)
        return LmsCourseData(
            source="canvas",
            course_lms_id=str(course_id),
            fetched_at=fetched_at,
            assignments=tuple(assignments),
            submissions=tuple(submissions),
            outcomes=tuple(outcomes),
            outcome_links=tuple(links),
        )
