"""JSON API of the student area: "what if" results, computed by the engine and never saved."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from lti_tool.services import student_views
from lti_tool.services.errors import ServiceError
from lti_tool.services.student_access import student_for
from lti_tool.services.student_views import LevelView

from ..auth import require_role
from ..runtime import db
from . import bp
from .context import AREA_ROLES, viewer
from .explanations import format_points, render_sentences


@bp.post("/api/students/<int:person_id>/standards/<int:standard_id>/what-if")
@require_role(*AREA_ROLES)
def what_if(person_id: int, standard_id: int) -> Response:
    """`{"points": 3}` in; the hypothetical score, level and explanation out (`"saved": false`)."""
    student = student_for(db(), viewer(), person_id)
    body = request.get_json(silent=True)
    points = body.get("points") if isinstance(body, dict) else None
    if isinstance(points, bool) or not isinstance(points, (int, float)):
        raise ServiceError(gettext("Choose one of the levels."))
    result = student_views.what_if(db(), viewer().course_id, student, standard_id, float(points),
                                   gettext("Your next score (what if)"))
    return jsonify({
        "hypothetical": True, "saved": False, "points": result.points,
        "current": {"score": result.current_score, "score_text": format_points(result.current_score),
                    "level": _level(result.current_level)},
        "result": {"score": result.score, "score_text": format_points(result.score),
                   "level": _level(result.level), "mastered": result.mastered},
        "summary": _summary(result),
        "explanation": render_sentences(result.sentences),
    })


def _summary(result: student_views.WhatIf) -> str:
    if result.level is None:
        return gettext("With that score, there would still be no result.")
    return gettext("With that score, your result would be %(score)s: %(label)s.",
                   score=format_points(result.score), label=result.level.label)


def _level(level: LevelView | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {"label": level.label, "points": level.points, "colour": level.colour, "rank": level.rank}
