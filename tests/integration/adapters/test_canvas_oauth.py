"""Contract tests for the Canvas OAuth2 flow: connect, refresh before expiry, refresh after rejection, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import (
    CanvasOAuth,
    CanvasOAuthConfig,
    CanvasToken,
    RefreshingAccessToken,
)
from lti_tool.adapters.http import LmsUnauthorized, RetrySettings
from tests.fakes.canvas_server import FakeCanvas, build_course
from tests.integration.adapters.conftest import TOOL_URL, SleepRecorder

REDIRECT_URI = f"{TOOL_URL}/oauth/canvas/callback"


@pytest.fixture
def oauth(fake_canvas: FakeCanvas, fast_retry: RetrySettings, sleeps: SleepRecorder) -> CanvasOAuth:
    """The OAuth flow against the fake Canvas, on the fake's clock."""
    config = CanvasOAuthConfig(client_id=fake_canvas.client_id, client_secret=fake_canvas.client_secret,
                               base_url=fake_canvas.base_url, redirect_uri=REDIRECT_URI, tool_base_url=TOOL_URL)
    return CanvasOAuth(config, retry=fast_retry, clock=fake_canvas.now, sleep=sleeps)


def connect(oauth: CanvasOAuth) -> CanvasToken:
    """Play the teacher's browser: open the authorization URL, follow Canvas's redirect, exchange the code."""
    url, state = oauth.authorization_url()
    answer = requests.get(url, allow_redirects=False, timeout=2, headers={"User-Agent": "browser"})
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    query = parse_qs(callback.query)
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT_URI
    assert query["state"] == [state]
    return oauth.exchange_code(query["code"][0])


def test_the_authorization_url_asks_canvas_for_a_code_with_state(oauth: CanvasOAuth) -> None:
    url, state = oauth.authorization_url()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/login/oauth2/auth"
    assert query["response_type"] == ["code"] and query["client_id"] == [oauth.config.client_id]
    assert query["redirect_uri"] == [REDIRECT_URI] and query["state"] == [state] and len(state) >= 32


def test_connecting_exchanges_the_code_for_tokens_that_expire_in_an_hour(oauth: CanvasOAuth,
                                                                          fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    assert token.access_token in fake_canvas.tokens
    assert token.refresh_token and token.canvas_user_id == "42" and token.canvas_user_name == "Jimi Hendrix"
    assert token.expires_at is not None
    assert timedelta(minutes=59) < token.expires_at - fake_canvas.now() <= timedelta(hours=1)
    assert fake_canvas.requests[-1].headers["User-Agent"].startswith("sbg/")


def test_a_used_or_unknown_code_asks_the_teacher_to_connect_again(oauth: CanvasOAuth) -> None:
    with pytest.raises(LmsUnauthorized, match="connect to Canvas again"):
        oauth.exchange_code("not-a-code")


def test_refreshing_keeps_the_refresh_token_canvas_did_not_resend(oauth: CanvasOAuth,
                                                                  fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    fresh = oauth.refresh(token)
    assert fresh.access_token != token.access_token
    assert fresh.refresh_token == token.refresh_token
    assert fresh.canvas_user_id == "42"


def test_a_token_about_to_expire_is_refreshed_before_use_and_persisted(oauth: CanvasOAuth,
                                                                       fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    saved: list[CanvasToken] = []
    source = RefreshingAccessToken(oauth, token, saved.append)
    assert source.access_token() == token.access_token and saved == []
    fake_canvas.advance(3600 - 120)  # two minutes left: inside the five-minute leeway
    renewed = source.access_token()
    assert renewed != token.access_token and saved and saved[-1].access_token == renewed


def test_the_client_refreshes_once_when_canvas_rejects_an_expired_token(
        oauth: CanvasOAuth, fake_canvas: FakeCanvas, session: requests.Session, sleeps: SleepRecorder) -> None:
    fake_canvas.add_course(build_course(101, students=2, assignments=3))
    token = connect(oauth)
    saved: list[CanvasToken] = []
    client = CanvasClient(fake_canvas.base_url, RefreshingAccessToken(oauth, token, saved.append), session,
                          sleep=sleeps)
    fake_canvas.fail_next("expired_token", path_contains="/assignments")
    assert len(client.list_assignments("101")) == 3
    assert len(saved) == 1


def test_revoking_deletes_the_grant_so_refresh_fails_afterwards(oauth: CanvasOAuth,
                                                                fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    oauth.revoke(token)
    assert fake_canvas.count("/login/oauth2/token", method="DELETE") == 1
    assert token.access_token not in fake_canvas.tokens
    with pytest.raises(LmsUnauthorized):
        oauth.refresh(token)


def test_revoking_an_expired_token_refreshes_first_so_canvas_accepts_the_delete(
        oauth: CanvasOAuth, fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    fake_canvas.advance(7200)
    oauth.revoke(token)
    assert fake_canvas.count("/login/oauth2/token", method="DELETE") == 1
    assert fake_canvas.tokens == {}


def test_revoking_twice_is_harmless(oauth: CanvasOAuth, fake_canvas: FakeCanvas) -> None:
    token = connect(oauth)
    oauth.revoke(token)
    oauth.revoke(token)
    assert fake_canvas.tokens == {}


def test_a_throttled_token_endpoint_is_retried(oauth: CanvasOAuth, fake_canvas: FakeCanvas,
                                               sleeps: SleepRecorder) -> None:
    token = connect(oauth)
    fake_canvas.fail_next("throttle_403", path_contains="/login/oauth2/token")
    fresh = oauth.refresh(token)
    assert fresh.access_token in fake_canvas.tokens and len(sleeps.pauses) == 1


def test_token_values_never_appear_in_repr() -> None:
    token = CanvasToken("secret-access", "secret-refresh", datetime(2030, 1, 1, tzinfo=UTC))
    assert "secret" not in repr(token)
