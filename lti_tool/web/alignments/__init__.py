"""The teacher's course setup: align assignments to standards, pull or upload scores, connect to Canvas."""

from flask import Blueprint

bp = Blueprint("alignments", __name__, url_prefix="/teacher/setup")

from . import routes  # noqa: F401
