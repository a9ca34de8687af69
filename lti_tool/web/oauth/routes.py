"""Canvas's OAuth2 callback: check the single-use state, trade the code for tokens, store them encrypted."""

from __future__ import annotations

import logging
from typing import Any

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from lti_tool.adapters.http import LmsError
from lti_tool.services import lms_credentials
from lti_tool.services.errors import ServiceError
from lti_tool.storage.models import Enrollment, Person, Platform

from ..auth import SessionIdentity, issue_token
from ..runtime import db, runtime
from . import bp

log = logging.getLogger(__name__)


@bp.get("/canvas/callback")
def canvas_callback() -> Any:
    """Finish "Connect to Canvas": the state names the teacher and course it was started for."""
    session = db()
    state = lms_credentials.consume_state(session, request.args.get("state", ""))
    session.commit()  # the state is spent even if the exchange below fails
    platform = session.get(Platform, state.platform_id)
    person = session.get(Person, state.person_id)
    enrollment = session.scalar(select(Enrollment).where(Enrollment.course_id == state.course_id,
                                                         Enrollment.person_id == state.person_id))
    if platform is None or person is None or enrollment is None:
        raise ServiceError("The course or teacher of this authorization no longer exists.")
    if request.args.get("error"):
        # The teacher pressed Cancel in Canvas (error=access_denied): nothing is stored.
        return _finish(state, platform, enrollment.role, connected=False,
                       message="Canvas access was not granted, so scores cannot be read from Canvas yet.")
    settings = runtime().settings
    box = lms_credentials.SecretBox(settings.secret_key)
    key = lms_credentials.canvas_api_key(session, box, platform.id)
    try:
        token = lms_credentials.canvas_oauth(key, state.api_url, settings.base_url).exchange_code(
            request.args.get("code", ""))
    except LmsError as error:
        log.info("Canvas code exchange failed for person %s: %s", person.id, error.message)
        return _finish(state, platform, enrollment.role, connected=False, message=error.message)
    lms_credentials.save_grant(session, box, platform_id=platform.id, person_id=person.id, api_url=state.api_url,
                               token=token, district_id=platform.district_id, actor=f"person:{person.id}")
    return _finish(state, platform, enrollment.role, connected=True, message="The tool is connected to Canvas.")


def _finish(state: Any, platform: Platform, role: str, *, connected: bool, message: str) -> Any:
    """Back to the setup page with a fresh session token (the callback itself carries none)."""
    token = issue_token(SessionIdentity(person_id=state.person_id, course_id=state.course_id,
                                        platform_id=platform.id, district_id=platform.district_id, role=role))
    if connected:
        setup_url = url_for("alignments.index", t=token, notice=message)
    else:
        setup_url = url_for("alignments.index", t=token, error=message)
    if state.display == "window":
        return render_template("alignments/connected.html", connected=connected, message=message,
                               setup_url=setup_url)
    return redirect(setup_url, code=303)
