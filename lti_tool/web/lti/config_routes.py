"""What an LMS admin pastes: Canvas developer-key JSON and the values for Moodle's manual form."""

from __future__ import annotations

from flask import Response, jsonify, render_template

from lti_tool.adapters.lti.tool_config import ToolUrls, canvas_developer_key_json, moodle_manual_form

from ..runtime import runtime
from . import bp


@bp.get("/lti/config/canvas.json")
def canvas_config() -> Response:
    """The Canvas LTI 1.3 developer-key configuration."""
    return jsonify(canvas_developer_key_json(ToolUrls(runtime().settings.base_url)))


@bp.get("/lti/config")
def setup_page() -> str:
    """A page with every URL and form value an LMS admin needs."""
    urls = ToolUrls(runtime().settings.base_url)
    return render_template("lti/moodle_setup.html", urls=urls, moodle_fields=moodle_manual_form(urls))
