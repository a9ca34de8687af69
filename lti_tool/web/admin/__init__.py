"""The admin area: frameworks, imports, scales, policies and the audit log of a district."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static", static_url_path="/assets")

from . import api, frameworks_pages, login, platforms_pages, routes, settings_pages  # noqa: F401
