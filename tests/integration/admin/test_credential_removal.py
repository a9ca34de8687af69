"""Removing a platform's Canvas API key or Moodle token from the admin platforms page: audited, tenant-scoped,
and a removed Canvas key takes every teacher's Canvas grant with it (revoked in Canvas when it answers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lti_tool.adapters.canvas_oauth import CanvasToken
from lti_tool.services import lms_credentials
from lti_tool.storage.models import (
    AuditEvent,
    CanvasGrant,
    Enrollment,
    LmsApiCredential,
    Person,
    Platform,
)
from tests.integration.intake.builders import IntakeSetup, make_course, unique
from tests.integration.intake.web_support import store_canvas_key, token_for
from tests.support.services import free_port

from .web_support import form_action


@pytest.fixture()
def box(app):
    return lms_credentials.SecretBox(app.extensions["sbg"].settings.secret_key)


def connect_teacher(db_session, box, fake_canvas, setup: IntakeSetup, person_id: int, name: str) -> str:
    """Store a grant for a teacher as Connect to Canvas would, with tokens the fake Canvas accepts; returns the
    refresh token."""
    refresh = unique("refresh")
    issued = fake_canvas.add_token(unique("access"), refresh_token=refresh, lifetime=3600)
    token = CanvasToken(issued.access_token, refresh, datetime.now(UTC) + timedelta(hours=1), "42", name)
    lms_credentials.save_grant(db_session, box, platform_id=setup.platform_id, person_id=person_id,
                               api_url=fake_canvas.base_url, token=token, district_id=setup.district_id,
                               actor="test")
    db_session.commit()
    return refresh


def second_teacher(db_session, setup: IntakeSetup) -> int:
    """Another teacher of the setup's course."""
    person = Person(platform_id=setup.platform_id, sub=unique("teacher"), name="Katherine Johnson")
    db_session.add(person)
    db_session.flush()
    db_session.add(Enrollment(course_id=setup.course_id, person_id=person.id, role="teacher"))
    db_session.commit()
    return person.id


def remove_from_page(client, token: str, platform_id: int, kind: str):  # type: ignore[no-untyped-def]
    """Open the platforms page as the admin and press the platform's Remove button."""
    page = client.get("/admin/platforms", query_string={"t": token})
    assert page.status_code == 200
    action = form_action(page.text, f"/platforms/{platform_id}/{kind}/remove")
    return client.post(action, data={"t": token})


def credential(db_session, platform_id: int) -> LmsApiCredential | None:
    db_session.expire_all()
    return db_session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform_id))


def test_removing_the_canvas_key_revokes_and_deletes_every_teachers_grant_and_is_audited(app, client, db_session,
                                                                                        box, fake_canvas):
    setup = make_course(db_session)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    refresh_tokens = [connect_teacher(db_session, box, fake_canvas, setup, setup.teacher_id, "Grace Hopper"),
                      connect_teacher(db_session, box, fake_canvas, setup, second_teacher(db_session, setup),
                                      "Katherine Johnson")]
    token = token_for(app, setup, role="admin")

    removed = remove_from_page(client, token, setup.platform_id, "canvas-api")

    assert removed.status_code == 303
    query = parse_qs(urlsplit(removed.headers["Location"]).query)
    assert query["grants"] == ["2"] and query["revoked"] == ["2"]
    assert credential(db_session, setup.platform_id) is None
    assert db_session.scalars(select(CanvasGrant).where(CanvasGrant.platform_id == setup.platform_id)).all() == []
    assert set(refresh_tokens) <= set(fake_canvas.revoked) and not fake_canvas.tokens
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.district_id == setup.district_id)).all()
    removal = next(event for event in events if event.action == "canvas_api.remove")
    assert removal.before == {"client_id": "10000000000001", "api_url": fake_canvas.base_url}
    assert removal.after == {"grants_deleted": 2, "grants_revoked": 2}
    assert sum(event.action == "canvas.disconnect" for event in events) == 2
    assert all("dev-key-secret" not in str(event.before) + str(event.after) for event in events)
    page = client.get(removed.headers["Location"])
    assert "2 teacher connection(s) were deleted, 2 of them also revoked in Canvas" in page.text
    assert "No Canvas API developer key yet" in page.text and "Remove the developer key" not in page.text


