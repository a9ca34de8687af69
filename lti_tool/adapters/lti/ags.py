"""AGS gradebook client: find, create and update the tool's line items, publish scores, read results.

Scores go only to line items the tool created, found in its own listing (platforms list only a tool's own
items) or received in a launch's AGS claim, never to a URL built by hand: Moodle 4.5 has been seen to let a
tool reach an ordinary grade item whose instance number collides with one of the tool's, so a guessed URL
could overwrite a teacher's grade. Every call goes through the platform client's pacer (see `pacing`), uses
the cached service token (a 401 drops it and retries once) and the shared keep-alive session.

A POST (a score, a new column) is sent again here only when the LMS certainly did not take it (refused
connection, 502/503, throttled). After a read time-out, a dropped connection, a 500 or a 504 the LMS may
have stored it, so the error goes back to the caller as retryable and *in doubt*: the sync outbox reads the
LMS's results (or lists the columns) before it sends again, so a grade is never delivered twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from lti_tool.adapters.http import CANVAS_THROTTLE_TEXT, lms_message, next_page_url, parse_retry_after, safe_url

from . import claims as c
from .pacing import ClientPacer
from .service_auth import ServiceAuthError, ServiceClient, ServiceTokenCache

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
CANVAS_SUBMISSION_EXTENSION = "https://canvas.instructure.com/lti/submission"
AGS_SCOPES = (c.SCOPE_LINEITEM, c.SCOPE_LINEITEM_READONLY, c.SCOPE_RESULT_READONLY, c.SCOPE_SCORE)
# Large pages keep listing to one request for a course's columns (AGS names the parameter `limit`).
PAGE_LIMIT = 100


@dataclass(frozen=True)
class LineItemRef:
    """A line item the tool may post to, as the platform described it."""

    url: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""


@dataclass(frozen=True)
class ScoreAnswer:
    """The LMS's answer to one score post."""

    status: int
    message: str


#: Answers after which a POST may have been stored (the gateway gave up, the application may not have).
IN_DOUBT_STATUSES = frozenset({500, 504})


class AgsError(Exception):
    """An AGS call failed; `retryable` says whether sending again later may succeed, `in_doubt` whether the
    LMS may already have applied it (a POST that timed out)."""

    def __init__(self, message: str, *, status: int | None = None, lms_message: str = "",
                 retryable: bool = False, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.lms_message = lms_message
        self.retryable = retryable
        self.in_doubt = in_doubt


def is_transient_token_failure(error: ServiceAuthError) -> bool:
    """Whether a failed token request was the token endpoint being down, slow or throttled (worth retrying),
    not a refusal of the registration (a wrong client id or key fails every time)."""
    cause = error.__cause__
    if isinstance(cause, requests.HTTPError):
        status = cause.response.status_code if cause.response is not None else 0
        return status >= 500 or status == 429
    return isinstance(cause, requests.RequestException)


def _request_may_have_arrived(exc: requests.RequestException) -> bool:
    """False only when the connection was never made, so the request cannot have reached the LMS."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        text = str(exc).lower()
        return not any(sign in text for sign in ("refused", "newconnectionerror", "name or service not known",
                                                 "failed to establish"))
    return True


def service_url(item_url: str, suffix: str) -> str:
    """A line item's `/scores` or `/results` URL: the suffix goes on the path, before any query (Moodle)."""
    parts = urlsplit(item_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix, parts.query, parts.fragment))


