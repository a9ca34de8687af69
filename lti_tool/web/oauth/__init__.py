"""OAuth2 redirect endpoints of the LMS APIs (Canvas's authorization-code callback)."""

from flask import Blueprint

bp = Blueprint("oauth", __name__, url_prefix="/oauth")

from . import routes  # noqa: F401
