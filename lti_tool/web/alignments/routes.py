"""Course setup pages: alignments and suggestions, score pulls, gradebook uploads, Connect to Canvas."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lti_tool.adapters.http import LmsError
from lti_tool.jobs import intake_tasks
from lti_tool.services import alignment, evidence, lms_credentials, pull_status
from lti_tool.services.errors import ServiceError
from lti_tool.storage.models import Standard

from ..areas import LaunchSummary, launch_summary
from ..auth import require_role, session_url
from ..errors import render_error
from ..runtime import db, runtime
from . import bp, pull_view
from .page import FLAG_LABELS, build_page

TEACHERS = ("teacher", "admin")
#: Gradebook exports are larger than ordinary forms; only the upload routes accept this much.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
#: Where the page's score-pull status region is, so a redirect after "Pull scores now" lands on it.
PULL_ANCHOR = "pull-status"


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> Any:
    """A refused change writes nothing: roll the request's session back, then show the reason."""
    g.db_rollback = True
    status = 404 if error.__class__.__name__ == "NotFound" else 400
    return render_error(status, "Not found" if status == 404 else "That did not work", str(error))


def _actor(launch: LaunchSummary) -> str:
    return f"person:{launch.person.id}"


def _back(notice: str = "", error: str = "", anchor: str = "") -> Response:
    values = {k: v for k, v in (("notice", notice), ("error", error)) if v}
    return redirect(session_url("alignments.index", **values) + (f"#{anchor}" if anchor else ""), code=303)


@bp.get("/")
@require_role(*TEACHERS)
def index() -> str:
    """The setup page: the course's assignments, their alignments, suggestions and where scores come from."""
    launch = launch_summary()
    page = build_page(db(), launch.course, launch.platform, launch.person.id)
    pull = pull_status.pull_status(db(), launch.course.id)
    return render_template("alignments/index.html", launch=launch, page=page, flag_labels=FLAG_LABELS,
                           pull=pull, pull_text=pull_view.describe(pull) if pull else "",
                           notice=request.args.get("notice", ""), error=request.args.get("error", ""))


@bp.post("/framework")
@require_role(*TEACHERS)
def choose_framework() -> Response:
    """Pick the district framework this course is graded against."""
    launch = launch_summary()
    framework = alignment.choose_framework(db(), launch.course, _int(request.form.get("framework_id")),
                                           district_id=launch.identity.district_id, actor=_actor(launch))
    return _back(notice=f"This course now uses {framework.title}.")


@bp.get("/assignments/<int:assignment_id>")
@require_role(*TEACHERS)
def assignment_detail(assignment_id: int) -> str:
    """One assignment of this course with its alignments (another course's assignment is 404)."""
    launch = launch_summary()
    assignment = alignment.course_assignment(db(), launch.course.id, assignment_id)
    page = build_page(db(), launch.course, launch.platform, launch.person.id)
    row = next(r for r in page.rows if r.assignment.id == assignment.id)
    return render_template("alignments/assignment.html", launch=launch, page=page, row=row, flag_labels=FLAG_LABELS)


@bp.post("/assignments/<int:assignment_id>/alignments")
@require_role(*TEACHERS)
def add_alignment(assignment_id: int) -> Response:
    """Align an assignment (or one rubric criterion) to a standard with a weight."""
    launch = launch_summary()
    assignment = alignment.course_assignment(db(), launch.course.id, assignment_id)
    standard = db().get(Standard, _int(request.form.get("standard_id")))
    if standard is None:
        abort(404)
    alignment.set_alignment(db(), assignment, standard, district_id=launch.identity.district_id,
                            actor=_actor(launch), criterion=request.form.get("criterion", ""),
                            weight=_weight(request.form.get("weight")))
    return _back(notice=f"Aligned “{assignment.title}” to {standard.code or standard.identifier}.",
                 anchor=f"assignment-{assignment.id}")


