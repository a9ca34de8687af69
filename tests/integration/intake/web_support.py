"""Session tokens and Canvas key setup for the intake web tests."""

from __future__ import annotations

from flask import Flask

from lti_tool.services import lms_credentials
from lti_tool.storage.models import Platform
from lti_tool.web.auth import SessionIdentity, issue_token

from .builders import IntakeSetup


def token_for(app: Flask, setup: IntakeSetup, person_id: int | None = None, role: str = "teacher") -> str:
    """A session token for a person of the setup's course, as a launch would issue."""
    with app.test_request_context():
        return issue_token(SessionIdentity(person_id=person_id or setup.teacher_id, course_id=setup.course_id,
                                           platform_id=setup.platform_id, district_id=setup.district_id, role=role))


def store_canvas_key(app: Flask, db_session, setup: IntakeSetup, api_url: str) -> None:  # type: ignore[no-untyped-def]
    """Enter the fake Canvas's developer key for the setup's platform."""
    box = lms_credentials.SecretBox(app.extensions["sbg"].settings.secret_key)
    platform = db_session.get(Platform, setup.platform_id)
    lms_credentials.set_canvas_api_key(db_session, box, platform, client_id="10000000000001",
                                       client_secret="dev-key-secret", api_url=api_url, actor="test")
    db_session.commit()
