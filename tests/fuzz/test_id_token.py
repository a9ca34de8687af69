"""decode_id_token with random, malformed and mutated tokens: a LaunchContext or a LaunchError, nothing else."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.adapters.lti.errors import LaunchError
from lti_tool.adapters.lti.launch import LaunchContext, Registration, decode_id_token
from lti_tool.adapters.lti.platform_keys import PlatformKeyCache
from lti_tool.adapters.http import build_session
from tests.fuzz.budget import fuzz_settings, tried
from tests.fuzz.mutations import JSON_VALUES, TEXT, mutated_json
from tests.lti_platform import LtiPlatform

TOOL_BASE = "http://127.0.0.1:8999"
CLIENT_ID = "fuzz-client"
PROFILES = ["canvas", "moodle"]
ROLES = ["learner", "instructor", "ta", "admin", "mentor"]


class OneRegistration:
    """A RegistrationLookup that knows exactly one registration per issuer of the test platform."""

    def __init__(self, platform: LtiPlatform) -> None:
        self.by_issuer = {
            platform.issuer(profile): Registration(
                platform_id=index + 1, issuer=platform.issuer(profile), client_id=CLIENT_ID,
                jwks_url=platform.jwks_url(profile), deployment_ids=frozenset(platform.tool(CLIENT_ID).deployment_ids))
            for index, profile in enumerate(PROFILES)
        }

    def find(self, issuer: str, client_id: str) -> Registration | None:
        """The registration, when both issuer and client id match."""
        registration = self.by_issuer.get(issuer)
        return registration if registration and registration.client_id == client_id else None


@pytest.fixture(scope="module")
def platform() -> Iterator[LtiPlatform]:
    """A running test platform with the fuzz client registered (its JWKS is fetched over HTTP)."""
    with LtiPlatform() as running:
        running.register_tool(CLIENT_ID, [running.canvas_deployment_id(), "1"], f"{TOOL_BASE}/lti/login",
                              f"{TOOL_BASE}/lti/launch", None, tool_jwks={"keys": []})
        yield running


@pytest.fixture(scope="module")
def decode(platform: LtiPlatform):  # type: ignore[no-untyped-def]
    """decode_id_token bound to the platform's registrations and a real key cache."""
    lookup = OneRegistration(platform)
    keys = PlatformKeyCache(http=build_session(TOOL_BASE), ttl=3600)

    def _decode(token: str) -> LaunchContext:
        return decode_id_token(token, lookup=lookup, keys=keys, tool_base_url=TOOL_BASE)

    return _decode


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


def assert_context_or_refusal(decode, token: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """The token either launches or is refused with a LaunchError carrying a code, a message and a 4xx status."""
    tried(target)
    try:
        context = decode(token)
    except LaunchError as refusal:
        assert refusal.code and refusal.message.strip(), refusal
        assert 400 <= refusal.status < 500, refusal.status
        return
    assert isinstance(context, LaunchContext)
    assert context.sub and context.deployment_id


def test_an_unmodified_token_launches(platform, decode):
    token = platform.id_token("canvas", "learner", client_id=CLIENT_ID)
    assert decode(token).area == "student"


@fuzz_settings(300)
@given(token=st.one_of(TEXT, st.text(alphabet="abcXYZ019-_.=", max_size=300),
                       st.lists(st.binary(max_size=60).map(_b64), min_size=1, max_size=5).map(".".join)))
def test_random_strings_are_refused_with_a_reason(decode, token):
    assert_context_or_refusal(decode, token, "id_token: random strings")


@fuzz_settings(300)
@given(header=st.one_of(JSON_VALUES, st.fixed_dictionaries({"alg": st.sampled_from(["RS256", "none", "HS256",
                                                                                      "ES256", ""])},
                                                           optional={"kid": JSON_VALUES, "typ": JSON_VALUES})),
       body=st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp", "nonce"]),
                                                   JSON_VALUES)),
       signature=st.binary(max_size=300))
def test_tokens_with_random_headers_and_bodies_are_refused(decode, header, body, signature):
    token = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(body).encode()), _b64(signature)])
    assert_context_or_refusal(decode, token, "id_token: random header and body")


@st.composite
def signed_mutated_claims(draw: st.DrawFn, platform: LtiPlatform) -> str:
    """Claims a real platform would send, randomly damaged, then properly signed by the platform's key."""
    claims: dict[str, Any] = platform.claims(draw(st.sampled_from(PROFILES)), draw(st.sampled_from(ROLES)),
                                             client_id=CLIENT_ID, line_item=False)
    damaged = draw(mutated_json(claims, max_edits=3))
    payload = damaged if isinstance(damaged, dict) else {"value": damaged}
    # Signed as raw bytes: PyJWT's encode() would refuse some damaged registered claims before signing.
    assert platform.key is not None
    return jwt.PyJWS().encode(json.dumps(payload).encode(), platform.key.private_key, algorithm="RS256",
                              headers={"kid": platform.key.kid, "typ": "JWT"})


def test_signed_claims_with_random_damage_launch_or_are_refused(platform, decode):
    @fuzz_settings(400)
    @given(token=signed_mutated_claims(platform))
    def check(token: str) -> None:
        assert_context_or_refusal(decode, token, "id_token: signed, mutated claims")

    check()
