"""The admin platforms page over HTTP: registrations of the own district only, Canvas keys and Moodle tokens
stored encrypted and never shown, audited changes, 404 for other districts' platforms, 403 for other roles."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from lti_tool.services.lms_credentials import SecretBox
from lti_tool.services.platforms import PlatformSpec, add_deployment, add_platform
from lti_tool.storage.models import AuditEvent, LmsApiCredential, Platform

from .builders import DistrictSetup, make_district, unique
from .web_support import token_for


def _platform(session, setup: DistrictSetup, product: str, *, via: str = "cli", deployments=("d-1",)) -> Platform:
    name = unique(product)
    issuer = "https://canvas.instructure.com" if product == "canvas" else f"https://{name}.example.org"
    platform = add_platform(session, PlatformSpec(
        name=name, issuer=issuer, client_id=unique("client"), auth_url=f"{issuer}/auth", token_url=f"{issuer}/token",
        jwks_url=f"{issuer}/jwks", deployment_ids=tuple(deployments), district=setup.name, product=product,
        registered_via=via), actor="test")
    session.commit()
    return platform


def _credential(session, platform_id: int) -> LmsApiCredential | None:
    session.expire_all()
    return session.scalar(select(LmsApiCredential).where(LmsApiCredential.platform_id == platform_id))


@pytest.fixture()
def district(db_session):
    return make_district(db_session)


@pytest.fixture()
def token(app, district):
    return token_for(app, district)


@pytest.fixture()
def canvas(db_session, district):
    return _platform(db_session, district, "canvas")


@pytest.fixture()
def moodle(db_session, district):
    return _platform(db_session, district, "moodle")


@pytest.fixture()
def box(app):
    return SecretBox(app.extensions["sbg"].settings.secret_key)


def test_the_page_lists_only_the_districts_own_platforms_with_their_deployments(client, db_session, district, token,
                                                                                canvas, moodle):
    other = make_district(db_session, "other")
    foreign = _platform(db_session, other, "moodle")
    dynamic = _platform(db_session, district, "canvas", via="dynamic", deployments=())
    add_deployment(db_session, dynamic, "1234:abcd", first_launch=True, actor="launch")
    db_session.commit()
    page = client.get("/admin/platforms", query_string={"t": token})
    assert page.status_code == 200
    for own in (canvas, moodle, dynamic):
        assert own.name in page.text and own.client_id in page.text
    assert foreign.name not in page.text and foreign.client_id not in page.text
    assert "<code>1234:abcd</code> <span class=\"hint\">(recorded at its first launch)</span>" in page.text
    assert "<code>d-1</code></li>" in page.text
    assert page.text.count("<strong>missing</strong>") == 3  # two Canvas platforms and one Moodle, none set up


def test_the_navigation_of_every_admin_page_links_to_the_platforms_page(client, token):
    page = client.get("/admin/", query_string={"t": token})
    assert f'href="/admin/platforms?t={token}"' in page.text


def test_a_canvas_key_is_stored_encrypted_audited_and_never_shown(client, db_session, token, canvas, box):
    secret = "canvas-secret-" + uuid.uuid4().hex
    saved = client.post(f"/admin/platforms/{canvas.id}/canvas-api", data={
        "t": token, "client_id": "10000000000123", "client_secret": secret, "api_url": "https://canvas.district.org/"})
    assert saved.status_code == 302
    assert f"saved={canvas.id}" in saved.headers["Location"] and saved.headers["Location"].endswith(
        f"#platform-{canvas.id}")
    record = _credential(db_session, canvas.id)
    assert record.kind == "canvas_api" and record.client_id == "10000000000123"
    assert secret not in record.secret_encrypted and box.decrypt(record.secret_encrypted) == secret
    assert record.api_url == "https://canvas.district.org" and record.updated_by == "Ada Admin"
    page = client.get(saved.headers["Location"])
    assert "Saved." in page.text and "A Canvas API developer key is set: client id 10000000000123" in page.text
    assert secret not in page.text and record.secret_encrypted not in page.text
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "canvas_api.set",
                                                       AuditEvent.entity_id == str(canvas.id)))
    assert event.actor == "Ada Admin" and secret not in str(event.after)


def test_a_moodle_token_is_stored_encrypted_audited_and_never_shown(client, db_session, token, moodle, box):
    secret = uuid.uuid4().hex
    saved = client.post(f"/admin/platforms/{moodle.id}/moodle-ws", data={"t": token, "token": secret, "url": ""})
    assert saved.status_code == 302
    record = _credential(db_session, moodle.id)
    assert record.kind == "moodle_ws" and secret not in record.secret_encrypted
    assert box.decrypt(record.secret_encrypted) == secret
    page = client.get(saved.headers["Location"])
    assert f"A Moodle web-service token is set for {moodle.issuer}" in page.text
    assert secret not in page.text and "Replace the token" in page.text
    assert db_session.scalar(select(AuditEvent.id).where(AuditEvent.action == "moodle_ws.set",
                                                         AuditEvent.entity_id == str(moodle.id))) is not None


def test_a_refused_key_is_explained_stores_nothing_and_is_not_sent_back(client, db_session, token, canvas):
    secret = "canvas-secret-" + uuid.uuid4().hex
    refused = client.post(f"/admin/platforms/{canvas.id}/canvas-api", data={
        "t": token, "client_id": "10000000000123", "client_secret": secret, "api_url": "ftp://canvas.district.org"})
    assert refused.status_code == 400
    assert "&#39;ftp://canvas.district.org&#39; is not an http(s) URL." in refused.text
    assert 'value="10000000000123"' in refused.text and secret not in refused.text
    assert _credential(db_session, canvas.id) is None


def test_another_districts_platform_is_not_found_and_left_untouched(client, db_session, token):
    other = make_district(db_session, "other")
    foreign_canvas, foreign_moodle = _platform(db_session, other, "canvas"), _platform(db_session, other, "moodle")
    canvas = client.post(f"/admin/platforms/{foreign_canvas.id}/canvas-api",
                         data={"t": token, "client_id": "1", "client_secret": "s"})
    moodle = client.post(f"/admin/platforms/{foreign_moodle.id}/moodle-ws", data={"t": token, "token": "s"})
    assert (canvas.status_code, moodle.status_code) == (404, 404)
    assert _credential(db_session, foreign_canvas.id) is None and _credential(db_session, foreign_moodle.id) is None


def test_a_moodle_platform_has_no_canvas_key_and_a_canvas_platform_no_moodle_token(client, db_session, token,
                                                                                     canvas, moodle):
    assert client.post(f"/admin/platforms/{moodle.id}/canvas-api",
                       data={"t": token, "client_id": "1", "client_secret": "s"}).status_code == 404
    assert client.post(f"/admin/platforms/{canvas.id}/moodle-ws", data={"t": token, "token": "s"}).status_code == 404
    assert _credential(db_session, canvas.id) is None and _credential(db_session, moodle.id) is None


@pytest.mark.parametrize("role", ["student", "teacher", "mentor"])
def test_other_roles_are_refused_the_page_and_the_forms(app, client, db_session, district, canvas, role):
    other_token = token_for(app, district, role=role)
    assert client.get("/admin/platforms", query_string={"t": other_token}).status_code == 403
    assert client.post(f"/admin/platforms/{canvas.id}/canvas-api",
                       data={"t": other_token, "client_id": "1", "client_secret": "s"}).status_code == 403
    assert _credential(db_session, canvas.id) is None


def test_the_forms_take_only_posts_that_carry_the_session_token(client, db_session, token, canvas):
    assert client.post(f"/admin/platforms/{canvas.id}/canvas-api",
                       data={"client_id": "1", "client_secret": "s"}).status_code == 401
    assert client.get(f"/admin/platforms/{canvas.id}/canvas-api", query_string={"t": token}).status_code == 405
    page = client.get("/admin/platforms", query_string={"t": token})
    assert f'action="/admin/platforms/{canvas.id}/canvas-api"' in page.text
    assert f'<input type="hidden" name="t" value="{token}">' in page.text
    assert _credential(db_session, canvas.id) is None
