"""Pages of the teacher area: the class grid, one student's standard, overrides and the course policy."""

from __future__ import annotations

import json

from flask import abort, g, redirect, render_template, request
from werkzeug.wrappers import Response

from lti_tool.jobs.sync_tasks import queue_planned_runs
from lti_tool.services import course_policy, overrides, student_views
from lti_tool.services.errors import NotFound, ServiceError
from lti_tool.services.student_views import course_standards
from lti_tool.storage.models import Person

from ..auth import current_identity, require_role, session_url
from ..runtime import db
from ..student.explanations import render_sentences
from . import bp
from .grid import build_grid, scale_levels

TEACHER_ROLES = ("teacher", "admin")


def _identity():  # type: ignore[no-untyped-def]
    identity = current_identity()
    assert identity is not None
    return identity


def _actor() -> str:
    identity = _identity()
    person = db().get(Person, identity.person_id)
    return f"teacher:{person.name or person.sub}" if person else f"person:{identity.person_id}"


def _student(person_id: int) -> Person:
    """A learner of the caller's course (404 for anyone else)."""
    course_id = _identity().course_id
    grid_people = {row.person_id for row in build_grid(db(), course_id, standard_id=-1).rows}
    person = db().get(Person, person_id)
    if person is None or person_id not in grid_people:
        abort(404)
    return person


@bp.get("/")
@require_role(*TEACHER_ROLES)
def home() -> str:
    """The class mastery grid: students × standards, sortable and filterable, with totals."""
    args = request.args
    standard_id = args.get("standard", type=int)
    grid = build_grid(db(), _identity().course_id, standard_id=standard_id, student=args.get("student", ""),
                      not_mastered=args.get("not_mastered") == "1", sort=args.get("sort", "name"))
    all_standards = grid.standards if standard_id is None else course_standards(db(), _identity().course_id)
    return render_template("teacher/grid.html", grid=grid, all_standards=all_standards, filters=args)


@bp.get("/students/<int:person_id>/standards/<int:standard_id>")
@require_role(*TEACHER_ROLES)
def drill_down(person_id: int, standard_id: int) -> str:
    """One student's evidence for one standard, with the explanation the student sees, and the override form."""
    student = _student(person_id)
    course_id = _identity().course_id
    detail = student_views.standard_detail(db(), course_id, student, standard_id)
    current = overrides.active_override(db(), course_id, person_id, standard_id)
    return render_template("teacher/drill_down.html", student=student, detail=detail,
                           explanation=render_sentences(detail.sentences), override=current,
                           levels=scale_levels(db(), course_id), error=request.args.get("error", ""))


@bp.post("/students/<int:person_id>/standards/<int:standard_id>/override")
@require_role(*TEACHER_ROLES)
def set_override(person_id: int, standard_id: int) -> Response:
    """Set (or, with action=remove, remove) an override; the reason is required."""
    _student(person_id)
    course_id = _identity().course_id
    try:
        if request.form.get("action") == "remove":
            overrides.remove_override(db(), course_id, person_id, standard_id, actor=_actor())
        else:
            points = request.form.get("points", type=float)
            if points is None:
                raise ServiceError("Choose a level.")
            allowed = [float(level["points"]) for level in scale_levels(db(), course_id)]
            overrides.set_override(db(), course_id, person_id, standard_id, points=points,
                                   reason=request.form.get("reason", ""), actor=_actor(), allowed_points=allowed)
    except NotFound:
        raise  # another course's or district's ids: 404, never a friendly redirect
    except ServiceError as error:
        g.db_rollback = True
        return redirect(session_url("teacher.drill_down", person_id=person_id, standard_id=standard_id,
                                    error=str(error)))
    queue_planned_runs(db())
    return redirect(session_url("teacher.drill_down", person_id=person_id, standard_id=standard_id))


def _proposed_policy() -> dict:  # type: ignore[type-arg]
    """The policy form's fields as a course policy document (JSON text per setting)."""
    proposed = {}
    for key in course_policy.TEACHER_KEYS:
        text = request.form.get(key, "").strip()
        if not text:
            continue
        try:
            proposed[key] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ServiceError(f"{key}: not valid JSON ({exc.msg} at character {exc.pos}).") from exc
    return proposed


def _unchanged_removed(proposed: dict, form: course_policy.CoursePolicyForm) -> dict:  # type: ignore[type-arg]
    return {key: value for key, value in proposed.items() if value != form.document.get(key)}


@bp.route("/policy", methods=["GET", "POST"])
@require_role(*TEACHER_ROLES)
def policy() -> str:
    """The course policy: method, parameters and cut scores where the district allows; preview, then save."""
    course_id = _identity().course_id
    form = course_policy.policy_form(db(), course_id)
    message = error = ""
    preview = None
    values = {key: json.dumps(form.document.get(key), indent=1) for key in course_policy.TEACHER_KEYS}
    if request.method == "POST":
        values.update({key: request.form.get(key, values[key]) for key in form.editable})
        try:
            proposed = _unchanged_removed(_proposed_policy(), form)
            if request.form.get("action") == "save":
                saved = course_policy.save(db(), course_id, proposed, actor=_actor())
                queue_planned_runs(db())
                message = f"Saved. {saved.students_changed} student(s) changed level."
                form = course_policy.policy_form(db(), course_id)
            else:
                preview = course_policy.preview(db(), course_id, proposed, actor=_actor())
        except ServiceError as exc:
            error = str(exc)
    return render_template("teacher/policy.html", form=form, values=values, preview=preview, message=message,
                           error=error)


@bp.post("/api/policy/preview")
@require_role(*TEACHER_ROLES)
def policy_preview_api() -> dict:  # type: ignore[type-arg]
    """Live preview for the policy page: how many students' levels would change."""
    course_id = _identity().course_id
    form = course_policy.policy_form(db(), course_id)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise ServiceError("Send a JSON object of policy settings.")
    try:
        proposed = {key: json.loads(value) if isinstance(value, str) else value
                    for key, value in body.items() if key in course_policy.TEACHER_KEYS}
    except json.JSONDecodeError as exc:
        raise ServiceError(f"Not valid JSON: {exc.msg}.") from exc
    result = course_policy.preview(db(), course_id, _unchanged_removed(proposed, form), actor=_actor())
    return {"students_changed": result.students_changed, "cells_changed": result.cells_changed,
            "students": result.students}
