"""Error pages for people, JSON errors for /api: always a clear message, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from lti_tool.adapters.lti.errors import LaunchError
from lti_tool.services.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

_PLAIN = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please launch again", "Your session has ended or is missing. Open the tool again from your course."),
    403: ("Not allowed", "Your role in this course does not allow this page."),
    404: ("Not found", "There is nothing here, or it belongs to someone else."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The request is larger than the tool accepts."),
    429: ("Too many requests", "Please wait a moment and try again."),
    500: ("Something went wrong", "The tool hit an unexpected problem. It has been logged."),
}


def _wants_json() -> bool:
    # Every JSON API lives under an `/api/` segment (/api/v1, /student/api, /admin/api, /teacher/api).
    return "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def render_error(status: int, title: str, message: str, hint: str = "", code: str = "") -> tuple[Response | str, int]:
    """One error response, HTML or JSON by the route; the request's unit of work is rolled back."""
    g.db_rollback = True
    if _wants_json():
        return jsonify({"error": {"status": status, "code": code or title, "message": message, "hint": hint}}), status
    return render_template("error.html", status=status, title=title, message=message, hint=hint), status


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers for LTI, service and HTTP errors."""

    @app.errorhandler(LaunchError)
    def launch_error(error: LaunchError):  # type: ignore[no-untyped-def]
        log.info("Launch refused: %s", error.code)
        return render_error(error.status, "The launch did not work", error.message, error.hint, error.code)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):  # type: ignore[no-untyped-def]
        return render_error(404, "Not found", str(error))

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):  # type: ignore[no-untyped-def]
        return render_error(400, "That did not work", str(error))

    @app.errorhandler(OverflowError)
    def id_out_of_range(error: OverflowError):  # type: ignore[no-untyped-def]
        # An id no database integer can hold (SQLite refuses to bind it): nothing can have it.
        return render_error(404, *_PLAIN[404])

    @app.errorhandler(DataError)
    def data_out_of_range(error: DataError):  # type: ignore[no-untyped-def]
        return render_error(400, "That did not work", "A value is out of range or malformed.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        title, message = _PLAIN.get(status, (error.name, error.description or ""))
        if status == 400 and error.description and "CSRF" in error.description:
            message = "The form expired or did not come from this tool. Reload the page and try again."
        return render_error(status, title, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        from lti_tool.observability import ERRORS

        ERRORS.inc()
        log.exception("Unhandled error on %s", request.path)
        title, message = _PLAIN[500]
        return render_error(500, title, message)
