"""Pages of the teacher area."""

from __future__ import annotations

from flask import render_template

from ..areas import launch_summary
from ..auth import require_role
from . import bp


@bp.get("/")
@require_role("teacher", "admin")
def home() -> str:
    """The teacher area's start page."""
    return render_template("teacher/home.html", launch=launch_summary())
