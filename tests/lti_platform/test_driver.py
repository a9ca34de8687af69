"""Self-tests: a full launch, deep linking and dynamic registration against the stub tool."""

from __future__ import annotations

import pytest
import requests

from .claims import DL, LTI, ROLES, SCOPE_NRPS
from .driver import LaunchDriver
from .faults import ScriptedAnswer
from .nrps import MEMBERSHIP_CONTAINER_TYPE
from .server import LtiPlatform
from .stub_tool import StubTool


@pytest.mark.parametrize("profile", ["canvas", "moodle"])
def test_a_full_launch_reaches_the_tool_with_a_verified_id_token(platform: LtiPlatform, tool: StubTool,
                                                                 profile: str) -> None:
    driver = LaunchDriver(platform, tool.url)
    for role in ROLES:
        result = driver.launch(profile, role)
        assert result.status_code == 200, result.describe() + "\n" + result.text
        assert result.response.json()[LTI + "roles"] == result.claims[LTI + "roles"]


def test_the_driver_also_launches_into_a_flask_test_client(platform: LtiPlatform, tool: StubTool) -> None:
    result = LaunchDriver(platform, tool.app.test_client()).launch("canvas", "ta", line_item=True)
    assert result.status_code == 200, result.describe() + "\n" + result.text
    assert [s.name for s in result.steps] == ["login initiation", "authorization", "launch"]
    assert "lineitem" in result.response.get_json()["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]


def test_the_authorization_endpoint_refuses_an_unregistered_redirect_uri(platform: LtiPlatform,
                                                                         tool: StubTool) -> None:
    prepared = platform.prepare_launch("moodle", "learner")
    answer = requests.get(platform.auth_url("moodle"), params={
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": tool.client_id, "redirect_uri": "https://evil.example/launch", "nonce": "n",
        "login_hint": prepared.login_hint, "lti_message_hint": prepared.lti_message_hint, "state": "s",
    }, timeout=5)
    assert answer.status_code == 400 and "redirect_uri" in answer.text


def test_a_deep_linking_response_is_verified_and_its_line_item_created(platform: LtiPlatform,
                                                                       tool: StubTool) -> None:
    driver = LaunchDriver(platform, tool.url)
    request_claims = driver.deep_link("canvas").claims
    item = {"type": "ltiResourceLink", "title": "8.EE.1 mastery", "url": f"{tool.url}/lti/launch",
            "lineItem": {"label": "8.EE.1 mastery", "scoreMaximum": 4, "resourceId": "8.EE.1", "tag": "sbg"}}
    answer = driver.post_deep_link_response(
        request_claims[DL + "deep_linking_settings"]["deep_link_return_url"],
        tool.deep_link_response("canvas", request_claims, [item]),
    )
    assert answer.status_code == 200, answer.text
    created = platform.deep_links.accepted[0].line_items[0]
    assert (created.label, created.client_id, created.resource_id) == ("8.EE.1 mastery", tool.client_id, "8.EE.1")


def test_memberships_are_paged_and_scripted_faults_come_first(platform: LtiPlatform, tool: StubTool) -> None:
    platform.faults.script(ScriptedAnswer.too_many_requests(retry_after=2, endpoint="memberships"))
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {tool.access_token('moodle', [SCOPE_NRPS])}"})
    url = platform.memberships_url("moodle", "101") + "?limit=3"
    limited = session.get(url)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    first = session.get(url)
    assert first.headers["Content-Type"] == MEMBERSHIP_CONTAINER_TYPE
    second = session.get(first.links["next"]["url"])
    members = first.json()["members"] + second.json()["members"]
    assert {m["user_id"] for m in members} == {"6", "3", "4", "9"}
    assert "next" not in second.links


@pytest.mark.parametrize("profile", ["canvas", "moodle"])
def test_dynamic_registration_answers_with_a_client_id_and_only_moodle_a_deployment_id(
    platform: LtiPlatform, profile: str
) -> None:
    invite = platform.dynamic_registration(profile, "https://tool.example/lti/register")
    assert invite.url.startswith("https://tool.example/lti/register?openid_configuration=")
    config = requests.get(invite.openid_configuration, timeout=5).json()
    assert config["https://purl.imsglobal.org/spec/lti-platform-configuration"]["product_family_code"] == profile
    body = {
        "application_type": "web", "response_types": ["id_token"], "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": "https://tool.example/lti/login", "redirect_uris": ["https://tool.example/lti/launch"],
        "client_name": "sbg", "jwks_uri": "https://tool.example/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt", "scope": SCOPE_NRPS,
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": "tool.example", "target_link_uri": "https://tool.example/lti/launch", "claims": ["sub"]},
    }
    assert requests.post(config["registration_endpoint"], json=body, timeout=5).status_code == 401
    answer = requests.post(config["registration_endpoint"], json=body, timeout=5,
                           headers={"Authorization": f"Bearer {invite.registration_token}"})
    assert answer.status_code == 200, answer.text
    tool_config = answer.json()["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert ("deployment_id" in tool_config) == (profile == "moodle")
    assert platform.tools[answer.json()["client_id"]].active == (profile == "canvas")
