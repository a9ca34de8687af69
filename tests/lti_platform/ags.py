"""Assignment and Grade Services: line items, scores and results, with Canvas's and Moodle's semantics.

Moodle: a score whose timestamp is not newer than the stored grade's (at whole seconds) gets 409; the
score's `comment` replaces the grade's feedback; `scoreGiven` is rescaled to the line item's maximum.
Canvas: a score older than the stored one gets 400; each `comment` adds a submission comment; the
`https://canvas.instructure.com/lti/submission` extension's `prioritize_non_tool_grade` keeps a grade a
teacher entered. Both list and serve only the line items of the calling tool.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from .claims import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE
from .oauth import AccessToken
from .pagination import paginate

if TYPE_CHECKING:
    from .server import LtiPlatform

LINEITEM_CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
CANVAS_SUBMISSION_EXT = "https://canvas.instructure.com/lti/submission"
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


@dataclass
class LineItem:
    """A gradebook column. `client_id` is the tool that owns it (None: made by a teacher in the LMS)."""

    id: int
    profile: str
    course_id: str
    deployment_id: str
    label: str
    score_maximum: float
    client_id: str | None
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """A student's grade in one line item."""

    line_item_id: int
    user_id: str
    score: float | None
    timestamp: datetime
    activity_progress: str
    grading_progress: str
    feedback: str | None = None  # Moodle: the last comment
    comments: list[str] = field(default_factory=list)  # Canvas: every comment, in order
    graded_by_tool: bool = True


@dataclass
class ScorePost:
    """One accepted or refused score post, kept for assertions."""

    line_item_id: int
    body: dict[str, Any]
    status: int
    applied: bool
    at: float = field(default_factory=time.time)  # when the platform stored (or refused) it


@dataclass
class AgsStore:
    """Line items, results and every score post."""

    items: dict[int, LineItem] = field(default_factory=dict)
    results: dict[tuple[int, str], Result] = field(default_factory=dict)
    score_posts: list[ScorePost] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def add_line_item(
        self,
        profile: str,
        course_id: str,
        label: str,
        score_maximum: float,
        *,
        client_id: str | None = None,
        deployment_id: str = "1",
        **fields: Any,
    ) -> LineItem:
        """Create a line item directly (client_id None: an ordinary gradebook column the tool must not touch)."""
        with self._lock:
            item = LineItem(next(self._ids), profile, course_id, deployment_id, label, float(score_maximum),
                            client_id, **fields)
            self.items[item.id] = item
            return item

    def link_line_item(
        self, profile: str, course_id: str, deployment_id: str, client_id: str, resource_link_id: str
    ) -> LineItem:
        """The line item of a graded resource link (created by the platform, owned by the tool)."""
        with self._lock:
            for item in self.items.values():
                if (item.profile, item.course_id, item.client_id, item.resource_link_id) == (
                    profile, course_id, client_id, resource_link_id,
                ):
                    return item
            return self.add_line_item(
                profile, course_id, "Mastery", 100, client_id=client_id, deployment_id=deployment_id,
                resource_link_id=resource_link_id,
            )

    def set_teacher_grade(self, item: LineItem, user_id: str, score: float) -> Result:
        """A grade a teacher typed into the LMS gradebook (not from the tool)."""
        with self._lock:
            result = Result(item.id, user_id, score, datetime.now().astimezone(), "Completed", "FullyGraded",
                            graded_by_tool=False)
            self.results[(item.id, user_id)] = result
            return result

    def items_of(self, profile: str, course_id: str) -> list[LineItem]:
        """Line items of a course in one flavour, oldest first."""
        with self._lock:
            return [i for i in self.items.values() if i.profile == profile and i.course_id == course_id]

    def result(self, item: LineItem, user_id: str) -> Result | None:
        """The stored result of a user, if any."""
        with self._lock:
            return self.results.get((item.id, user_id))


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 with any number of fractional digits and a zone; None if unparsable or zone-less."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", text)
    if not match:
        return None
    head, fraction, zone = match.groups()
    normalised = head + (f".{(fraction + '000000')[:6]}" if fraction else "") + zone
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _error(status: int, message: str, profile: str) -> Response:
    if profile == "canvas":
        response = jsonify(errors={"type": "bad_request" if status == 400 else "error", "message": message})
    else:
        response = Response(message, mimetype="text/plain")
    response.status_code = status
    return response


