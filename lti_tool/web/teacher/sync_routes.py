"""The teacher's gradebook sync page: settings, progress, per-student status, retry, and results download."""

from __future__ import annotations

from flask import Response, redirect, render_template, request

from lti_tool.jobs.sync_tasks import queue_items, queue_run_after_commit
from lti_tool.services import results_export
from lti_tool.services import sync as sync_service
from lti_tool.services.errors import ServiceError
from lti_tool.storage.models import Course

from ..auth import require_role, session_url
from ..runtime import db, runtime
from . import bp
from .routes import TEACHER_ROLES, _actor, _identity


@bp.get("/sync")
@require_role(*TEACHER_ROLES)
def sync_page() -> str:
    """Gradebook settings, the latest run's progress and every student's sync status."""
    course_id = _identity().course_id
    latest = sync_service.latest_run(db(), course_id)
    return render_template("teacher/sync.html", settings=sync_service.sync_settings(db(), course_id),
                           latest=latest, progress=sync_service.run_progress(db(), latest.id) if latest else None,
                           students=sync_service.student_statuses(db(), course_id),
                           has_gradebook=sync_service.course_has_gradebook(db(), course_id),
                           message=request.args.get("message", ""))


@bp.post("/sync/settings")
@require_role(*TEACHER_ROLES)
def sync_settings() -> Response:
    """Save which columns go to the gradebook and whether recomputation syncs automatically."""
    sync_service.save_sync_settings(db(), _identity().course_id, columns=request.form.get("columns", "standards"),
                                    auto_sync=request.form.get("auto_sync") == "1", actor=_actor())
    return redirect(session_url("teacher.sync_page", message="Settings saved."))  # type: ignore[return-value]


@bp.post("/sync/run")
@require_role(*TEACHER_ROLES)
def sync_run() -> Response:
    """Plan a sync now (only changed scores) and send it in the background."""
    course_id = _identity().course_id
    if not sync_service.course_has_gradebook(db(), course_id):
        raise ServiceError("The LMS has not given this course a gradebook service: launch the tool from the "
                           "course (as a graded link) once, then sync.")
    run = sync_service.plan_sync(db(), course_id, trigger="teacher", actor=_actor())
    queue_run_after_commit(db(), run.id)
    return redirect(session_url("teacher.sync_page", message=f"{run.planned} score(s) to send, "  # type: ignore[return-value]
                                f"{run.unchanged} unchanged."))


@bp.post("/sync/retry")
@require_role(*TEACHER_ROLES)
def sync_retry() -> Response:
    """Send the failed scores again."""
    item_ids = sync_service.retry_failed(db(), _identity().course_id)
    session = db()
    from sqlalchemy import event

    event.listen(session, "after_commit", lambda _s: queue_items(item_ids), once=True)
    return redirect(session_url("teacher.sync_page", message=f"{len(item_ids)} score(s) queued again."))  # type: ignore[return-value]


@bp.post("/sync/compare")
@require_role(*TEACHER_ROLES)
def sync_compare() -> Response:
    """Read the LMS's grades and mark cells where the gradebook holds another value."""
    course_id = _identity().course_id
    course = db().get(Course, course_id)
    gradebook = sync_service.gradebook_factory(runtime().http, runtime().service_tokens)(db(), course)  # type: ignore[arg-type]
    differ = sync_service.compare_with_gradebook(db(), course_id, gradebook)
    return redirect(session_url("teacher.sync_page",  # type: ignore[return-value]
                                message=f"{differ} grade(s) in the LMS differ from the tool's."))


@bp.get("/api/sync/progress")
@require_role(*TEACHER_ROLES)
def sync_progress() -> dict:  # type: ignore[type-arg]
    """The latest run's progress as JSON, for the progress bar."""
    latest = sync_service.latest_run(db(), _identity().course_id)
    if latest is None:
        return {"run_id": None, "total": 0, "done": 0, "finished": True, "errors": []}
    return sync_service.run_progress(db(), latest.id).as_dict()


@bp.get("/export.<fmt>")
@require_role(*TEACHER_ROLES)
def export(fmt: str) -> Response:
    """Download the course's results (csv, json, or OneRoster files in a ZIP)."""
    from lti_tool.storage.models import District

    identity = _identity()
    district = db().get(District, identity.district_id)
    wanted = "oneroster" if fmt == "zip" else fmt
    files = results_export.export(db(), district.name, wanted, course_ids=[identity.course_id])  # type: ignore[union-attr]
    if wanted == "oneroster":
        return Response(results_export.zip_files(files), mimetype="application/zip",
                        headers={"Content-Disposition": "attachment; filename=oneroster-gradebook.zip"})
    (name, text), = files.items()
    mimetype = "text/csv" if wanted == "csv" else "application/json"
    return Response(text, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})
