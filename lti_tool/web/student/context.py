"""Request context of the student area: the viewer, the visit's "since" mark, and links that keep both
the chosen language and that mark."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, g, request
from flask_babel import gettext

from lti_tool.services.student_access import Viewer
from lti_tool.services.student_views import StandardSummary
from lti_tool.storage.models import Person

from ..auth import current_identity, session_url
from . import bp

#: Area roles that may open student pages (teachers and admins through "view as student").
AREA_ROLES = ("student", "mentor", "teacher", "admin")


def viewer() -> Viewer:
    """The caller as the access rules see them."""
    identity = current_identity()
    if identity is None:
        abort(401)
    return Viewer(identity.person_id, identity.course_id, identity.district_id, identity.role)


def set_visit_since(moment: datetime | None) -> None:
    """Remember the previous visit for this request, so every link on the page carries it."""
    g.student_since = moment
    g.student_since_known = True


def since_from_request() -> tuple[bool, datetime | None]:
    """(whether this request already knows the visit mark, the mark) from this request or its link."""
    if g.get("student_since_known"):
        return True, g.student_since
    if "since" not in request.args:
        return False, None
    raw = request.args.get("since", "")
    return True, datetime.fromtimestamp(int(raw), UTC) if raw.isdigit() else None


def link_args() -> dict[str, Any]:
    """Query values every student-area link carries: the explicit language choice and the visit mark."""
    args: dict[str, Any] = {}
    if request.args.get("lang"):
        args["lang"] = request.args["lang"]
    known, since = since_from_request()
    if known:
        args["since"] = str(int(since.timestamp())) if since else ""
    return args


def student_url(endpoint: str, **values: Any) -> str:
    """A link within the student area that keeps the session token, language and visit mark."""
    return session_url(endpoint, **{**link_args(), **values})


def language_url(code: str) -> str:
    """This same page in another language."""
    values = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return session_url(request.endpoint or "student.home", **values)


def help_at_home(item: StandardSummary, student: Person) -> str:
    """A short suggestion for families on a standard that is not mastered yet ("" once mastered)."""
    if item.mastered:
        return ""
    name = student.given_name or student.name or gettext("your child")
    if item.level is None:
        return gettext("Ask %(name)s what the class is doing on this standard. Look at the work together.",
                       name=name)
    return gettext("Ask %(name)s to show you one task on this standard. Have them explain each step to you.",
                   name=name)


@bp.app_context_processor
def _student_helpers() -> dict[str, Any]:
    from .explanations import format_day, format_points

    return {"student_url": student_url, "language_url": language_url, "format_points": format_points,
            "format_day": format_day}