def _media_ok(expected: str) -> bool:
    return request.mimetype == expected


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add line item, score and result endpoints for both flavours."""
    store = platform.ags

    def serialize(item: LineItem) -> dict[str, Any]:
        data: dict[str, Any] = {"id": platform.lineitem_url(item), "scoreMaximum": item.score_maximum,
                                "label": item.label}
        for key, value in (("resourceId", item.resource_id), ("tag", item.tag),
                           ("resourceLinkId", item.resource_link_id), ("startDateTime", item.start_date_time),
                           ("endDateTime", item.end_date_time)):
            if value is not None:
                data[key] = value
        data.update(item.extensions)
        return data

    def typed(payload: Any, media_type: str, status: int = 200) -> Response:
        response = jsonify(payload)
        response.status_code = status
        response.headers["Content-Type"] = media_type
        return response

    def owned(profile: str, course_id: str, item_id: int, token: AccessToken) -> LineItem | None:
        item = store.items.get(item_id)
        if item is None or item.profile != profile or item.course_id != course_id:
            return None
        if item.client_id == token.client_id:
            return item
        if profile == "moodle" and platform.moodle_instance_collision:
            return item  # what Moodle 4.5 has been seen to do: the tool reaches a foreign grade item
        return None

    def read_item_fields(body: Any, profile: str) -> tuple[dict[str, Any] | None, Response | None]:
        if not isinstance(body, dict):
            return None, _error(400, "body must be a JSON object", profile)
        if not body.get("label"):
            return None, _error(400, "label is required", profile)
        maximum = body.get("scoreMaximum")
        if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
            return None, _error(400, "scoreMaximum must be a number above 0", profile)
        fields = {"label": str(body["label"]), "score_maximum": float(maximum)}
        for key, attr in (("resourceId", "resource_id"), ("tag", "tag"), ("resourceLinkId", "resource_link_id"),
                          ("startDateTime", "start_date_time"), ("endDateTime", "end_date_time")):
            if key in body:
                fields[attr] = body[key]
        return fields, None

    # -- container -------------------------------------------------------------------------------

    def container(profile: str, course_id: str) -> Response:
        scopes = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY) if request.method == "GET" else (SCOPE_LINEITEM,)
        kind = "lineitems.get" if request.method == "GET" else "lineitems.post"

        def handle(token: AccessToken) -> Response:
            if course_id not in platform.courses:
                return _error(404, "course not found", profile)
            if request.method == "GET":
                items = [i for i in store.items_of(profile, course_id) if i.client_id == token.client_id]
                for arg, attr in (("resource_link_id", "resource_link_id"), ("resource_id", "resource_id"),
                                  ("tag", "tag")):
                    if request.args.get(arg) is not None:
                        items = [i for i in items if getattr(i, attr) == request.args[arg]]
                page, link = paginate(items, profile, platform.ags_page_size)
                response = typed([serialize(i) for i in page], LINEITEM_CONTAINER_TYPE)
                if link:
                    response.headers["Link"] = link
                return response
            if platform.strict_media_types and not _media_ok(LINEITEM_TYPE):
                return _error(415, f"Content-Type must be {LINEITEM_TYPE}", profile)
            fields, error = read_item_fields(request.get_json(silent=True), profile)
            if error is not None:
                return error
            assert fields is not None
            extensions = {k: v for k, v in (request.get_json(silent=True) or {}).items()
                          if k.startswith("https://canvas.instructure.com/")} if profile == "canvas" else {}
            deployment = request.args.get("type_id", "1")
            item = store.add_line_item(profile, course_id, client_id=token.client_id, deployment_id=deployment,
                                       extensions=extensions, **fields)
            return typed(serialize(item), LINEITEM_TYPE, 200 if profile == "canvas" else 201)

        return platform.service(kind, profile, scopes, handle)

    # -- one line item ---------------------------------------------------------------------------

    def single(profile: str, course_id: str, item_id: int) -> Response:
        scopes = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY) if request.method == "GET" else (SCOPE_LINEITEM,)
        kind = f"lineitem.{request.method.lower()}"

        def handle(token: AccessToken) -> Response:
            item = owned(profile, course_id, item_id, token)
            if item is None:
                return _error(404, "line item not found", profile)
            if request.method == "GET":
                return typed(serialize(item), LINEITEM_TYPE)
            if request.method == "DELETE":
                with store._lock:
                    store.items.pop(item.id, None)
                return Response(status=204)
            if platform.strict_media_types and not _media_ok(LINEITEM_TYPE):
                return _error(415, f"Content-Type must be {LINEITEM_TYPE}", profile)
            fields, error = read_item_fields(request.get_json(silent=True), profile)
            if error is not None:
                return error
            assert fields is not None
            with store._lock:
                for attr, value in fields.items():
                    setattr(item, attr, value)
            return typed(serialize(item), LINEITEM_TYPE)

        return platform.service(kind, profile, scopes, handle)

    # -- scores ----------------------------------------------------------------------------------

    def scores(profile: str, course_id: str, item_id: int) -> Response:
        def handle(token: AccessToken) -> Response:
            item = owned(profile, course_id, item_id, token)
            if item is None:
                return _error(404, "line item not found", profile)
            if platform.strict_media_types and not _media_ok(SCORE_TYPE):
                return _error(415, f"Content-Type must be {SCORE_TYPE}", profile)
            body = request.get_json(silent=True)
            response, applied = post_score(profile, item, body)
            with store._lock:
                store.score_posts.append(ScorePost(item.id, body if isinstance(body, dict) else {},
                                                   response.status_code, applied))
            return response

        return platform.service("scores", profile, (SCOPE_SCORE,), handle)

    def post_score(profile: str, item: LineItem, body: Any) -> tuple[Response, bool]:
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object", profile), False
        for name in ("userId", "timestamp", "activityProgress", "gradingProgress"):
            if body.get(name) in (None, ""):
                return _error(400, f"{name} is required", profile), False
        if body["activityProgress"] not in ACTIVITY_PROGRESS:
            return _error(400, f"unknown activityProgress {body['activityProgress']!r}", profile), False
        if body["gradingProgress"] not in GRADING_PROGRESS:
            return _error(400, f"unknown gradingProgress {body['gradingProgress']!r}", profile), False
        timestamp = parse_timestamp(body["timestamp"])
        if timestamp is None:
            return _error(400, "timestamp must be ISO 8601 with a time zone", profile), False
        given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
        if given is not None:
            if not isinstance(given, (int, float)) or isinstance(given, bool) or given < 0:
                return _error(400, "scoreGiven must be a number of at least 0", profile), False
            if not isinstance(maximum, (int, float)) or isinstance(maximum, bool) or maximum <= 0:
                return _error(400, "scoreMaximum is required with scoreGiven and must be above 0", profile), False
        user_id = str(body["userId"])
        user = platform.user_by_subject(profile, user_id)
        course = platform.courses[item.course_id]
        if user is None or course.member(user.id) is None:
            status = 422 if profile == "canvas" else 400
            return _error(status, "User not found in course or is not a student", profile), False
        with store._lock:
            stored = store.results.get((item.id, user_id))
            if stored is not None:
                if profile == "moodle" and int(timestamp.timestamp()) <= int(stored.timestamp.timestamp()):
                    return _error(409, "Refusing score with an earlier timestamp for item "
                                  f"{item.id} and user {user_id}", profile), False
                if profile == "canvas" and timestamp < stored.timestamp:
                    return _error(400, f"Provided timestamp of {body['timestamp']} before last updated "
                                  f"timestamp of {stored.timestamp.isoformat()}", profile), False
            scaled = None if given is None else float(given) / float(maximum) * item.score_maximum
            comment = body.get("comment")
            extension = body.get(CANVAS_SUBMISSION_EXT) or {}
            keep_teacher_grade = (
                profile == "canvas" and stored is not None and not stored.graded_by_tool
                and bool(extension.get("prioritize_non_tool_grade"))
            )
            result = stored or Result(item.id, user_id, None, timestamp, body["activityProgress"],
                                      body["gradingProgress"])
            if not keep_teacher_grade:
                result.score = scaled
                result.graded_by_tool = True
            result.timestamp = timestamp
            result.activity_progress = body["activityProgress"]
            result.grading_progress = body["gradingProgress"]
            if comment is not None:
                if profile == "canvas":
                    result.comments.append(str(comment))
                else:
                    result.feedback = str(comment)
            store.results[(item.id, user_id)] = result
        if profile == "canvas":
            return jsonify(resultUrl=f"{platform.lineitem_url(item)}/results/{user_id}"), not keep_teacher_grade
        return Response(status=200), True

    # -- results ---------------------------------------------------------------------------------

    def results(profile: str, course_id: str, item_id: int) -> Response:
        def handle(token: AccessToken) -> Response:
            item = owned(profile, course_id, item_id, token)
            if item is None:
                return _error(404, "line item not found", profile)
            with store._lock:
                found = [r for (iid, _), r in store.results.items() if iid == item.id]
            if request.args.get("user_id"):
                found = [r for r in found if r.user_id == request.args["user_id"]]
            page, link = paginate(found, profile, platform.ags_page_size)
            payload = [serialize_result(profile, item, r) for r in page]
            response = typed(payload, RESULT_CONTAINER_TYPE)
            if link:
                response.headers["Link"] = link
            return response

        return platform.service("results", profile, (SCOPE_RESULT_READONLY,), handle)

    def serialize_result(profile: str, item: LineItem, result: Result) -> dict[str, Any]:
        base = platform.lineitem_url(item)
        if profile == "canvas":
            data = {"id": f"{base}/results/{result.user_id}", "scoreOf": base, "userId": result.user_id,
                    "resultMaximum": item.score_maximum}
        else:
            path, _, query = base.partition("?")
            data = {"id": f"{path}/results?{query}&user_id={result.user_id}", "scoreOf": base,
                    "userId": result.user_id, "resultMaximum": item.score_maximum,
                    "timestamp": result.timestamp.isoformat()}
            if result.feedback is not None:
                data["comment"] = result.feedback
        if result.score is not None:
            data["resultScore"] = result.score
        return data

    canvas_base = "/api/lti/courses/<course_id>/line_items"
    moodle_base = "/mod/lti/services.php/<course_id>/lineitems"
    app.add_url_rule(canvas_base, "canvas_lineitems", lambda course_id: container("canvas", course_id),
                     methods=["GET", "POST"])
    app.add_url_rule(moodle_base, "moodle_lineitems", lambda course_id: container("moodle", course_id),
                     methods=["GET", "POST"])
    app.add_url_rule(f"{canvas_base}/<int:item_id>", "canvas_lineitem",
                     lambda course_id, item_id: single("canvas", course_id, item_id), methods=["GET", "PUT", "DELETE"])
    app.add_url_rule(f"{moodle_base}/<int:item_id>/lineitem", "moodle_lineitem",
                     lambda course_id, item_id: single("moodle", course_id, item_id), methods=["GET", "PUT", "DELETE"])
    app.add_url_rule(f"{canvas_base}/<int:item_id>/scores", "canvas_scores",
                     lambda course_id, item_id: scores("canvas", course_id, item_id), methods=["POST"])
    app.add_url_rule(f"{moodle_base}/<int:item_id>/lineitem/scores", "moodle_scores",
                     lambda course_id, item_id: scores("moodle", course_id, item_id), methods=["POST"])
    app.add_url_rule(f"{canvas_base}/<int:item_id>/results", "canvas_results",
                     lambda course_id, item_id: results("canvas", course_id, item_id), methods=["GET"])
    app.add_url_rule(f"{moodle_base}/<int:item_id>/lineitem/results", "moodle_results",
                     lambda course_id, item_id: results("moodle", course_id, item_id), methods=["GET"])
