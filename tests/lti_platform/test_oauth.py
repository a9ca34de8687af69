"""Self-tests: the token endpoint's checks of the client assertion."""

from __future__ import annotations

import requests

from .claims import SCOPE_SCORE
from .oauth import ASSERTION_TYPE
from .server import LtiPlatform
from .stub_tool import StubTool


def _token_request(platform: LtiPlatform, assertion: str, profile: str = "moodle") -> requests.Response:
    return requests.post(platform.token_url(profile), data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion, "scope": SCOPE_SCORE,
    }, timeout=10)


def test_a_valid_assertion_gets_a_bearer_token_with_the_requested_scope(platform: LtiPlatform,
                                                                         tool: StubTool) -> None:
    answer = _token_request(platform, tool.client_assertion("moodle"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    assert answer.json()["scope"] == SCOPE_SCORE
    assert answer.json()["expires_in"] == 3600
    assert platform.stats.token_requests == 1


def test_the_token_endpoint_rejects_a_bad_assertion(platform: LtiPlatform, tool: StubTool) -> None:
    wrong_audience = tool.client_assertion("moodle", aud="https://elsewhere.example/token")
    assert _token_request(platform, wrong_audience).status_code == 401
    expired = tool.client_assertion("moodle", exp=1_000_000, iat=999_000)
    assert _token_request(platform, expired).status_code == 401
    forged = platform.sign({"iss": tool.client_id, "sub": tool.client_id, "aud": platform.token_url("moodle"),
                            "iat": 1, "exp": 2**31, "jti": "x"})
    assert _token_request(platform, forged).status_code == 401  # signed with a key not in the tool's JWKS


def test_an_assertion_cannot_be_replayed(platform: LtiPlatform, tool: StubTool) -> None:
    assertion = tool.client_assertion("canvas")
    assert _token_request(platform, assertion, "canvas").status_code == 200
    replay = _token_request(platform, assertion, "canvas")
    assert replay.status_code == 401
    assert "jti" in replay.json()["error_description"]
