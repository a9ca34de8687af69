"""Shared HTTP plumbing for every LMS call: session, retries with backoff, pacing, pagination, errors."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

logger = logging.getLogger(__name__)

Sleep = Callable[[float], None]

# Canvas answers a throttled request with this text in a plain 403 body.
CANVAS_THROTTLE_TEXT = "Rate Limit Exceeded"


# ---------------------------------------------------------------------------
# Errors, worded for the teacher or admin who will read them
# ---------------------------------------------------------------------------


class LmsError(Exception):
    """The LMS refused or failed a request; `message` says why in plain words."""

    def __init__(self, message: str, *, status: int | None = None, lms_message: str = "",
                 code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.lms_message = lms_message
        self.code = code


class LmsUnauthorized(LmsError):
    """The token is expired, revoked or unknown: the teacher or admin must reconnect."""


class LmsPermissionDenied(LmsError):
    """The token works but its user may not do this (missing role, capability or service function)."""


class LmsNotFound(LmsError):
    """The course, assignment or other object does not exist (or is hidden from this user)."""


class LmsThrottled(LmsError):
    """The LMS asked us to slow down; retried after a pause."""

    def __init__(self, message: str, *, status: int | None = None, lms_message: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, lms_message=lms_message)
        self.retry_after = retry_after


class LmsUnavailable(LmsError):
    """The LMS timed out, could not be reached or answered 5xx; retried after a pause."""

    def __init__(self, message: str, *, status: int | None = None, lms_message: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, lms_message=lms_message)
        self.retry_after = retry_after


class LmsBadResponse(LmsError):
    """The LMS answered something we cannot read (not JSON, or not the documented shape)."""


RETRYABLE_ERRORS = (LmsThrottled, LmsUnavailable)


# ---------------------------------------------------------------------------
# Settings and session factory
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrySettings:
    """How often and how patiently a failed request is tried again."""

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: float = 0.5
    # A Retry-After longer than this is capped, so a pull never hangs for minutes on one request.
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class PacerSettings:
    """When to start slowing down: below `low_water` remaining quota, wait up to `max_delay` seconds."""

    low_water: float = 200.0
    max_delay: float = 2.0


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, connection pool, retry and pacing settings shared by all LMS clients."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_connections: int = 4
    pool_maxsize: int = 8
    retry: RetrySettings = field(default_factory=RetrySettings)
    pacer: PacerSettings = field(default_factory=PacerSettings)


def product_version() -> str:
    """The installed sbg version, for the User-Agent."""
    try:
        return version("sbg")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def user_agent(tool_base_url: str) -> str:
    """Identifiable User-Agent; Canvas refuses requests without one."""
    return f"sbg/{product_version()} (+{tool_base_url})"


class TimeoutAdapter(HTTPAdapter):
    """HTTPAdapter that applies default connect/read timeouts to every request that sets none."""

    def __init__(self, *, timeout: tuple[float, float], **kwargs: Any) -> None:
        self.default_timeout = timeout
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the default timeout when the caller gave none."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().send(request, **kwargs)


def configure_session(session: requests.Session, *, tool_base_url: str,
                      settings: HttpSettings | None = None) -> requests.Session:
    """Give any requests.Session (authlib's OAuth2Session included) our User-Agent, timeouts and keep-alive pool."""
    settings = settings or HttpSettings()
    adapter = TimeoutAdapter(
        timeout=(settings.connect_timeout, settings.read_timeout),
        pool_connections=settings.pool_connections,
        pool_maxsize=settings.pool_maxsize,
        max_retries=0,  # retries happen in RequestRunner, where the response body can be inspected
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent(tool_base_url)
    session.headers.setdefault("Accept", "application/json")
    return session


def build_session(tool_base_url: str, settings: HttpSettings | None = None) -> requests.Session:
    """The one factory for outgoing LMS sessions; share the result between clients to reuse connections."""
    return configure_session(requests.Session(), tool_base_url=tool_base_url, settings=settings)


# ---------------------------------------------------------------------------
# Reading responses
# ---------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """The URL without its query string, so tokens passed as parameters never reach a log or message."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def next_page_url(response: requests.Response) -> str | None:
    """The `rel="next"` URL of a Link header, used as is (Canvas says page URLs are opaque)."""
    link = response.links.get("next")  # requests parses Link and reads headers case-insensitively
    return link.get("url") if link else None


def parse_retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds form), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # the HTTP-date form is rare from LMSs; fall back to exponential backoff


def lms_message(response: requests.Response) -> str:
    """The LMS's own error text: Canvas `errors[].message`, `message`, `error`, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            texts = [e.get("message", "") for e in errors if isinstance(e, dict)]
            return "; ".join(t for t in texts if t)
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {v}" for k, v in errors.items())
        for key in ("message", "error_description", "error"):
            if isinstance(body.get(key), str):
                return body[key]
    return response.text.strip()[:300]


def raise_for_lms_status(response: requests.Response, lms_name: str) -> None:
    """Map an HTTP error answer to the LmsError subclass the caller can act on; 2xx/3xx pass."""
    status = response.status_code
    if status < 400:
        return
    said = lms_message(response)
    where = safe_url(response.url or "")
    if status == 401:
        # Canvas marks a bad or expired token with WWW-Authenticate; a 401 without it means
        # "this user may not do that", which reconnecting would not fix.
        if "WWW-Authenticate" in response.headers or "invalid access token" in said.lower():
            raise LmsUnauthorized(
                f"{lms_name} no longer accepts the saved access; please reconnect ({said or 'token rejected'}).",
                status=status, lms_message=said)
        raise LmsPermissionDenied(
            f"{lms_name} says this account may not read {where}: {said or 'not authorized'}.",
            status=status, lms_message=said)
    if status == 403 and CANVAS_THROTTLE_TEXT.lower() in response.text.lower():
        raise LmsThrottled(f"{lms_name} asked us to slow down (rate limit exceeded).",
                           status=status, lms_message=said, retry_after=parse_retry_after(response))
    if status == 429:
        raise LmsThrottled(f"{lms_name} asked us to slow down (too many requests).",
                           status=status, lms_message=said, retry_after=parse_retry_after(response))
    if status == 403:
        raise LmsPermissionDenied(f"{lms_name} refused access to {where}: {said or 'forbidden'}.",
                                  status=status, lms_message=said)
    if status == 404:
        raise LmsNotFound(f"{lms_name} has nothing at {where}: {said or 'not found'}.",
                          status=status, lms_message=said)
    if status >= 500:
        raise LmsUnavailable(f"{lms_name} had a server error ({status}); we will try again.",
                             status=status, lms_message=said, retry_after=parse_retry_after(response))
    raise LmsError(f"{lms_name} rejected the request to {where} ({status}): {said}",
                   status=status, lms_message=said)


# ---------------------------------------------------------------------------
# Pacing and retrying
# ---------------------------------------------------------------------------


class RatePacer:
    """Slows requests down as `X-Rate-Limit-Remaining` drops, so a pull rarely gets throttled."""

    def __init__(self, settings: PacerSettings | None = None, sleep: Sleep = time.sleep) -> None:
        self.settings = settings or PacerSettings()
        self.sleep = sleep
        self.remaining: float | None = None
        self.total_delay = 0.0

    def observe(self, response: requests.Response) -> None:
        """Remember the remaining quota the LMS reported (header names are case-insensitive)."""
        value = response.headers.get("X-Rate-Limit-Remaining")
        if value is None:
            return
        try:
            self.remaining = float(value)
        except ValueError:
            logger.debug("ignoring unreadable X-Rate-Limit-Remaining %r", value)

    def delay(self) -> float:
        """Seconds to wait before the next request: 0 above the low-water mark, growing linearly below it."""
        low = self.settings.low_water
        if self.remaining is None or low <= 0 or self.remaining >= low:
            return 0.0
        used_fraction = 1.0 - max(self.remaining, 0.0) / low
        return self.settings.max_delay * used_fraction

    def wait(self) -> None:
        """Sleep for `delay()` seconds, if any."""
        pause = self.delay()
        if pause > 0:
            self.total_delay += pause
            self.sleep(pause)


class wait_retry_after_or_backoff(wait_base):
    """Wait what the LMS's Retry-After asked for, else exponential backoff with jitter."""

    def __init__(self, settings: RetrySettings) -> None:
        self.settings = settings
        self.backoff = wait_exponential_jitter(multiplier=settings.initial_backoff, max=settings.max_backoff,
                                               jitter=settings.jitter)

    def __call__(self, retry_state: Any) -> float:
        """Seconds to wait before the next attempt."""
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(min(retry_after, self.settings.max_retry_after))
        return float(self.backoff(retry_state))


@dataclass
class RequestRunner:
    """Sends requests through a shared session with pacing, retries and error mapping for one LMS."""

    session: requests.Session
    lms_name: str
    retry: RetrySettings = field(default_factory=RetrySettings)
    pacer: RatePacer = field(default_factory=RatePacer)
    sleep: Sleep = time.sleep
    request_count: int = 0

    @classmethod
    def build(cls, session: requests.Session, lms_name: str, *, retry: RetrySettings | None = None,
              pacer: RatePacer | None = None, sleep: Sleep | None = None) -> RequestRunner:
        """A runner for one client; `sleep` (tests) replaces waiting in both the retries and the pacer."""
        runner = cls(session=session, lms_name=lms_name, retry=retry or RetrySettings(), pacer=pacer or RatePacer())
        if sleep is not None:
            runner.sleep = sleep
            runner.pacer.sleep = sleep
        return runner

    def retrying(self) -> Retrying:
        """A tenacity loop that retries throttling and unavailability, then re-raises the last error."""
        return Retrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=wait_retry_after_or_backoff(self.retry),
            retry=retry_if_exception_type(RETRYABLE_ERRORS),
            sleep=self.sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _log_retry(self, retry_state: Any) -> None:
        error = retry_state.outcome.exception()
        logger.info("%s: attempt %d failed (%s); retrying", self.lms_name, retry_state.attempt_number,
                    getattr(error, "message", error))

    def send_once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One attempt: pace, send, record the quota, raise the mapped error for a bad answer."""
        self.pacer.wait()
        self.request_count += 1
        started = time.monotonic()
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise LmsUnavailable(f"{self.lms_name} did not answer in time; we will try again.") from exc
        except requests.ConnectionError as exc:
            raise LmsUnavailable(f"{self.lms_name} could not be reached; we will try again.") from exc
        logger.debug("%s %s -> %d in %.3fs", method, safe_url(url), response.status_code,
                     time.monotonic() - started)
        self.pacer.observe(response)
        raise_for_lms_status(response, self.lms_name)
        return response

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send with retries on timeouts, connection errors, 5xx, 429 and throttled 403s."""
        for attempt in self.retrying():
            with attempt:
                return self.send_once(method, url, **kwargs)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def get_json(self, url: str, *, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
                 headers: Mapping[str, str] | None = None) -> tuple[Any, requests.Response]:
        """GET and decode JSON, or raise LmsBadResponse."""
        response = self.send("GET", url, params=params, headers=headers)
        return decode_json(response, self.lms_name), response

    def iter_pages(self, url: str, *, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
                   headers: Mapping[str, str] | None = None) -> Iterator[Any]:
        """Yield each page's JSON, following `Link: rel="next"` URLs untouched."""
        next_url: str | None = url
        page_params = params
        while next_url:
            body, response = self.get_json(next_url, params=page_params, headers=headers)
            yield body
            next_url = next_page_url(response)
            page_params = None  # the next URL already carries every parameter


def decode_json(response: requests.Response, lms_name: str) -> Any:
    """The response body as JSON, or LmsBadResponse naming the endpoint (never its query)."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise LmsBadResponse(
            f"{lms_name} sent something that is not JSON from {safe_url(response.url or '')}.",
            status=response.status_code) from exc