def test_a_canvas_that_cannot_be_reached_does_not_stop_the_removal(app, client, db_session, box, fake_canvas):
    setup = make_course(db_session)
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    store_canvas_key(app, db_session, setup, gone)
    refresh = connect_teacher(db_session, box, fake_canvas, setup, setup.teacher_id, "Grace Hopper")
    db_session.execute(CanvasGrant.__table__.update().where(CanvasGrant.platform_id == setup.platform_id)
                       .values(api_url=gone))
    db_session.commit()

    removed = remove_from_page(client, token_for(app, setup, role="admin"), setup.platform_id, "canvas-api")

    query = parse_qs(urlsplit(removed.headers["Location"]).query)
    assert removed.status_code == 303 and query["grants"] == ["1"] and query["revoked"] == ["0"]
    assert credential(db_session, setup.platform_id) is None
    assert db_session.scalar(select(CanvasGrant).where(CanvasGrant.platform_id == setup.platform_id)) is None
    assert refresh not in fake_canvas.revoked


def test_removing_the_moodle_token_is_audited_without_the_token(app, client, db_session, box, fake_moodle):
    setup = make_course(db_session, product="moodle", issuer=fake_moodle.base_url)
    platform = db_session.get(Platform, setup.platform_id)
    lms_credentials.set_moodle_ws_token(db_session, box, platform, token="ws-secret-token", actor="test")
    db_session.commit()

    removed = remove_from_page(client, token_for(app, setup, role="admin"), setup.platform_id, "moodle-ws")

    assert removed.status_code == 303
    assert credential(db_session, setup.platform_id) is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.district_id == setup.district_id,
                                                       AuditEvent.action == "moodle_ws.remove"))
    assert event is not None and event.entity_id == str(setup.platform_id) and event.actor == "Grace Hopper"
    assert "ws-secret-token" not in str(event.before)
    page = client.get(removed.headers["Location"])
    assert "The Moodle web-service token was removed." in page.text and "Remove the token" not in page.text


def test_removing_again_says_there_was_nothing_to_remove(app, client, db_session, box):
    setup = make_course(db_session, product="moodle")
    platform = db_session.get(Platform, setup.platform_id)
    lms_credentials.set_moodle_ws_token(db_session, box, platform, token="ws-secret-token", actor="test")
    db_session.commit()
    token = token_for(app, setup, role="admin")
    action = form_action(client.get("/admin/platforms", query_string={"t": token}).text, "/moodle-ws/remove")

    client.post(action, data={"t": token})
    again = client.post(action, data={"t": token})

    assert again.status_code == 303
    assert "Nothing to remove: no credential was set." in client.get(again.headers["Location"]).text
    removals = db_session.scalars(select(AuditEvent).where(AuditEvent.district_id == setup.district_id,
                                                           AuditEvent.action == "moodle_ws.remove")).all()
    assert len(removals) == 1


def test_another_districts_credentials_cannot_be_removed(app, client, db_session, box, fake_canvas):
    mine = make_course(db_session)
    theirs = make_course(db_session)
    store_canvas_key(app, db_session, theirs, fake_canvas.base_url)
    token = token_for(app, mine, role="admin")

    for kind in ("canvas-api", "moodle-ws"):
        refused = client.post(f"/admin/platforms/{theirs.platform_id}/{kind}/remove", data={"t": token})
        assert refused.status_code == 404
    assert credential(db_session, theirs.platform_id) is not None


def test_only_an_admin_with_a_session_token_can_remove_credentials(app, client, db_session, fake_canvas):
    setup = make_course(db_session)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    path = f"/admin/platforms/{setup.platform_id}/canvas-api/remove"

    assert client.post(path, data={"t": token_for(app, setup, role="teacher")}).status_code == 403
    assert client.post(path).status_code == 401  # a cookie alone never authorizes a change
    assert credential(db_session, setup.platform_id) is not None