@bp.post("/alignments/<int:alignment_id>/delete")
@require_role(*TEACHERS)
def delete_alignment(alignment_id: int) -> Response:
    """Remove one alignment of this course."""
    launch = launch_summary()
    alignment.remove_alignment_by_id(db(), launch.course.id, alignment_id, district_id=launch.identity.district_id,
                                     actor=_actor(launch))
    return _back(notice="Alignment removed.")


@bp.post("/assignments/<int:assignment_id>/standards-based")
@require_role(*TEACHERS)
def standards_based(assignment_id: int) -> Response:
    """Mark an assignment as not standards-based, or as standards-based again."""
    launch = launch_summary()
    assignment = alignment.course_assignment(db(), launch.course.id, assignment_id)
    flag = request.form.get("not_standards_based") == "1"
    alignment.mark_not_standards_based(db(), assignment, flag, district_id=launch.identity.district_id,
                                       actor=_actor(launch))
    word = "not standards-based" if flag else "standards-based"
    return _back(notice=f"“{assignment.title}” is {word}.", anchor=f"assignment-{assignment.id}")


@bp.post("/suggestions")
@require_role(*TEACHERS)
def decide_suggestions() -> Response:
    """Accept (with edited weights) or reject the selected suggestions in bulk."""
    launch = launch_summary()
    chosen = set(request.form.getlist("suggestion"))
    suggestions = [s for s in alignment.suggest(db(), launch.course.id) if s.key in chosen]
    if not suggestions:
        return _back(error="Select at least one suggestion.")
    if request.form.get("action") == "reject":
        count = alignment.reject_suggestions(db(), launch.course.id, suggestions,
                                             district_id=launch.identity.district_id, actor=_actor(launch))
        return _back(notice=f"Rejected {count} suggestion(s).")
    weights = {s.key: _weight(request.form.get(f"weight-{s.key}")) for s in suggestions}
    count = alignment.accept_suggestions(db(), launch.course.id, suggestions, district_id=launch.identity.district_id,
                                         actor=_actor(launch), weights=weights)
    return _back(notice=f"Accepted {count} suggestion(s).")


@bp.post("/pull")
@require_role(*TEACHERS)
def pull_now() -> Response:
    """Queue a background pull of the course's scores (at most one at a time), then show where it stands.

    With an inline queue (tests, tiny installs) the pull has already finished here, so its result is shown.
    """
    launch = launch_summary()
    source = pull_status.lms_source(launch.platform)
    if source is None:
        raise ServiceError(_("This platform has no API the tool can read; upload a gradebook export instead."))
    queued = intake_tasks.queue_pull(db(), launch.course.id, source, person_id=launch.person.id)
    if queued == "already":
        return _back(notice=_("A pull of this course is already queued or running, so no second one was "
                              "started. Its result shows below when it finishes."), anchor=PULL_ANCHOR)
    db().expire_all()  # the pull may have run inline in its own session
    state = pull_status.pull_status(db(), launch.course.id)
    assert state is not None
    if state.status == "failed":
        return _back(error=pull_view.failure_text(state), anchor=PULL_ANCHOR)
    if state.status == "ok":
        return _back(notice=_("Scores pulled: %(summary)s.", summary=pull_view.counts_summary(state)),
                     anchor=PULL_ANCHOR)
    return _back(notice=_("The pull is queued; it runs in the background and its result shows below."),
                 anchor=PULL_ANCHOR)


@bp.get("/api/pull-status")
@require_role(*TEACHERS)
def pull_status_json() -> tuple[Response, int] | Response:
    """Where the course's background pull stands, as JSON (the setup page polls it while a pull is under way)."""
    launch = launch_summary()
    state = pull_status.pull_status(db(), launch.course.id)
    if state is None:
        return jsonify({"error": {"status": 404, "message": "This course's LMS has no API the tool reads."}}), 404
    response = jsonify(pull_view.status_json(state))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------
