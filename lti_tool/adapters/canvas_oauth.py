"""OAuth2 authorization-code flow for a Canvas API developer key: connect, refresh, revoke."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error

from lti_tool.adapters.http import (
    HttpSettings,
    LmsUnauthorized,
    LmsUnavailable,
    RequestRunner,
    RetrySettings,
    configure_session,
    lms_message,
    raise_for_lms_status,
)

AUTHORIZE_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"
# Canvas access tokens live one hour; refresh a few minutes early so a long pull never starts with a dying token.
DEFAULT_REFRESH_LEEWAY = timedelta(minutes=5)
LMS_NAME = "Canvas"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CanvasToken:
    """An access token with its refresh token and expiry; the caller stores it (encrypted)."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    canvas_user_id: str | None = None
    canvas_user_name: str | None = None

    def expires_within(self, leeway: timedelta, now: datetime) -> bool:
        """True when the token is expired or will be within `leeway`."""
        return self.expires_at is not None and self.expires_at - leeway <= now

    def __repr__(self) -> str:
        # Never print token values, even in a debugger or a traceback.
        return (f"CanvasToken(expires_at={self.expires_at!r}, canvas_user_id={self.canvas_user_id!r}, "
                f"has_refresh_token={self.refresh_token is not None})")


@dataclass(frozen=True)
class CanvasOAuthConfig:
    """A Canvas API developer key and where its OAuth2 endpoints live."""

    client_id: str
    client_secret: str
    base_url: str
    redirect_uri: str
    tool_base_url: str

    @property
    def authorize_url(self) -> str:
        """Canvas's authorization endpoint."""
        return self.base_url.rstrip("/") + AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        """Canvas's token endpoint (exchange, refresh, and DELETE to revoke)."""
        return self.base_url.rstrip("/") + TOKEN_PATH

    def __repr__(self) -> str:
        return f"CanvasOAuthConfig(client_id={self.client_id!r}, base_url={self.base_url!r})"


def _raise_for_token_response(response: requests.Response) -> requests.Response:
    """authlib compliance hook: turn throttling, 5xx and refused grants into our errors before parsing."""
    if response.status_code in (400, 401):
        said = lms_message(response)
        raise LmsUnauthorized(
            f"Canvas refused the authorization ({said or 'invalid grant'}); please connect to Canvas again.",
            status=response.status_code, lms_message=said)
    raise_for_lms_status(response, LMS_NAME)
    return response


def token_from_response(payload: dict[str, Any], now: datetime,
                        previous_refresh_token: str | None = None) -> CanvasToken:
    """Build a CanvasToken from Canvas's token JSON (a refresh answer carries no new refresh token)."""
    expires_in = payload.get("expires_in")
    user = payload.get("user") or {}
    return CanvasToken(
        access_token=str(payload["access_token"]),
        refresh_token=payload.get("refresh_token") or previous_refresh_token,
        expires_at=now + timedelta(seconds=float(expires_in)) if expires_in is not None else None,
        canvas_user_id=str(user["id"]) if user.get("id") is not None else None,
        canvas_user_name=user.get("name"),
    )


