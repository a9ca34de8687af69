"""Self-tests: lifecycle, JWKS and signed id_tokens."""

from __future__ import annotations

import jwt
import pytest
import requests

from .claims import AGS_CLAIM, CANVAS_PLACEMENT_CLAIM, LTI, NRPS_CLAIM, OMIT
from .server import LtiPlatform


def _verify(platform: LtiPlatform, profile: str, token: str) -> dict:
    keys = jwt.PyJWKSet.from_dict(requests.get(platform.jwks_url(profile), timeout=5).json())
    key = next(k for k in keys.keys if k.key_id == jwt.get_unverified_header(token).get("kid"))
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="c1", issuer=platform.issuer(profile))


def test_the_platform_serves_while_started_and_not_after_stop() -> None:
    platform = LtiPlatform().start()
    url = platform.jwks_url("canvas")
    assert requests.get(url, timeout=5).status_code == 200
    platform.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


@pytest.mark.parametrize("profile", ["canvas", "moodle"])
def test_a_signed_id_token_verifies_against_the_served_jwks(platform: LtiPlatform, profile: str) -> None:
    platform.register_tool("c1", ["1"], "http://tool/lti/login", "http://tool/lti/launch", None)
    claims = _verify(platform, profile, platform.id_token(profile, "learner", line_item=True))
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[AGS_CLAIM]["lineitem"].startswith(platform.url)
    assert claims[NRPS_CLAIM]["context_memberships_url"].startswith(platform.url)


def test_canvas_and_moodle_claims_differ_where_the_platforms_do(platform: LtiPlatform) -> None:
    platform.register_tool("c1", ["1"], "http://tool/lti/login", "http://tool/lti/launch", None)
    canvas = platform.claims("canvas", "instructor")
    moodle = platform.claims("moodle", "admin")
    assert canvas["iss"] == "https://canvas.instructure.com"
    assert canvas[CANVAS_PLACEMENT_CLAIM] == "course_navigation"
    assert set(canvas[LTI + "custom"]) == {"canvas_api_domain", "canvas_course_id", "canvas_user_id"}
    assert moodle["iss"] == platform.url
    assert "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator" in moodle[LTI + "roles"]
    assert moodle[LTI + "context"]["type"] == ["CourseSection"]
    assert moodle["exp"] - moodle["iat"] == 60


def test_bad_token_options_produce_tokens_a_tool_must_refuse(platform: LtiPlatform) -> None:
    platform.register_tool("c1", ["1"], "http://tool/lti/login", "http://tool/lti/launch", None)
    unknown = platform.id_token("canvas", "learner", key="unknown")
    assert jwt.get_unverified_header(unknown)["kid"] != platform.key.kid
    assert "kid" not in jwt.get_unverified_header(platform.id_token("canvas", "learner", include_kid=False))
    unsigned = platform.id_token("canvas", "learner", alg="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none" and unsigned.endswith(".")
    stripped = platform.claims("moodle", "learner", deployment_id="x", version=OMIT)
    assert LTI + "version" not in stripped and stripped[LTI + "deployment_id"] == "x"