# Gradebook CSV upload: preview, then import all or nothing
# ---------------------------------------------------------------------------


def _upload_text() -> str:
    request.max_content_length = MAX_UPLOAD_BYTES
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        return raw.decode("latin-1")
    return request.form.get("csv_text", "")


@bp.get("/upload")
@require_role(*TEACHERS)
def upload_form() -> str:
    """The gradebook upload form."""
    return render_template("alignments/upload.html", launch=launch_summary(), preview=None, csv_text="")


@bp.post("/upload")
@require_role(*TEACHERS)
def upload_preview() -> str:
    """Show what importing the uploaded export would do, or its line-numbered problems."""
    text = _upload_text()
    launch = launch_summary()
    if not text.strip():
        raise ServiceError("Choose a gradebook export file (CSV) first.")
    preview = evidence.preview_gradebook_csv(db(), launch.course, text)
    launch = launch_summary()  # the dry run rolled the session back
    return render_template("alignments/upload.html", launch=launch, preview=preview, csv_text=text)


@bp.post("/upload/confirm")
@require_role(*TEACHERS)
def upload_confirm() -> Any:
    """Import the previewed export in one transaction."""
    text = _upload_text()
    launch = launch_summary()
    result = evidence.import_gradebook_csv(db(), launch.course, text, actor=_actor(launch),
                                           district_id=launch.identity.district_id)
    if not result.ok:
        return render_template("alignments/upload.html", launch=launch, preview=result, csv_text=text)
    return _back(notice="Gradebook imported: " + result.counts.describe() + ".")


# ---------------------------------------------------------------------------
# Connect to Canvas
# ---------------------------------------------------------------------------


@bp.get("/canvas/connect")
@require_role(*TEACHERS)
def canvas_connect() -> Response:
    """Send the teacher to Canvas to authorize the tool (in this frame, or in a new window)."""
    launch = launch_summary()
    if launch.platform.product != "canvas":
        abort(404)
    settings = runtime().settings
    key = lms_credentials.canvas_api_key(db(), lms_credentials.SecretBox(settings.secret_key), launch.platform.id)
    api_url = lms_credentials.canvas_api_url(key, launch.course)
    state = lms_credentials.begin_connect(db(), platform_id=launch.platform.id, person_id=launch.person.id,
                                          course_id=launch.course.id, api_url=api_url,
                                          display=request.args.get("display", "iframe"))
    url, _state = lms_credentials.canvas_oauth(key, api_url, settings.base_url).authorization_url(state)
    return redirect(url, code=303)


@bp.post("/canvas/disconnect")
@require_role(*TEACHERS)
def canvas_disconnect() -> Response:
    """Revoke this teacher's Canvas authorization and delete the stored tokens."""
    launch = launch_summary()
    settings = runtime().settings
    box = lms_credentials.SecretBox(settings.secret_key)
    grant = lms_credentials.grant_of(db(), launch.platform.id, launch.person.id)
    if grant is None:
        return _back(notice="The tool was not connected to Canvas.")
    try:
        key = lms_credentials.canvas_api_key(db(), box, launch.platform.id)
        oauth = lms_credentials.canvas_oauth(key, grant.api_url, settings.base_url)
    except ServiceError:
        oauth = None  # no developer key any more: the tokens can only be deleted here
    try:
        lms_credentials.disconnect(db(), box, grant, oauth, district_id=launch.identity.district_id,
                                   actor=_actor(launch))
    except LmsError as error:
        return _back(error=f"Canvas could not be reached to revoke the access ({error.message}). Try again.")
    return _back(notice="Disconnected from Canvas; the tool's access was revoked.")


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        abort(400)


def _weight(value: str | None) -> float:
    if value is None or not value.strip():
        return 1.0
    try:
        return float(value)
    except ValueError as exc:
        raise ServiceError(f"{value!r} is not a number; a weight is a number such as 1 or 0.5.") from exc
