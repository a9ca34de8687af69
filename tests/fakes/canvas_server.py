"""A Canvas-shaped HTTP server: REST endpoints, OAuth2 endpoints, Link pagination, throttling and token expiry.

Shapes follow Canvas's documented Assignment, Submission (with `rubric_assessment` keyed by criterion id),
OutcomeLink and OAuth2 token responses. Header names alternate between Title-Case and lower-case, as Canvas's
do behind different proxies, and page URLs carry opaque bookmarks.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.fakes.server import FakeHttpServer, Fault, json_response
from tests.lti_platform.faults import Outage

THROTTLE_BODY = "403 Forbidden (Rate Limit Exceeded)\n"
INVALID_TOKEN_BODY = {"errors": [{"message": "Invalid access token."}]}
MAX_PER_PAGE = 100


def iso(moment: datetime | None) -> str | None:
    """Canvas's timestamp format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@dataclass
class CanvasCourseData:
    """One course's assignments, submissions and outcome links, as Canvas JSON dicts."""

    course_id: int
    student_ids: list[int]
    assignments: list[dict[str, Any]]
    submissions: list[dict[str, Any]]
    outcome_links: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)


def outcome_json(outcome_id: int, title: str, vendor_guid: str) -> dict[str, Any]:
    """A full-style Canvas Outcome object."""
    return {"id": outcome_id, "url": f"/api/v1/outcomes/{outcome_id}", "context_id": 1, "context_type": "Account",
            "title": title, "display_name": title, "vendor_guid": vendor_guid,
            "description": f"<p>{title}</p>", "points_possible": 4, "mastery_points": 3,
            "calculation_method": "decaying_average", "calculation_int": 65, "can_edit": False,
            "ratings": [{"description": "Mastery", "points": 3}]}


def build_course(course_id: int = 101, *, students: int = 40, assignments: int = 60,
                 graded_base: datetime = datetime(2025, 9, 1, tzinfo=UTC)) -> CanvasCourseData:
    """A deterministic course: every 5th assignment has a rubric whose first criterion is aligned to an outcome."""
    student_ids = [5000 + n for n in range(students)]
    outcomes = {
        9001: outcome_json(9001, "CCSS.Math.Content.6.RP.A.1", "b6f61076-aa12-450b-8f9d-b86bc071f85e"),
        9002: outcome_json(9002, "CCSS.Math.Content.7.RP.A.1", "40f75f2b-8de6-4ff4-b28c-ac64c658777a"),
    }
    assignment_list = []
    for index in range(assignments):
        assignment_id = 700 + index
        rubric: list[dict[str, Any]] | None = None
        if index % 5 == 0:
            outcome_id = 9001 if index % 10 == 0 else 9002
            rubric = [
                {"id": f"_{assignment_id}1", "points": 4.0, "description": outcomes[outcome_id]["title"],
                 "long_description": "", "learning_outcome_id": outcome_id,
                 "vendor_guid": None if index % 10 == 0 else outcomes[outcome_id]["vendor_guid"],
                 "criterion_use_range": False,
                 "ratings": [{"id": "r1", "points": 4.0, "description": "Exceeds"},
                             {"id": "r2", "points": 0.0, "description": "No Evidence"}]},
                {"id": f"_{assignment_id}2", "points": 6.0, "description": "Work shown", "long_description": "",
                 "criterion_use_range": False, "ratings": []},
            ]
        assignment: dict[str, Any] = {
            "id": assignment_id, "course_id": course_id, "name": f"Ratios practice {index + 1} (6.RP.A.{index % 3 + 1})",
            "description": "<p>Solve the problems.</p>", "points_possible": 10.0,
            "due_at": iso(graded_base + timedelta(days=index)), "published": index != assignments - 1,
            "omit_from_final_grade": False, "grading_type": "points", "position": index + 1,
            "html_url": f"https://canvas.example/courses/{course_id}/assignments/{assignment_id}",
            "submission_types": ["online_text_entry"], "rubric": rubric,
            "rubric_settings": {"points_possible": 10.0} if rubric else None,
            "use_rubric_for_grading": bool(rubric),
        }
        assignment_list.append(assignment)
    submissions = []
    for s_index, student_id in enumerate(student_ids):
        for a_index, assignment in enumerate(assignment_list):
            if not assignment["published"]:
                continue
            kind = (s_index + a_index) % 17
            graded_at = graded_base + timedelta(days=a_index, hours=s_index)
            submission: dict[str, Any] = {
                "id": 100000 + s_index * 1000 + a_index, "assignment_id": assignment["id"], "user_id": student_id,
                "score": float((s_index + a_index) % 11), "grade": str((s_index + a_index) % 11),
                "attempt": 1, "submitted_at": iso(graded_at - timedelta(hours=2)), "graded_at": iso(graded_at),
                "grader_id": 42, "workflow_state": "graded", "excused": False, "late": kind == 3,
                "missing": False, "late_policy_status": None, "points_deducted": None, "seconds_late": 0,
                "submission_type": "online_text_entry", "grade_matches_current_submission": True,
                "preview_url": "https://canvas.example/preview", "entered_score": None, "entered_grade": None,
            }
            if kind == 0:  # ungraded and missing
                submission.update(score=None, grade=None, graded_at=None, submitted_at=None,
                                  workflow_state="unsubmitted", missing=True)
            elif kind == 1:
                submission.update(score=None, grade=None, excused=True, workflow_state="graded")
            elif kind == 2:
                submission.update(score=12.0, grade="12")  # extra credit above points_possible
            if assignment["rubric"] and submission["score"] is not None:
                submission["rubric_assessment"] = {
                    assignment["rubric"][0]["id"]: {"rating_id": "r1", "comments": "", "points": 3.0},
                    assignment["rubric"][1]["id"]: {"rating_id": None, "comments": "neat", "points": 5.0},
                }
            submissions.append(submission)
    links = [
        {"url": f"/api/v1/courses/{course_id}/outcome_groups/1/outcomes/{oid}", "context_id": course_id,
         "context_type": "Course", "outcome_group": {"id": 1, "title": "Ratios", "vendor_guid": None},
         "outcome": {k: outcome[k] for k in ("id", "url", "context_id", "context_type", "title", "display_name",
                                             "can_edit")},
         "assessed": True, "can_unlink": False}
        for oid, outcome in outcomes.items() if oid == 9001  # 9002 is used by rubrics but not linked to the course
    ]
    return CanvasCourseData(course_id, student_ids, assignment_list, submissions, links, outcomes)


