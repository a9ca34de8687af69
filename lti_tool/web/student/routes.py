"""Pages of the student area."""

from __future__ import annotations

from flask import render_template

from ..areas import launch_summary
from ..auth import require_role
from . import bp


@bp.get("/")
@require_role("student", "mentor")
def home() -> str:
    """The student area's start page."""
    return render_template("student/home.html", launch=launch_summary())
