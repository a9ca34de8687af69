"""Pages of the admin area."""

from __future__ import annotations

from flask import render_template

from ..areas import launch_summary
from ..auth import require_role
from . import bp


@bp.get("/")
@require_role("admin")
def home() -> str:
    """The admin area's start page."""
    return render_template("admin/home.html", launch=launch_summary())
