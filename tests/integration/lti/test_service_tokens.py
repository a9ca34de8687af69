"""Service access tokens: one per (issuer, client id, scopes), reused until shortly before they expire."""

import pytest

from lti_tool.adapters.lti.claims import SCOPE_LINEITEM, SCOPE_NRPS, SCOPE_SCORE
from lti_tool.adapters.lti.service_auth import ServiceAuthError, ServiceClient, ServiceTokenCache


class Clock:
    """A settable clock for token expiry."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def canvas_client(register, live_server, lti_platform):  # type: ignore[no-untyped-def]
    registered = register("canvas")
    return ServiceClient(issuer=lti_platform.issuer("canvas"), client_id=registered.client_id,
                         token_url=lti_platform.token_url("canvas"))


def _cache(app, clock):  # type: ignore[no-untyped-def]
    runtime = app.extensions["sbg"]
    return ServiceTokenCache(http=runtime.http, signing_key=runtime.service_tokens.signing_key, clock=clock)


def test_a_token_is_fetched_once_and_reused_for_the_same_scopes(app, canvas_client, lti_platform):
    cache = _cache(app, Clock())
    before = lti_platform.stats.token_requests
    first = cache.token(canvas_client, [SCOPE_SCORE, SCOPE_LINEITEM])
    second = cache.token(canvas_client, [SCOPE_LINEITEM, SCOPE_SCORE])
    assert first == second
    assert lti_platform.stats.token_requests == before + 1
    assert cache.token_requests == 1


def test_different_scopes_get_their_own_token(app, canvas_client):
    cache = _cache(app, Clock())
    assert cache.token(canvas_client, [SCOPE_SCORE]) != cache.token(canvas_client, [SCOPE_NRPS])
    assert cache.token_requests == 2


def test_a_token_is_renewed_shortly_before_it_expires(app, canvas_client):
    clock = Clock()
    cache = _cache(app, clock)
    first = cache.token(canvas_client, [SCOPE_SCORE])
    clock.now += 3600 - 120
    assert cache.token(canvas_client, [SCOPE_SCORE]) == first
    clock.now += 90  # now within the last minute of the hour
    assert cache.token(canvas_client, [SCOPE_SCORE]) != first
    assert cache.token_requests == 2


def test_a_refused_client_assertion_is_a_clear_error(app, lti_platform, live_server):
    cache = _cache(app, Clock())
    stranger = ServiceClient(issuer=lti_platform.issuer("moodle"), client_id="not-registered",
                             token_url=lti_platform.token_url("moodle"))
    with pytest.raises(ServiceAuthError, match="refused a service token"):
        cache.token(stranger, [SCOPE_SCORE])