@dataclass
class IssuedToken:
    """An access token the fake server knows, with its expiry and refresh token."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    user_id: int = 42


def encode_bookmark(offset: int) -> str:
    """An opaque page cursor like Canvas's `bookmark:...` values."""
    return "bookmark:" + base64.urlsafe_b64encode(json.dumps([offset]).encode()).decode().rstrip("=")


def decode_bookmark(value: str | None) -> int:
    """The offset inside a cursor made by encode_bookmark."""
    if not value or not value.startswith("bookmark:"):
        return 0
    raw = value.removeprefix("bookmark:")
    return int(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))[0])


class FakeCanvas(FakeHttpServer):
    """Canvas REST + OAuth2, in memory."""

    lms_name = "Canvas"

    def __init__(self, *, latency: float = 0.0, client_id: str = "10000000000001",
                 client_secret: str = "dev-key-secret", token_lifetime: int = 3600) -> None:
        super().__init__(latency=latency)
        self.courses: dict[int, CanvasCourseData] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.codes: dict[str, str] = {}  # code -> redirect_uri
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.clock_offset = timedelta(0)
        self.rate_limit_remaining: list[float] = []  # values handed out one per request, last one repeats
        self.revoked: list[str] = []
        self._responses = 0
        self.outage: Outage | None = None  # a window in which every request gets 5xx or hangs (see Outage)
        self.outage_hits = 0

    # -- scripting ---------------------------------------------------------

    def now(self) -> datetime:
        """The server's clock (tests move it with `advance`)."""
        return datetime.now(UTC) + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the server clock forward, e.g. past a token's expiry."""
        self.clock_offset += timedelta(seconds=seconds)

    def add_course(self, course: CanvasCourseData) -> CanvasCourseData:
        """Serve this course."""
        self.courses[course.course_id] = course
        return course

    def add_token(self, access_token: str, *, refresh_token: str | None = None,
                  lifetime: int | None = None) -> IssuedToken:
        """Accept this bearer token (no expiry when lifetime is None)."""
        expires = self.now() + timedelta(seconds=lifetime) if lifetime is not None else None
        issued = IssuedToken(access_token, refresh_token, expires)
        self.tokens[access_token] = issued
        return issued

    # -- plumbing ----------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Rate-limit headers, alternating Title-Case and lower-case names."""
        self._responses += 1
        lower = self._responses % 2 == 0
        headers: dict[str, str] = {}
        if self.rate_limit_remaining:
            remaining = self.rate_limit_remaining.pop(0) if len(self.rate_limit_remaining) > 1 \
                else self.rate_limit_remaining[0]
            headers["x-rate-limit-remaining" if lower else "X-Rate-Limit-Remaining"] = f"{remaining:.1f}"
        headers["x-request-cost" if lower else "X-Request-Cost"] = "0.0123"
        for name, value in (extra or {}).items():
            headers[name.lower() if lower else name] = value
        return headers

    def fault_response(self, fault: Fault) -> Response | None:
        """Canvas-specific faults: the throttled 403 and an expired-token 401."""
        if fault.kind == "throttle_403":
            headers = self._headers({"Retry-After": str(fault.retry_after)} if fault.retry_after else None)
            return Response(THROTTLE_BODY, status=403, headers=headers, content_type="text/plain; charset=utf-8")
        if fault.kind == "expired_token":
            return json_response(INVALID_TOKEN_BODY, 401, {"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        return super().fault_response(fault)

    def _authenticate(self, request: Request) -> IssuedToken | Response:
        if not request.headers.get("User-Agent"):
            return Response("403 Forbidden: a User-Agent header is required\n", status=403,
                            content_type="text/plain")
        header = request.headers.get("Authorization", "")
        token = self.tokens.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
        if token is None or (token.expires_at is not None and token.expires_at <= self.now()):
            return json_response(INVALID_TOKEN_BODY, 401, {"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        return token

    def _page(self, request: Request, items: list[Any]) -> Response:
        per_page = min(int(request.args.get("per_page", 10)), MAX_PER_PAGE)
        offset = decode_bookmark(request.args.get("page"))
        chunk = items[offset:offset + per_page]
        links = []
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]

        def url(page: str) -> str:
            return f"{self.base_url}{request.path}?{urlencode([*params, ('page', page)])}"

        links.append(f'<{url(encode_bookmark(offset))}>; rel="current"')
        if offset + per_page < len(items):
            links.append(f'<{url(encode_bookmark(offset + per_page))}>; rel="next"')
        links.append(f'<{url("first")}>; rel="first"')
        return json_response(chunk, 200, self._headers({"Link": ",".join(links)}))

    # -- routes ------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Route one request (unless an outage window answers it first)."""
        outage = self.outage
        if outage is not None and outage.active():
            self.outage_hits += 1
            if outage.mode == "5xx":
                return Response("<html>Service Unavailable</html>", status=outage.status, content_type="text/html")
            time.sleep(outage.hang)  # the client has given up by now; the answer goes nowhere
        path = request.path.rstrip("/")
        if path == "/login/oauth2/auth" and request.method == "GET":
            return self._authorize(request)
        if path == "/login/oauth2/token" and request.method == "POST":
            return self._token(request)
        token = self._authenticate(request)
        if isinstance(token, Response):
            return token
        if path == "/login/oauth2/token" and request.method == "DELETE":
            return self._revoke(token)
        parts = path.split("/")
        # /api/v1/courses/<id>/...
        if parts[1:4] == ["api", "v1", "courses"] and len(parts) >= 6:
            course = self.courses.get(int(parts[4]))
            if course is None:
                return json_response({"errors": [{"message": "The specified resource does not exist."}]}, 404)
            tail = parts[5:]
            if tail == ["assignments"]:
                return self._page(request, course.assignments)
            if tail == ["students", "submissions"]:
                return self._student_submissions(request, course)
            if tail == ["outcome_group_links"]:
                return self._outcome_links(request, course)
            if len(tail) == 4 and tail[0] == "assignments" and tail[2] == "submissions":
                return self._one_submission(request, course, int(tail[1]), int(tail[3]))
        if parts[1:4] == ["api", "v1", "outcomes"] and len(parts) == 5:
            for course in self.courses.values():
                if int(parts[4]) in course.outcomes:
                    return json_response(course.outcomes[int(parts[4])], 200, self._headers())
        return json_response({"errors": [{"message": "The specified resource does not exist."}]}, 404)

    def _submission_json(self, request: Request, submission: dict[str, Any]) -> dict[str, Any]:
        includes = request.args.getlist("include[]")
        shown = {k: v for k, v in submission.items() if k != "rubric_assessment"}
        if "rubric_assessment" in includes and "rubric_assessment" in submission:
            shown["rubric_assessment"] = submission["rubric_assessment"]
        return shown

    def _student_submissions(self, request: Request, course: CanvasCourseData) -> Response:
        if "all" not in request.args.getlist("student_ids[]"):
            return json_response({"errors": [{"message": "user not authorized to perform that action"}]}, 401)
        chosen = course.submissions
        since = request.args.get("graded_since")
        if since:
            moment = datetime.fromisoformat(since)
            chosen = [s for s in chosen if s["graded_at"] and datetime.fromisoformat(s["graded_at"]) > moment]
        if request.args.get("grouped") in ("true", "1"):
            by_student = [{"user_id": sid, "section_id": 1, "integration_id": None, "sis_user_id": f"S{sid}",
                           "submissions": [self._submission_json(request, s) for s in chosen if s["user_id"] == sid]}
                          for sid in course.student_ids]
            return self._page(request, by_student)
        return self._page(request, [self._submission_json(request, s) for s in chosen])

    def _one_submission(self, request: Request, course: CanvasCourseData, assignment_id: int,
                        user_id: int) -> Response:
        for submission in course.submissions:
            if submission["assignment_id"] == assignment_id and submission["user_id"] == user_id:
                return json_response(self._submission_json(request, submission), 200, self._headers())
        return json_response({"errors": [{"message": "The specified resource does not exist."}]}, 404)

    def _outcome_links(self, request: Request, course: CanvasCourseData) -> Response:
        if request.args.get("outcome_style") == "full":
            links = [{**link, "outcome": course.outcomes[link["outcome"]["id"]]} for link in course.outcome_links]
        else:
            links = course.outcome_links
        return self._page(request, links)

    # -- OAuth2 ------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        if request.args.get("client_id") != self.client_id or request.args.get("response_type") != "code":
            return Response("unknown client", status=400)
        redirect_uri = request.args["redirect_uri"]
        code = secrets.token_hex(8)
        self.codes[code] = redirect_uri
        query = {"code": code}
        if request.args.get("state"):
            query["state"] = request.args["state"]
        response = Response(status=302)
        response.headers["Location"] = f"{redirect_uri}?{urlencode(query)}"
        return response

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return json_response({"error": "invalid_client", "error_description": "unknown client"}, 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            redirect_uri = self.codes.pop(form.get("code", ""), None)
            if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                return json_response({"error": "invalid_grant",
                                      "error_description": "authorization_code not found"}, 400)
            refresh = secrets.token_hex(16)
            issued = self.add_token(secrets.token_hex(16), refresh_token=refresh, lifetime=self.token_lifetime)
            return json_response({"access_token": issued.access_token, "token_type": "Bearer",
                                  "user": {"id": 42, "name": "Jimi Hendrix"}, "refresh_token": refresh,
                                  "expires_in": self.token_lifetime}, 200, self._headers())
        if grant == "refresh_token":
            presented = form.get("refresh_token")
            if not presented or presented in self.revoked or not any(t.refresh_token == presented
                                                                   for t in self.tokens.values()):
                return json_response({"error": "invalid_grant",
                                      "error_description": "refresh_token not found"}, 400)
            issued = self.add_token(secrets.token_hex(16), refresh_token=presented, lifetime=self.token_lifetime)
            return json_response({"access_token": issued.access_token, "token_type": "Bearer",
                                  "user": {"id": 42, "name": "Jimi Hendrix"},
                                  "expires_in": self.token_lifetime}, 200, self._headers())
        return json_response({"error": "unsupported_grant_type"}, 400)

    def _revoke(self, token: IssuedToken) -> Response:
        # Revoking deletes the whole grant: the access token and every token sharing its refresh token.
        for key, issued in list(self.tokens.items()):
            if key == token.access_token or (token.refresh_token and issued.refresh_token == token.refresh_token):
                del self.tokens[key]
        if token.refresh_token:
            self.revoked.append(token.refresh_token)
        return json_response({}, 200, self._headers())