def is_throttled(response: requests.Response) -> bool:
    """Canvas's `403 Rate Limit Exceeded` or anyone's 429."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and CANVAS_THROTTLE_TEXT.lower() in response.text.lower()


class AgsGradebook:
    """The AGS calls of one course (its line items container) for one platform client."""

    def __init__(self, *, http: requests.Session, tokens: ServiceTokenCache, client: ServiceClient,
                 lineitems_url: str, pacer: ClientPacer, scopes: Iterable[str] = AGS_SCOPES,
                 lms_name: str = "The LMS", max_attempts: int = 6,
                 timeout: tuple[float, float] = (3.05, 20.0)) -> None:
        self.http = http
        self.tokens = tokens
        self.client = client
        self.lineitems_url = lineitems_url
        self.pacer = pacer
        self.scopes = tuple(sorted(set(scopes) & set(AGS_SCOPES))) or AGS_SCOPES
        self.lms_name = lms_name
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.request_count = 0

    # -- line items ----------------------------------------------------------------------------------

    def find_line_items(self, *, tag: str | None = None, resource_id: str | None = None) -> list[LineItemRef]:
        """The tool's line items in this course, optionally filtered by tag and resourceId (every page)."""
        params: dict[str, str] = {"limit": str(PAGE_LIMIT)}
        if tag:
            params["tag"] = tag
        if resource_id:
            params["resource_id"] = resource_id
        found: list[LineItemRef] = []
        for page in self._pages(self._with_params(self.lineitems_url, params), LINEITEM_CONTAINER_TYPE):
            for entry in page if isinstance(page, list) else []:
                ref = _ref(entry)
                # A platform that ignores the filters still must not hand us other columns.
                if ref is not None and (not tag or ref.tag == tag) and (not resource_id or ref.resource_id == resource_id):
                    found.append(ref)
        return found

    def create_line_item(self, *, label: str, score_maximum: float, resource_id: str, tag: str) -> LineItemRef:
        """Create a column owned by the tool."""
        body = {"label": label, "scoreMaximum": score_maximum, "resourceId": resource_id, "tag": tag}
        response = self._send("POST", self.lineitems_url, json=body, content_type=LINEITEM_TYPE,
                              accept=LINEITEM_TYPE)
        self._raise_for_refusal(response, "create the gradebook column")
        ref = _ref(self._json(response))
        if ref is None:
            raise AgsError(f"{self.lms_name} created a column but did not say where it is.", status=response.status_code)
        return ref

    def update_line_item(self, item: LineItemRef, *, label: str, score_maximum: float) -> LineItemRef:
        """Change a column's label or maximum (resourceId and tag are kept)."""
        body: dict[str, Any] = {"id": item.url, "label": label, "scoreMaximum": score_maximum}
        if item.resource_id:
            body["resourceId"] = item.resource_id
        if item.tag:
            body["tag"] = item.tag
        response = self._send("PUT", item.url, json=body, content_type=LINEITEM_TYPE, accept=LINEITEM_TYPE)
        self._raise_for_refusal(response, "update the gradebook column")
        return _ref(self._json(response)) or LineItemRef(item.url, label, score_maximum, item.resource_id, item.tag)

    # -- scores and results --------------------------------------------------------------------------

    def publish_score(self, item: LineItemRef, score: dict[str, Any]) -> ScoreAnswer:
        """POST one score; answers 2xx, 400, 404, 409, 422 are returned, throttling and 5xx are retried."""
        response = self._send("POST", service_url(item.url, "/scores"), json=score, content_type=SCORE_TYPE)
        if response.status_code == 401 or response.status_code == 403:
            raise AgsError(f"{self.lms_name} refused the score: {lms_message(response) or response.status_code}.",
                           status=response.status_code, lms_message=lms_message(response))
        return ScoreAnswer(response.status_code, "" if response.ok else lms_message(response))

    def read_results(self, item: LineItemRef, user_id: str | None = None) -> list[dict[str, Any]]:
        """The results of a column (every page), or of one user."""
        params = {"limit": str(PAGE_LIMIT)}
        if user_id:
            params["user_id"] = user_id
        url = self._with_params(service_url(item.url, "/results"), params)
        results: list[dict[str, Any]] = []
        for page in self._pages(url, RESULT_CONTAINER_TYPE):
            results.extend(entry for entry in (page if isinstance(page, list) else []) if isinstance(entry, dict))
        return results

    # -- plumbing ------------------------------------------------------------------------------------

    def _pages(self, url: str, accept: str) -> Iterator[Any]:
        next_url: str | None = url
        while next_url:
            response = self._send("GET", next_url, accept=accept)
            self._raise_for_refusal(response, "read the gradebook")
            yield self._json(response)
            next_url = next_page_url(response)

    @staticmethod
    def _with_params(url: str, params: dict[str, str]) -> str:
        prepared = requests.Request("GET", url, params=params).prepare()
        return str(prepared.url)

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise AgsError(f"{self.lms_name} sent something that is not JSON from {safe_url(response.url)}.",
                           status=response.status_code) from exc

    def _raise_for_refusal(self, response: requests.Response, doing: str) -> None:
        if response.ok:
            return
        said = lms_message(response)
        raise AgsError(f"{self.lms_name} would not let the tool {doing} ({response.status_code}): {said}",
                       status=response.status_code, lms_message=said)

    def _send(self, method: str, url: str, *, json: Any = None, content_type: str | None = None,
              accept: str | None = None) -> requests.Response:
        """One AGS call with token, pacing and retries; returns the final answer (not raised) unless retries ran out."""
        refreshed = auth_failed = transient_auth = False
        last_problem = ""
        # A POST is not idempotent: never send it again after a failure that may have reached the LMS.
        once_in_doubt = method.upper() == "POST"
        for attempt in range(1, self.max_attempts + 1):
            try:
                token = self.tokens.token(self.client, self.scopes)
            except ServiceAuthError as error:
                # A token endpoint can be throttled or down too; a wrong registration fails every attempt.
                last_problem, auth_failed = error.message, True
                transient_auth = is_transient_token_failure(error)
                self.pacer.pause(None, attempt)
                continue
            auth_failed = False
            headers = {"Authorization": f"Bearer {token}", "Accept": accept or "application/json"}
            if content_type:
                headers["Content-Type"] = content_type
            with self.pacer.slot():
                self.request_count += 1
                try:
                    response = self.http.request(method, url, json=json, headers=headers, timeout=self.timeout)
                except (requests.Timeout, requests.ConnectionError) as exc:
                    last_problem = f"{self.lms_name} did not answer in time" if isinstance(exc, requests.Timeout) \
                        else f"{self.lms_name} could not be reached"
                    self.pacer.pause(None, attempt)
                    if once_in_doubt and _request_may_have_arrived(exc):
                        raise AgsError(f"{last_problem}; it will be checked and tried again later.",
                                       retryable=True, in_doubt=True) from exc
                    continue
                self.pacer.observe_remaining(response.headers.get("X-Rate-Limit-Remaining"))
            if response.status_code == 401 and not refreshed:
                self.tokens.forget(self.client, self.scopes)  # expired or revoked: fetch a new one once
                refreshed = True
                continue
            if is_throttled(response):
                self.pacer.throttled(parse_retry_after(response), attempt)
                last_problem = f"{self.lms_name} asked us to slow down ({response.status_code})"
                continue
            if response.status_code >= 500:
                self.pacer.pause(parse_retry_after(response), attempt)
                last_problem = f"{self.lms_name} had a server error ({response.status_code})"
                if once_in_doubt and response.status_code in IN_DOUBT_STATUSES:
                    raise AgsError(f"{last_problem}; it will be checked and tried again later.",
                                   status=response.status_code, retryable=True, in_doubt=True)
                continue
            return response
        if auth_failed and not transient_auth:
            raise AgsError(last_problem)
        raise AgsError(f"{last_problem}; it will be tried again later.", retryable=True)


def _ref(entry: Any) -> LineItemRef | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return None
    maximum = entry.get("scoreMaximum")
    return LineItemRef(url=entry["id"], label=str(entry.get("label") or ""),
                       score_maximum=float(maximum) if isinstance(maximum, (int, float)) else 0.0,
                       resource_id=str(entry.get("resourceId") or ""), tag=str(entry.get("tag") or ""))

