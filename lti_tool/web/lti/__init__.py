"""LTI endpoints: login, launch, keys, configuration, dynamic registration and deep linking."""

from flask import Blueprint

bp = Blueprint("lti", __name__)

from . import config_routes, deep_link_routes, launch_routes, register_routes  # noqa: E402,F401
