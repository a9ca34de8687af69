"""The student area: learners, their families (mentors), and teachers viewing as a student."""

from flask import Blueprint

bp = Blueprint("student", __name__, url_prefix="/student")

from . import api, context, routes  # noqa: F401
