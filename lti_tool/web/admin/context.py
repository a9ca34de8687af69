"""Who the admin is and which district they manage, for every admin page and API call."""

from __future__ import annotations

from flask import Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException

from lti_tool.services.errors import NotFound, ServiceError
from lti_tool.storage.models import District, Person
from lti_tool.storage.models.admin import AdminAccount

from ..auth import SessionIdentity, current_identity
from ..errors import render_error
from ..runtime import db
from . import bp

#: Upload routes accept framework files up to this size (the app-wide limit is much smaller).
UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024
UPLOAD_ENDPOINTS = {"admin.import_upload"}


def is_local_admin(identity: SessionIdentity) -> bool:
    """Whether the session comes from the local admin login (its person id is the negated account id)."""
    return identity.person_id < 0


def identity() -> SessionIdentity:
    """The calling admin's identity (the views are guarded by `require_role("admin")`)."""
    found = current_identity()
    if found is None:
        abort(401)
    return found


def district_id() -> int:
    """The district every query of this request is scoped to."""
    return identity().district_id


def district_name() -> str:
    """The name of the admin's district."""
    district = db().get(District, district_id())
    if district is None:
        abort(404)
    return district.name


def actor() -> str:
    """Who is acting, as the audit log records it: the account email, or the LMS person's email or name."""
    if "admin_actor" not in g:
        caller = identity()
        name = ""
        if is_local_admin(caller):
            account = db().get(AdminAccount, -caller.person_id)
            name = account.email if account is not None else ""
        else:
            person = db().get(Person, caller.person_id)
            if person is not None:
                name = person.email or person.name or person.sub
        g.admin_actor = name or f"person:{caller.person_id}"
    return g.admin_actor  # type: ignore[no-any-return]


@bp.before_request
def _raise_upload_limit() -> None:
    """Framework files are far larger than forms; raise the limit before anything reads the body."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_LIMIT_BYTES


def _is_api() -> bool:
    return request.path.startswith("/admin/api/")


def _json_error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "message": message}}), status


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):  # type: ignore[no-untyped-def]
    return _json_error(404, str(error)) if _is_api() else render_error(404, "Not found", str(error))


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError):  # type: ignore[no-untyped-def]
    return _json_error(400, str(error)) if _is_api() else render_error(400, "That did not work", str(error))


_ADMIN_MESSAGES = {
    401: ("Please sign in again", ("Your session has ended or is missing. Open the tool again from your LMS, "
                                  "or sign in at /admin/login.")),
    403: ("Not allowed", "Only district admins may use this page."),
    413: ("Too large", "The file is larger than the tool accepts."),
}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    status = error.code or 500
    if _is_api():
        return _json_error(status, _ADMIN_MESSAGES.get(status, ("", error.description or error.name))[1])
    title, message = _ADMIN_MESSAGES.get(status, (error.name, error.description or ""))
    if status == 400 and "CSRF" in (error.description or ""):
        message = "The form expired or did not come from this tool. Reload the page and try again."
    return render_error(status, title, message)
