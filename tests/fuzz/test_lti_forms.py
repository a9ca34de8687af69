"""/lti/login and /lti/launch form posts with hostile fields: a 4xx page each time, never a 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.services.platforms import PlatformSpec, add_district, add_platform
from lti_tool.storage.db import session_scope
from tests.fuzz.budget import fuzz_settings, tried
from tests.fuzz.mutations import TEXT, mutated_json
from tests.lti_platform import OMIT, LtiPlatform

LOGIN_FIELDS = ["iss", "login_hint", "target_link_uri", "client_id", "lti_deployment_id", "lti_message_hint",
                "lti1p3_new_window", "lti_storage_target"]
LAUNCH_FIELDS = ["id_token", "state", "platform_state", "error", "error_description"]


class Registered:
    """The test platform registered with the app under a fresh client id."""

    def __init__(self, platform: LtiPlatform, client_id: str, base: str) -> None:
        self.platform, self.client_id, self.base = platform, client_id, base

    def login_fields(self) -> dict[str, str]:
        """A valid Moodle-shaped login initiation."""
        return {"iss": self.platform.issuer("moodle"), "login_hint": "x", "client_id": self.client_id,
                "target_link_uri": f"{self.base}/lti/launch", "lti_deployment_id": "1", "lti1p3_new_window": "1"}


@pytest.fixture(scope="module")
def registered(app) -> Iterator[Registered]:  # type: ignore[no-untyped-def]
    """A running platform, known to the app as a Moodle registration."""
    base = app.config["SBG_SETTINGS"].base_url
    client_id = f"fuzz-{uuid.uuid4().hex[:10]}"
    with LtiPlatform() as platform:
        platform.register_tool(client_id, ["1"], f"{base}/lti/login", f"{base}/lti/launch", None,
                               tool_jwks={"keys": []})
        with session_scope(app.extensions["sbg"].sessions) as session:
            add_district(session, f"fuzz-{client_id}")
            add_platform(session, PlatformSpec(name=f"fuzz-{client_id}", client_id=client_id, deployment_ids=("1",),
                                               district=f"fuzz-{client_id}", **platform.platform_config("moodle")),
                         allow_http=True)
        yield Registered(platform, client_id, base)


def assert_refused_cleanly(response: Any, what: str) -> None:
    """Never a server error; a refusal is a 4xx answer with a body that explains it."""
    assert response.status_code < 500, f"{what}: {response.status_code}\n{response.get_data(as_text=True)[:2000]}"
    if response.status_code >= 400:
        assert response.get_data(as_text=True).strip(), what


form_values = st.one_of(TEXT, st.text(max_size=3000), st.binary(max_size=64).map(lambda b: b.hex()))


@fuzz_settings(300)
@given(fields=st.dictionaries(st.sampled_from(LOGIN_FIELDS), form_values),
       method=st.sampled_from(["GET", "POST"]))
def test_login_initiations_with_random_fields_are_answered_without_a_server_error(app, registered, fields, method):
    tried("POST/GET /lti/login: random fields")
    client = app.test_client()
    if method == "GET":
        response = client.get("/lti/login", query_string=fields)
    else:
        response = client.post("/lti/login", data=fields)
    assert_refused_cleanly(response, f"login {fields!r}")


@fuzz_settings(200)
@given(changes=st.dictionaries(st.sampled_from(LOGIN_FIELDS), form_values, max_size=2))
def test_login_initiations_with_one_or_two_damaged_fields_are_answered_without_a_server_error(app, registered,
                                                                                                changes):
    tried("POST /lti/login: damaged valid fields")
    response = app.test_client().post("/lti/login", data={**registered.login_fields(), **changes})
    assert_refused_cleanly(response, f"login {changes!r}")


@fuzz_settings(300)
@given(fields=st.dictionaries(st.sampled_from(LAUNCH_FIELDS), form_values))
def test_launch_posts_with_random_fields_are_refused_without_a_server_error(app, registered, fields):
    tried("POST /lti/launch: random fields")
    assert_refused_cleanly(app.test_client().post("/lti/launch", data=fields), f"launch {fields!r}")


def _signed(platform: LtiPlatform, payload: Any) -> str:
    assert platform.key is not None
    # Signed as raw bytes: PyJWT's encode() would refuse some damaged registered claims before signing.
    return jwt.PyJWS().encode(json.dumps(payload).encode(), platform.key.private_key, algorithm="RS256",
                              headers={"kid": platform.key.kid, "typ": "JWT"})


def _launch_with_state(app, registered: Registered, payload: Any):  # type: ignore[no-untyped-def]
    """Start a real login (state cookie set), then post `payload` signed by the platform with that state."""
    client = app.test_client()
    login = client.post("/lti/login", data=registered.login_fields())
    assert login.status_code == 302, login.get_data(as_text=True)
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(login.headers["Location"]).query)
    if isinstance(payload, dict) and payload.get("nonce") == "<login nonce>":
        payload["nonce"] = query["nonce"][0]
    return client.post("/lti/launch", data={"id_token": _signed(registered.platform, payload),
                                            "state": query["state"][0]})


def _valid_claims(registered: Registered, role: str = "learner", **overrides: Any) -> dict[str, Any]:
    return registered.platform.claims("moodle", role, client_id=registered.client_id, nonce="<login nonce>",
                                      **overrides)


def test_an_undamaged_signed_launch_opens_the_student_area(app, registered):
    response = _launch_with_state(app, registered, _valid_claims(registered))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "/student/" in response.headers["Location"]


def test_signed_launches_with_random_claim_damage_are_refused_without_a_server_error(app, registered):
    roles = st.sampled_from(["learner", "instructor", "ta", "admin", "mentor"])

    @fuzz_settings(150)
    @given(payload=roles.flatmap(lambda role: mutated_json(_valid_claims(registered, role), max_edits=3)))
    def check(payload: Any) -> None:
        tried("POST /lti/launch: signed, mutated claims, valid state")
        assert_refused_cleanly(_launch_with_state(app, registered, payload), f"claims {payload!r}"[:3000])

    check()


# Claims of the wrong JSON type, each found by the fuzzer above and kept here as a fixed regression case.
WRONG_TYPES = {
    "message_type_list": {"message_type": ["LtiResourceLinkRequest"]},
    "resource_link_null": {"https://purl.imsglobal.org/spec/lti/claim/resource_link": None},
    "context_true": {"context": True},
    "launch_presentation_number": {"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": 1},
    "ags_endpoint_number": {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": 7},
    "tool_platform_text": {"https://purl.imsglobal.org/spec/lti/claim/tool_platform": "moodle"},
    "custom_list": {"https://purl.imsglobal.org/spec/lti/claim/custom": ["a"]},
    "roles_omitted": {"roles": OMIT},
}


@pytest.mark.parametrize("overrides", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_signed_launch_with_a_claim_of_the_wrong_type_is_refused_with_a_4xx_page(app, registered, overrides):
    tried("POST /lti/launch: wrong claim types")
    response = _launch_with_state(app, registered, _valid_claims(registered, **overrides))
    assert_refused_cleanly(response, f"claims {overrides!r}")
