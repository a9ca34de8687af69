"""Dynamic registration with Canvas's and Moodle's flavours, and deep linking back to the platform, over HTTP."""

import re
import uuid

import requests
from sqlalchemy import select

from lti_tool.storage.models import Platform
from tests.lti_platform import LaunchDriver


def _register_dynamically(live_server, lti_platform, profile, district="default"):  # type: ignore[no-untyped-def]
    invite = lti_platform.dynamic_registration(profile, f"{live_server}/lti/register?district={district}")
    response = requests.get(invite.url, timeout=20)
    return invite, response


def test_moodle_dynamic_registration_stores_the_client_and_deployment(live_server, lti_platform, db_session):
    _, response = _register_dynamically(live_server, lti_platform, "moodle")
    assert response.status_code == 200, response.text[:800]
    assert "org.imsglobal.lti.close" in response.text
    assert "pending" in response.text
    client_id = re.search(r"client id <code>([^<]+)</code>", response.text).group(1)
    platform = db_session.scalar(select(Platform).where(Platform.client_id == client_id))
    assert platform.product == "moodle" and platform.registered_via == "dynamic"
    assert platform.issuer == lti_platform.issuer("moodle")
    assert [d.deployment_id for d in platform.deployments] == lti_platform.tool(client_id).deployment_ids
    registration = lti_platform.tool(client_id)
    assert registration.login_url == f"{live_server}/lti/login"
    assert registration.jwks_url == f"{live_server}/.well-known/jwks.json"


def test_canvas_dynamic_registration_then_first_launch_records_the_deployment(live_server, lti_platform,
                                                                             db_session):
    _, response = _register_dynamically(live_server, lti_platform, "canvas")
    assert response.status_code == 200, response.text[:800]
    client_id = re.search(r"client id <code>([^<]+)</code>", response.text).group(1)
    platform = db_session.scalar(select(Platform).where(Platform.client_id == client_id))
    assert platform.product == "canvas" and platform.deployments == []
    assert "recorded when the tool is first launched" in response.text
    assert lti_platform.tool(client_id).custom["canvas_course_id"] == "$Canvas.course.id"
    result = LaunchDriver(lti_platform, live_server).launch("canvas", "instructor", client_id=client_id,
                                                            platform_storage=False)
    assert result.status_code == 303, result.describe()
    db_session.expire_all()
    platform = db_session.scalar(select(Platform).where(Platform.client_id == client_id))
    assert [d.deployment_id for d in platform.deployments] == lti_platform.tool(client_id).deployment_ids[:1]
    assert platform.deployments[0].recorded_at_first_launch


def test_registration_into_an_unknown_district_is_refused(live_server, lti_platform):
    _, response = _register_dynamically(live_server, lti_platform, "moodle", district=f"none-{uuid.uuid4().hex}")
    assert response.status_code == 404
    assert "No district named" in response.text


def test_the_register_url_without_parameters_explains_itself(client):
    response = client.get("/lti/register")
    assert response.status_code == 400
    assert "openid_configuration" in response.get_data(as_text=True)


def test_deep_linking_posts_a_signed_response_the_platform_accepts(live_server, lti_platform, app):
    from tests.integration.lti.conftest import Registered  # noqa: F401 - documents the shape used

    base = app.config["SBG_SETTINGS"].base_url
    client_id = f"dl-{uuid.uuid4().hex[:8]}"
    lti_platform.register_tool(client_id, ["1"], f"{base}/lti/login", f"{base}/lti/launch",
                               f"{base}/.well-known/jwks.json")
    from lti_tool.services.platforms import PlatformSpec, add_platform
    from lti_tool.storage.db import session_scope

    with session_scope(app.extensions["sbg"].sessions) as session:
        add_platform(session, PlatformSpec(name=f"moodle-{client_id}", client_id=client_id, deployment_ids=("1",),
                                           **lti_platform.platform_config("moodle")), allow_http=True)
    browser = requests.Session()
    driver = LaunchDriver(lti_platform, browser, base_url=live_server)
    result = driver.deep_link("moodle", "instructor", client_id=client_id)
    assert result.status_code == 303, result.describe()
    picker = browser.get(live_server + result.response.headers["Location"].replace(live_server, ""), timeout=10)
    assert picker.status_code == 200
    token = re.search(r'name="t" value="([^"]+)"', picker.text).group(1)
    answer = browser.post(f"{live_server}/lti/deep-link", data={"t": token, "choice": "mastery_report"}, timeout=10)
    assert answer.status_code == 200
    action = re.search(r'action="([^"]+)"', answer.text).group(1)
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', answer.text).group(1)
    accepted_before = len(lti_platform.deep_links.accepted)
    returned = driver.post_deep_link_response(action.replace("&amp;", "&"), jwt_value)
    assert returned.status_code == 200, returned.text
    assert len(lti_platform.deep_links.accepted) == accepted_before + 1
    items = lti_platform.deep_links.accepted[-1].content_items
    assert items[0]["type"] == "ltiResourceLink" and items[0]["title"] == "Mastery report"


def test_deep_linking_page_refuses_a_plain_resource_launch_session(register, driver, client):
    registered = register("moodle")
    result = driver.launch("moodle", "instructor", client_id=registered.client_id, platform_storage=False)
    token = result.response.headers["Location"].split("t=")[1]
    assert client.get(f"/lti/deep-link?t={token}").status_code == 403
