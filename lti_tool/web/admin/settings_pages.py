"""Admin pages for mastery scales and grading policies (district default and per framework)."""

from __future__ import annotations

from flask import redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.engine import METHODS
from lti_tool.services import frameworks, policies, scales
from lti_tool.services.errors import ServiceError

from ..auth import require_role, session_url
from ..runtime import db
from . import bp
from .context import actor, district_id, district_name
from .policy_form import (
    CUT_ROWS,
    FORM_KEYS,
    form_values,
    read_policy_form,
    read_scale_form,
)

EXTRA_SCALE_ROWS = 2


@bp.get("/scales")
@require_role("admin")
def scales_index() -> str:
    """The district's mastery scales."""
    policies.seed_district_defaults(db(), district_id(), actor="system")
    listed = scales.list_scales(db(), district_id())
    return render_template("admin/scales.html", scales=listed, district=district_name(),
                           contrast={scale.id: scales.check_contrast(scale.levels) for scale in listed})


def _scale_page(scale_id: int | None, error: str = "", status: int = 200):  # type: ignore[no-untyped-def]
    scale = scales.get_scale(db(), district_id(), scale_id) if scale_id is not None else None
    if request.method == "POST":
        name, levels, mastery, accepted = read_scale_form(request.form, scales.MAX_LEVELS)
    else:
        name = scale.name if scale else ""
        levels = list(scale.levels) if scale else []
        mastery, accepted = (scale.mastery_points if scale else ""), False
    rows = min(max(len(levels) + EXTRA_SCALE_ROWS, 4), scales.MAX_LEVELS)
    page = render_template("admin/scale_edit.html", scale=scale, name=name, levels=levels, mastery=mastery,
                           rows=rows, accepted=accepted, error=error, contrast=scales.check_contrast(
                               [level for level in levels if _valid_colour(level.get("colour", ""))]))
    return (page, status) if status != 200 else page


def _valid_colour(text: str) -> bool:
    try:
        scales.normalise_colour(text)
    except ServiceError:
        return False
    return True


@bp.get("/scales/new")
@require_role("admin")
def scale_new():  # type: ignore[no-untyped-def]
    """The scale editor for a new scale."""
    return _scale_page(None)


@bp.get("/scales/<int:scale_id>")
@require_role("admin")
def scale_edit(scale_id: int):  # type: ignore[no-untyped-def]
    """The scale editor with its live preview."""
    return _scale_page(scale_id)


@bp.post("/scales/new")
@bp.post("/scales/<int:scale_id>")
@require_role("admin")
def scale_save(scale_id: int | None = None):  # type: ignore[no-untyped-def]
    """Save a scale; problems come back on the same page."""
    name, levels, mastery, accepted = read_scale_form(request.form, scales.MAX_LEVELS)
    try:
        saved = scales.save_scale(db(), district_id(), scale_id=scale_id, name=name, levels=levels,
                                  mastery_points=mastery, actor=actor(), accept_low_contrast=accepted)
    except ServiceError as error:
        if scale_id is not None:
            scales.get_scale(db(), district_id(), scale_id)  # another district's id stays a 404
        return _scale_page(scale_id, error=str(error), status=400)
    return redirect(session_url("admin.scale_edit", scale_id=saved.id, saved=1))


@bp.post("/scales/<int:scale_id>/delete")
@require_role("admin")
def scale_delete(scale_id: int) -> BaseResponse:
    """Delete a scale no policy uses."""
    scales.delete_scale(db(), district_id(), scale_id, actor=actor())
    return redirect(session_url("admin.scales_index"))


def _policy_page(framework_id: int | None, error: str = "", status: int = 200):  # type: ignore[no-untyped-def]
    framework = frameworks.get_framework(db(), district_id(), framework_id) if framework_id is not None else None
    policies.seed_district_defaults(db(), district_id(), actor="system")
    record = policies.policy_record(db(), district_id(), framework_id)
    resolved = policies.resolve_policy(db(), district_id(), framework_id)
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in request.form}
        locked = [key for key in FORM_KEYS if request.form.get(f"lock_{key}")]
        overridden = [key for key in FORM_KEYS if request.form.get(f"override_{key}")]
        scale_id = request.form.get("scale_id", type=int)
    else:
        values = form_values(resolved.document)
        locked = list(record.locked) if record else []
        overridden = list((record.settings or {}).keys()) + (["scale"] if record and record.scale_id else []) \
            if record else []
        default = policies.policy_record(db(), district_id())
        scale_id = (record.scale_id if record and record.scale_id else default.scale_id if default else None)
    page = render_template(
        "admin/policy.html", framework=framework, values=values, locked=locked, overridden=overridden,
        scale_id=scale_id, scales=scales.list_scales(db(), district_id()), methods=METHODS, cut_rows=CUT_ROWS,
        keys=FORM_KEYS, sources=resolved.sources, error=error, district=district_name(),
        frameworks=frameworks.list_frameworks(db(), district_id()), saved=request.args.get("saved"))
    return (page, status) if status != 200 else page


@bp.get("/policy")
@require_role("admin")
def policy_edit():  # type: ignore[no-untyped-def]
    """The district's default policy (or, with ?framework=ID, a framework's) with its live preview."""
    return _policy_page(request.args.get("framework", type=int))


@bp.post("/policy")
@require_role("admin")
def policy_save():  # type: ignore[no-untyped-def]
    """Save the policy; problems come back on the same page."""
    framework_id = request.form.get("framework_id", type=int)
    try:
        form = read_policy_form(request.form, framework_scope=framework_id is not None)
        policies.save_policy(db(), district_id(), framework_id=framework_id, settings=form.settings,
                             locked=form.locked, scale_id=form.scale_id, actor=actor())
    except ServiceError as error:
        db().rollback()
        return _policy_page(framework_id, error=str(error), status=400)
    extra = {"framework": framework_id} if framework_id is not None else {}
    return redirect(session_url("admin.policy_edit", saved=1, **extra))
