"""Every id_token check of the 1EdTech security framework, each with a launch that must be refused."""

import logging
import time

import jwt
import pytest
from sqlalchemy import select

from lti_tool.storage.models import Person, Platform
from tests.lti_platform import OMIT
from tests.lti_platform.keys import SigningKey

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


def _refused(response, status=400, words=""):  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert "Traceback" not in text
    if words:
        assert words in text, text[:800]
    return text


def test_a_valid_crafted_launch_is_accepted(register, post_token):
    """The control case: the helpers below only change one thing from this."""
    response = post_token(register("canvas"), "learner")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize(("sign", "words"), [
    ({"key": "unknown"}, "does not list"),
    ({"include_kid": False}, "no key id"),
    ({"alg": "none"}, "only RS256"),
])
def test_bad_signatures_are_refused(register, post_token, sign, words):
    _refused(post_token(register("moodle"), sign=sign), 400, words)


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(register, post_token, lti_platform):
    registered = register("moodle")
    claims = lti_platform.claims("moodle", "learner", client_id=registered.client_id)
    token = jwt.encode(claims, "not-the-rsa-key-but-a-long-hmac-secret", algorithm="HS256", headers={"kid": lti_platform.key.kid})
    _refused(post_token(registered, raw_token=token), 400, "only RS256")


@pytest.mark.parametrize(("claim", "words"), [
    ("iss", "no issuer"),
    ("aud", "no audience"),
    ("sub", "sub"),
    ("exp", "exp"),
    ("iat", "iat"),
    (LTI + "deployment_id", "deployment_id"),
    (LTI + "message_type", "not an LTI message"),
    (LTI + "version", "no LTI version"),
    (LTI + "roles", "no roles"),
])
def test_a_launch_missing_a_required_claim_is_refused(register, post_token, claim, words):
    _refused(post_token(register("canvas"), **{claim: OMIT}), 400, words)


def test_a_launch_without_a_nonce_is_refused(register, login, client):
    registered = register("canvas")
    started = login(registered)
    claims = registered.platform.claims("canvas", "learner", client_id=registered.client_id)
    claims.pop("nonce")
    token = registered.platform.sign(claims)
    _refused(client.post("/lti/launch", data={"id_token": token, "state": started["state"]}), 400, "nonce")


def test_a_resource_link_launch_without_a_resource_link_id_is_refused(register, post_token):
    _refused(post_token(register("canvas"), resource_link={"title": "no id"}), 400, "Resource Link Id")


@pytest.mark.parametrize(("version", "status"), [("1.1", 400), ("1.3.1", 400), ("1.3.0", 303)])
def test_only_lti_1_3_0_is_accepted(register, post_token, version, status):
    assert post_token(register("moodle"), version=version).status_code == status


def test_an_unsupported_message_type_is_refused(register, post_token):
    _refused(post_token(register("moodle"), message_type="LtiSubmissionReviewRequest"), 400, "does not support")


def test_a_token_for_another_issuer_is_refused(register, post_token):
    _refused(post_token(register("moodle"), iss="https://evil.example.org"), 403, "No registration")


def test_an_audience_list_with_our_client_in_second_place_and_azp_is_accepted(register, post_token):
    registered = register("canvas")
    response = post_token(registered, aud=["someone-else", registered.client_id], azp=registered.client_id)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_several_audiences_without_azp_are_refused(register, login, client):
    registered = register("canvas")
    started = login(registered)
    claims = registered.platform.claims("canvas", "learner", client_id=registered.client_id, nonce=started["nonce"])
    claims["aud"] = ["someone-else", registered.client_id]
    claims.pop("azp", None)
    token = registered.platform.sign(claims)
    _refused(client.post("/lti/launch", data={"id_token": token, "state": started["state"]}), 400,
             "authorized party")


def test_an_azp_naming_another_client_is_refused(register, post_token):
    registered = register("canvas")
    _refused(post_token(registered, azp="someone-else"), 400, "authorized party")


def test_an_expired_token_is_refused(register, post_token):
    now = int(time.time())
    _refused(post_token(register("moodle"), iat=now - 3600, exp=now - 600), 400, "expired")


@pytest.mark.parametrize("iat_offset", [86400, 10 ** 9])
def test_a_token_issued_in_the_future_is_refused(register, post_token, iat_offset):
    now = int(time.time())
    _refused(post_token(register("moodle"), iat=now + iat_offset, exp=now + iat_offset + 300), 400, "future")


def test_a_token_issued_a_second_ahead_of_our_clock_is_accepted(register, post_token):
    now = int(time.time())
    assert post_token(register("moodle"), iat=now + 1, exp=now + 300).status_code == 303


