"""The platforms page in Chromium: an admin enters a Canvas API key, the secret never comes back; screenshot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from lti_tool.services.platforms import (
    PlatformSpec,
    add_deployment,
    add_platform,
    get_platform,
    remove_platform,
)
from lti_tool.services.sandbox import SANDBOX_DISTRICT
from lti_tool.storage.db import session_scope
from lti_tool.storage.models import LmsApiCredential

from .axe import axe_violations
from .conftest import save_screenshot

CANVAS = "District Canvas"
MOODLE = "District Moodle"
SECRET = "browser-test-canvas-secret-7Qk2"


@pytest.fixture()
def district_lms(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A Canvas (registered dynamically, its deployment recorded at the first launch) and a Moodle in the sandbox
    district, removed afterwards so other tests see the sandbox as seeded."""
    sessions = app.extensions["sbg"].sessions
    with session_scope(sessions) as session:
        canvas = add_platform(session, PlatformSpec(
            name=CANVAS, issuer="https://canvas.instructure.com", client_id="10000000000777",
            auth_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
            token_url="https://sso.canvaslms.com/login/oauth2/token",
            jwks_url="https://sso.canvaslms.com/api/lti/security/jwks", district=SANDBOX_DISTRICT,
            product="canvas", registered_via="dynamic"), actor="test")
        add_deployment(session, canvas, "42:8865aa05b4b79b64a91a86042e43af5ea8ae79eb", first_launch=True,
                       actor="test")
        add_platform(session, PlatformSpec(
            name=MOODLE, issuer="https://moodle.district.org", client_id="Xq3sT9bLmN2pR7v",
            auth_url="https://moodle.district.org/mod/lti/auth.php",
            token_url="https://moodle.district.org/mod/lti/token.php",
            jwks_url="https://moodle.district.org/mod/lti/certs.php", deployment_ids=("3",),
            district=SANDBOX_DISTRICT, product="moodle", registered_via="dynamic"), actor="test")
    yield
    with session_scope(sessions) as session:
        for name in (CANVAS, MOODLE):
            platform = get_platform(session, name)
            session.execute(delete(LmsApiCredential).where(LmsApiCredential.platform_id == platform.id))
            remove_platform(session, name, actor="test")


def test_an_admin_enters_a_canvas_key_and_sees_it_set_without_the_secret(launch_as, district_lms):
    page = launch_as("admin")
    page.get_by_role("link", name="Platforms", exact=True).click()
    page.wait_for_selector("#platforms")
    row = page.locator("#platforms tr", has_text=CANVAS)
    assert "recorded at its first launch" in row.inner_text() and "missing" in row.inner_text()
    section = page.get_by_role("region", name=CANVAS)
    section.get_by_label("Developer key client id").fill("10000000000123")
    section.get_by_label("Developer key secret").fill(SECRET)
    section.get_by_role("button", name="Save the developer key").click()
    page.wait_for_selector("p.notice")
    section = page.get_by_role("region", name=CANVAS)
    assert "A Canvas API developer key is set: client id 10000000000123" in section.inner_text()
    assert section.get_by_label("Developer key secret").input_value() == ""
    assert SECRET not in page.content()
    assert page.locator("#platforms tr", has_text=CANVAS).locator("td").last.inner_text() == "set"
    assert axe_violations(page) == []
    save_screenshot(page, "admin-platforms")
