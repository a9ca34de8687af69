"""A built-in development platform that launches the running tool for real (never in production)."""

from flask import Blueprint

bp = Blueprint("devplatform", __name__, url_prefix="/dev/platform")

from . import routes  # noqa: E402,F401