def test_a_replayed_launch_is_refused(register, login, client):
    registered = register("canvas")
    started = login(registered)
    token = registered.platform.id_token("canvas", "learner", client_id=registered.client_id,
                                         nonce=started["nonce"])
    first = client.post("/lti/launch", data={"id_token": token, "state": started["state"]})
    assert first.status_code == 303
    client.set_cookie("sbg_lti_state", started["state"], path="/lti/")
    again = client.post("/lti/launch", data={"id_token": token, "state": started["state"]})
    _refused(again, 400, "already used")


def test_a_nonce_that_does_not_belong_to_the_login_is_refused(register, post_token):
    _refused(post_token(register("canvas"), nonce="made-up-nonce"), 400, "nonce")


def test_a_state_this_browser_did_not_start_is_refused(register, login, client):
    registered = register("canvas")
    started = login(registered)
    token = registered.platform.id_token("canvas", "learner", client_id=registered.client_id,
                                         nonce=started["nonce"])
    client.set_cookie("sbg_lti_state", "another-state", path="/lti/")
    _refused(client.post("/lti/launch", data={"id_token": token, "state": started["state"]}), 400,
             "does not match")


def test_a_launch_without_the_login_cookie_or_platform_storage_is_refused(register, login, app):
    registered = register("canvas")
    started = login(registered)
    token = registered.platform.id_token("canvas", "learner", client_id=registered.client_id,
                                         nonce=started["nonce"])
    fresh_browser = app.test_client()
    _refused(fresh_browser.post("/lti/launch", data={"id_token": token, "state": started["state"]}), 400,
             "cookie")


def test_an_unknown_deployment_is_refused(register, post_token):
    _refused(post_token(register("moodle"), deployment_id="999"), 403, "is not registered for this platform")


def test_a_target_link_uri_that_is_not_ours_is_refused(register, post_token):
    _refused(post_token(register("moodle"), target_link_uri="https://evil.example.org/launch"), 400, "not this tool")


def test_a_rotated_platform_key_is_fetched_again_once(register, post_token, lti_platform, app):
    registered = register("moodle")
    assert post_token(registered).status_code == 303
    cache = app.extensions["sbg"].platform_keys
    fetches = cache.fetches
    old_key = lti_platform.key
    lti_platform.key = SigningKey.generate()
    try:
        assert post_token(registered).status_code == 303
        assert cache.fetches == fetches + 1
    finally:
        lti_platform.key = old_key


@pytest.mark.parametrize("params", [
    {"iss": "https://unknown.example.org", "login_hint": "x", "target_link_uri": "LAUNCH"},
    {"iss": "https://canvas.instructure.com", "login_hint": "x", "target_link_uri": "LAUNCH",
     "client_id": "no-such-client"},
])
def test_a_login_for_an_unknown_platform_gets_a_4xx_page(client, app, params):
    base = app.config["SBG_SETTINGS"].base_url
    data = {k: v.replace("LAUNCH", f"{base}/lti/launch") for k, v in params.items()}
    _refused(client.post("/lti/login", data=data), 403, "No registration of this tool")


def test_a_login_missing_parameters_says_which(client):
    _refused(client.get("/lti/login?iss=https://x.example.org"), 400, "login_hint, target_link_uri")


def test_garbage_instead_of_an_id_token_gets_a_4xx_page(client):
    _refused(client.post("/lti/launch", data={"id_token": "not.a.jwt", "state": "s"}), 400, "not a valid")


def test_an_oversized_id_token_is_refused_with_413(client):
    assert client.post("/lti/launch", data={"id_token": "a" * 66_000, "state": "s"}).status_code == 413


def test_refusals_show_no_course_data(register, post_token):
    text = _refused(post_token(register("canvas"), **{LTI + "roles": OMIT}), 400)
    assert "Introduction" not in text and "101" not in text


def test_no_token_or_key_reaches_the_logs(register, driver, caplog):
    registered = register("canvas")
    with caplog.at_level(logging.DEBUG):
        result = driver.launch("canvas", "learner", client_id=registered.client_id, platform_storage=False)
    assert result.status_code == 303
    logged = caplog.text
    assert result.id_token not in logged
    assert result.id_token.split(".")[1] not in logged
    assert "BEGIN PRIVATE KEY" not in logged


def test_nothing_is_provisioned_by_a_refused_launch(register, post_token, db_session):
    registered = register("moodle")
    post_token(registered, sign={"key": "unknown"})
    platform = db_session.scalar(select(Platform).where(Platform.name == registered.name))
    assert db_session.scalars(select(Person).where(Person.platform_id == platform.id)).all() == []


@pytest.mark.parametrize(("claim", "value"), [
    (LTI + "resource_link", None),
    (LTI + "context", ["not", "an", "object"]),
    (LTI + "roles", "Learner"),
    (LTI + "custom", "x=1"),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", {"scope": "score"}),
])
def test_claims_of_the_wrong_json_type_are_refused_not_crashed_on(register, post_token, claim, value):
    _refused(post_token(register("canvas"), **{claim: value}), 400, "must be")