class CanvasOAuth:
    """The OAuth2 flow against one Canvas developer key; stateless apart from configuration."""

    def __init__(self, config: CanvasOAuthConfig, *, http_settings: HttpSettings | None = None,
                 retry: RetrySettings | None = None, clock: Clock = utc_now,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self.http_settings = http_settings or HttpSettings()
        self.retry = retry or self.http_settings.retry
        self.clock = clock
        self._sleep = sleep

    def _client(self, token: dict[str, Any] | None = None) -> OAuth2Session:
        client = OAuth2Session(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            redirect_uri=self.config.redirect_uri,
            token_endpoint_auth_method="client_secret_post",  # Canvas reads client_id/secret from the body
            token=token,
        )
        configure_session(client, tool_base_url=self.config.tool_base_url, settings=self.http_settings)
        client.register_compliance_hook("access_token_response", _raise_for_token_response)
        client.register_compliance_hook("refresh_token_response", _raise_for_token_response)
        return client

    def _runner(self, session: requests.Session) -> RequestRunner:
        runner = RequestRunner(session=session, lms_name=LMS_NAME, retry=self.retry)
        if self._sleep is not None:
            runner.sleep = self._sleep
        return runner

    def _with_retries(self, call: Callable[[], Any], session: requests.Session) -> Any:
        for attempt in self._runner(session).retrying():
            with attempt:
                try:
                    return call()
                except requests.Timeout as exc:
                    raise LmsUnavailable("Canvas did not answer in time; we will try again.") from exc
                except requests.ConnectionError as exc:
                    raise LmsUnavailable("Canvas could not be reached; we will try again.") from exc
                except (OAuthError, OAuth2Error) as exc:
                    raise LmsUnauthorized(
                        f"Canvas refused the authorization ({exc}); please connect to Canvas again.") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def authorization_url(self, state: str | None = None, *, force_login: bool = False) -> tuple[str, str]:
        """The URL to send the teacher to, and the state to check on the callback."""
        state = state or secrets.token_urlsafe(32)
        extra = {"force_login": "1"} if force_login else {}
        url, state = self._client().create_authorization_url(self.config.authorize_url, state=state, **extra)
        return url, state

    def exchange_code(self, code: str) -> CanvasToken:
        """Trade the callback's code for an access and refresh token."""
        client = self._client()
        now = self.clock()
        payload = self._with_retries(
            lambda: client.fetch_token(self.config.token_url, grant_type="authorization_code", code=code),
            client)
        return token_from_response(dict(payload), now)

    def refresh(self, token: CanvasToken) -> CanvasToken:
        """Get a fresh access token with the refresh token (Canvas keeps the same refresh token)."""
        if not token.refresh_token:
            raise LmsUnauthorized("The Canvas connection has no refresh token; please connect to Canvas again.")
        client = self._client()
        now = self.clock()
        refresh_token = token.refresh_token
        payload = self._with_retries(
            lambda: client.refresh_token(self.config.token_url, refresh_token=refresh_token), client)
        fresh = token_from_response(dict(payload), now, previous_refresh_token=refresh_token)
        # A refresh answer may omit the user; keep what the connect step learned.
        return replace(fresh, canvas_user_id=fresh.canvas_user_id or token.canvas_user_id,
                       canvas_user_name=fresh.canvas_user_name or token.canvas_user_name)

    def revoke(self, token: CanvasToken) -> None:
        """Revoke the token in Canvas (DELETE /login/oauth2/token); an already dead token counts as revoked."""
        if token.expires_within(timedelta(0), self.clock()) and token.refresh_token:
            try:
                token = self.refresh(token)
            except LmsUnauthorized:
                return  # the refresh token is gone too: nothing left to revoke
        session = configure_session(requests.Session(), tool_base_url=self.config.tool_base_url,
                                    settings=self.http_settings)
        runner = self._runner(session)
        try:
            runner.send("DELETE", self.config.token_url,
                        headers={"Authorization": f"Bearer {token.access_token}"})
        except LmsUnauthorized:
            return
        finally:
            session.close()


class AccessTokenSource(Protocol):
    """Where a client gets its bearer token, and a fresh one after Canvas rejects it."""

    def access_token(self) -> str:
        """A token that is valid now."""
        ...

    def refresh_after_rejection(self) -> str:
        """A new token after the LMS answered 401; raises LmsUnauthorized when none can be had."""
        ...


class StaticAccessToken:
    """A fixed token (a manually generated one, or in tests): it cannot be refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        """The fixed token."""
        return self._token

    def refresh_after_rejection(self) -> str:
        """Always fails: a fixed token cannot be renewed."""
        raise LmsUnauthorized("Canvas no longer accepts the saved access token; please reconnect.")

    def __repr__(self) -> str:
        return "StaticAccessToken(<hidden>)"


class RefreshingAccessToken:
    """Hands out the current token, refreshing it shortly before expiry and persisting each refresh."""

    def __init__(self, oauth: CanvasOAuth, token: CanvasToken, on_refresh: Callable[[CanvasToken], None],
                 *, leeway: timedelta = DEFAULT_REFRESH_LEEWAY) -> None:
        self._oauth = oauth
        self.token = token
        self._on_refresh = on_refresh
        self._leeway = leeway

    def _refresh(self) -> str:
        self.token = self._oauth.refresh(self.token)
        self._on_refresh(self.token)
        return self.token.access_token

    def access_token(self) -> str:
        """The stored token, or a refreshed one when it expires within the leeway."""
        if self.token.expires_within(self._leeway, self._oauth.clock()):
            return self._refresh()
        return self.token.access_token

    def refresh_after_rejection(self) -> str:
        """Refresh once after a 401 (clock skew or early expiry); a revoked grant raises LmsUnauthorized."""
        return self._refresh()

    def __repr__(self) -> str:
        return f"RefreshingAccessToken({self.token!r})"


__all__ = [
    "AccessTokenSource",
    "CanvasOAuth",
    "CanvasOAuthConfig",
    "CanvasToken",
    "RefreshingAccessToken",
    "StaticAccessToken",
    "token_from_response",
]
