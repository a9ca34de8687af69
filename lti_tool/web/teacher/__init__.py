"""The teacher area."""

from flask import Blueprint

bp = Blueprint("teacher", __name__, url_prefix="/teacher")

from . import routes, sync_routes  # noqa: E402,F401
