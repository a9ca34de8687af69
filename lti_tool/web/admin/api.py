"""The admin area's JSON API (bearer token): frameworks, standards, scales, policies and live previews."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from lti_tool.services import frameworks, policies, scales
from lti_tool.services.errors import ServiceError

from ..auth import require_role
from ..runtime import db
from . import bp
from .context import district_id
from .policy_form import read_policy_form, read_scale_form


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("Send a JSON object.")
    return data


@bp.get("/api/frameworks")
@require_role("admin")
def api_frameworks() -> Response:
    """The district's frameworks with their standard counts."""
    counts = frameworks.standard_counts(db(), district_id())
    return jsonify({"frameworks": [
        {"id": item.id, "identifier": item.identifier, "title": item.title, "version": item.version,
         "subject": item.subject, "source_format": item.source_format,
         "retired": item.retired_at is not None, "standards": counts.get(item.id, (0, 0))[0]}
        for item in frameworks.list_frameworks(db(), district_id(), include_retired=True)]})


@bp.get("/api/frameworks/<int:framework_id>/standards")
@require_role("admin")
def api_standards(framework_id: int) -> Response:
    """A framework's standards, optionally filtered with ?q=."""
    found = frameworks.search_standards(db(), district_id(), framework_id=framework_id,
                                        text=request.args.get("q", ""))
    return jsonify({"standards": [frameworks.describe_standard(item) for item in found]})


@bp.get("/api/scales")
@require_role("admin")
def api_scales() -> Response:
    """The district's scales with contrast checks."""
    return jsonify({"scales": [scales.describe_scale(item) for item in scales.list_scales(db(), district_id())]})


@bp.get("/api/scales/<int:scale_id>")
@require_role("admin")
def api_scale(scale_id: int) -> Response:
    """One scale with contrast checks."""
    return jsonify(scales.describe_scale(scales.get_scale(db(), district_id(), scale_id)))


@bp.get("/api/policy")
@require_role("admin")
def api_policy() -> Response:
    """The resolved district (or ?framework=ID) policy: document, locked keys and where each key comes from."""
    framework_id = request.args.get("framework", type=int)
    if framework_id is not None:
        frameworks.get_framework(db(), district_id(), framework_id)
    resolved = policies.resolve_policy(db(), district_id(), framework_id)
    return jsonify({"document": resolved.document, "locked": list(resolved.locked), "sources": resolved.sources})


@bp.post("/api/policy/preview")
@require_role("admin")
def api_policy_preview() -> Response:
    """Mastery results on sample evidence for the policy editor's unsaved fields."""
    data = _body()
    framework_id = data.get("framework_id")
    framework_id = int(str(framework_id)) if str(framework_id or "").isdigit() else None
    if framework_id is not None:
        frameworks.get_framework(db(), district_id(), framework_id)
    form = read_policy_form(data, framework_scope=framework_id is not None)
    scale_id = form.scale_id
    if scale_id is None and framework_id is None:
        default = policies.policy_record(db(), district_id())
        scale_id = default.scale_id if default else None
    document = policies.draft_document(db(), district_id(), form.settings, scale_id=scale_id,
                                       framework_id=framework_id)
    return jsonify({**_with_text_colours(policies.preview(document, data.get("evidence"))), "document": document})


@bp.post("/api/scales/preview")
@require_role("admin")
def api_scale_preview() -> Response:
    """Contrast checks and mastery results on sample evidence for the scale editor's unsaved levels."""
    _, levels, mastery, _ = read_scale_form(_body(), scales.MAX_LEVELS)
    checked = scales.validate_scale(levels, mastery)
    document = policies.resolve_policy(db(), district_id()).document
    document["scale"] = policies.engine_scale(checked.levels, checked.mastery_points)
    levels_by_points = sorted(checked.levels, key=lambda level: level["points"])
    document["conversion"] = _even_cuts(levels_by_points)
    return jsonify({**_with_text_colours(policies.preview(document)), "contrast": [asdict(check) for check in checked.contrast],
                    "levels": checked.levels})


def _even_cuts(levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Cut scores spread evenly over 0-100% for a scale being edited (the saved policy's may not fit it)."""
    step = 100 / len(levels)
    return {"cut_scores": [{"min_percent": round(index * step, 2), "points": level["points"]}
                           for index, level in enumerate(levels)]}


def _with_text_colours(preview: dict[str, Any]) -> dict[str, Any]:
    """Give each result's level badge the text colour that reads best on it."""
    for row in preview["results"]:
        checks = scales.check_contrast([{"label": row["level"], "colour": row["colour"]}]) if row["colour"] else []
        row["text_colour"] = checks[0].text_colour if checks else None
    return preview
