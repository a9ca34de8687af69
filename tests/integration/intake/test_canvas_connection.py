"""Connect to Canvas through the web routes: authorize, store encrypted, pull, refresh, revoke, reconnect."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import func, select

from lti_tool.storage.models import (
    AuditEvent,
    CanvasGrant,
    EvidenceRecord,
    LmsApiCredential,
    OAuthState,
)
from tests.fakes.canvas_server import build_course

from .builders import make_course
from .web_support import store_canvas_key, token_for

STUDENTS = [str(5000 + n) for n in range(5)]


def connect(client, fake_canvas, token: str, display: str = "iframe"):  # type: ignore[no-untyped-def]
    """Press Connect to Canvas, let the fake Canvas approve, and follow its redirect back to the tool."""
    started = client.get(f"/teacher/setup/canvas/connect?t={token}&display={display}")
    assert started.status_code == 303
    authorize = started.headers["Location"]
    assert authorize.startswith(fake_canvas.base_url + "/login/oauth2/auth")
    approved = requests.get(authorize, allow_redirects=False, timeout=5)
    callback = urlsplit(approved.headers["Location"])
    assert callback.path == "/oauth/canvas/callback"
    return client.get(f"{callback.path}?{callback.query}"), parse_qs(callback.query)


def test_connecting_stores_the_tokens_encrypted_and_returns_to_the_setup_page(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    token = token_for(app, setup)

    back, _query = connect(client, fake_canvas, token)

    assert back.status_code == 303 and "/teacher/setup/" in back.headers["Location"]
    assert "connected" in parse_qs(urlsplit(back.headers["Location"]).query)["notice"][0]
    grant = db_session.scalar(select(CanvasGrant).where(CanvasGrant.person_id == setup.teacher_id))
    issued = next(iter(fake_canvas.tokens.values()))
    assert grant.status == "active" and grant.canvas_user_id == "42"
    assert issued.access_token not in grant.access_token_encrypted
    assert issued.refresh_token not in grant.refresh_token_encrypted
    key = db_session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == setup.platform_id))
    assert "dev-key-secret" not in key.secret_encrypted
    audit = db_session.scalars(select(AuditEvent).where(AuditEvent.district_id == setup.district_id)).all()
    assert {"canvas_api.set", "canvas.connect"} <= {event.action for event in audit}
    assert all("dev-key-secret" not in str(event.after) for event in audit)


def test_an_oauth_state_works_once_only(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    _, query = connect(client, fake_canvas, token_for(app, setup))

    replay = client.get(f"/oauth/canvas/callback?code=whatever&state={query['state'][0]}")

    assert replay.status_code == 400
    assert b"already used" in replay.data


def test_an_unknown_state_is_refused(client):
    response = client.get("/oauth/canvas/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert b"Connect to Canvas" in response.data


def test_connecting_in_a_new_window_shows_a_page_that_leads_back(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)

    page, _ = connect(client, fake_canvas, token_for(app, setup), display="window")

    assert page.status_code == 200
    assert b"Connected to Canvas" in page.data and b"/teacher/setup/?t=" in page.data


def test_a_teacher_who_cancels_in_canvas_stays_unconnected(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    started = client.get(f"/teacher/setup/canvas/connect?t={token_for(app, setup)}")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]

    back = client.get(f"/oauth/canvas/callback?error=access_denied&state={state}")

    assert back.status_code == 303 and "error=" in back.headers["Location"]
    assert db_session.scalar(select(CanvasGrant).where(CanvasGrant.person_id == setup.teacher_id)) is None


def test_pull_refresh_and_disconnect_end_to_end(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    fake_canvas.add_course(build_course(101, students=5, assignments=4))
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    token = token_for(app, setup)
    connect(client, fake_canvas, token)

    pulled = client.post("/teacher/setup/pull", data={"t": token})
    assert pulled.status_code == 303 and "Scores+pulled" in pulled.headers["Location"]
    stored = db_session.scalar(select(func.count(EvidenceRecord.id)).where(EvidenceRecord.course_id == setup.course_id))
    assert stored > 0

    encrypted_before = db_session.scalar(select(CanvasGrant.access_token_encrypted).where(
        CanvasGrant.person_id == setup.teacher_id))
    fake_canvas.advance(3700)  # the one-hour access token has expired
    tokens_before = len(fake_canvas.tokens)
    again = client.post("/teacher/setup/pull", data={"t": token})
    assert again.status_code == 303 and "unchanged" in again.headers["Location"]
    assert len(fake_canvas.tokens) == tokens_before + 1  # refreshed once, with the stored refresh token
    db_session.expire_all()
    grant = db_session.scalar(select(CanvasGrant).where(CanvasGrant.person_id == setup.teacher_id))
    assert grant.status == "active" and grant.expires_at > datetime.now(UTC)
    assert grant.access_token_encrypted != encrypted_before

    refresh_token = next(iter(fake_canvas.tokens.values())).refresh_token
    gone = client.post("/teacher/setup/canvas/disconnect", data={"t": token})
    assert gone.status_code == 303 and "revoked" in gone.headers["Location"]
    assert refresh_token in fake_canvas.revoked and not fake_canvas.tokens
    db_session.expire_all()
    assert db_session.scalar(select(CanvasGrant).where(CanvasGrant.person_id == setup.teacher_id)) is None
    kept = db_session.scalar(select(func.count(EvidenceRecord.id)).where(EvidenceRecord.course_id == setup.course_id))
    assert kept == stored


def test_a_grant_revoked_in_canvas_asks_the_teacher_to_reconnect_and_keeps_every_score(app, client, db_session,
                                                                                      fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    fake_canvas.add_course(build_course(101, students=5, assignments=3))
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    token = token_for(app, setup)
    connect(client, fake_canvas, token)
    client.post("/teacher/setup/pull", data={"t": token})
    stored = db_session.scalar(select(func.count(EvidenceRecord.id)).where(EvidenceRecord.course_id == setup.course_id))
    for issued in list(fake_canvas.tokens.values()):  # a Canvas admin deleted the tool's access
        fake_canvas.revoked.append(issued.refresh_token)
    fake_canvas.tokens.clear()

    refused = client.post("/teacher/setup/pull", data={"t": token})

    assert refused.status_code == 303 and "Connect+to+Canvas+again" in refused.headers["Location"]
    db_session.expire_all()
    grant = db_session.scalar(select(CanvasGrant).where(CanvasGrant.person_id == setup.teacher_id))
    assert grant.status == "needs_reconnect"
    assert db_session.scalar(select(func.count(EvidenceRecord.id)).where(
        EvidenceRecord.course_id == setup.course_id)) == stored
    page = client.get(f"/teacher/setup/?t={token}")
    assert b"Connect again" in page.data and b"Connect to Canvas" in page.data

    connect(client, fake_canvas, token)
    db_session.expire_all()
    assert db_session.get(CanvasGrant, grant.id).status == "active"


def test_states_are_stored_hashed(app, client, db_session, fake_canvas):
    setup = make_course(db_session, student_ids=STUDENTS)
    store_canvas_key(app, db_session, setup, fake_canvas.base_url)
    started = client.get(f"/teacher/setup/canvas/connect?t={token_for(app, setup)}")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    assert db_session.scalar(select(OAuthState).where(OAuthState.state_hash == state)) is None
