"""LaunchDriver: a full OIDC third-party-initiated login -> authorization -> form_post launch against the tool.

Each hop is recorded in `LaunchResult.steps`, so a failing launch shows where it stopped:

1. the platform prepares a launch and sends the login initiation to the tool's login URL;
2. the tool answers with a redirect (or an HTML page) to the platform's authorization endpoint;
3. the platform (over real HTTP) checks the request and answers with an auto-submitting form;
4. the driver posts that form (id_token, state) to the tool's launch URL and returns the tool's answer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from .keys import USER_AGENT

if TYPE_CHECKING:
    from .launch import PreparedLaunch
    from .server import LtiPlatform


@dataclass
class Step:
    """One HTTP hop of a launch."""

    name: str
    method: str
    url: str
    status: int
    note: str = ""


@dataclass
class LaunchResult:
    """The tool's final answer and everything that led to it."""

    response: Any  # werkzeug TestResponse (Flask test client) or requests.Response (live tool)
    prepared: "PreparedLaunch"
    steps: list[Step] = field(default_factory=list)

    @property
    def status_code(self) -> int:
        """Status of the tool's answer to the launch."""
        return self.response.status_code

    @property
    def text(self) -> str:
        """Body of the tool's answer to the launch."""
        data = getattr(self.response, "text", None)
        return data if isinstance(data, str) else self.response.get_data(as_text=True)

    @property
    def id_token(self) -> str | None:
        """The id_token the platform signed."""
        return self.prepared.id_token

    @property
    def claims(self) -> dict[str, Any] | None:
        """The claims in that id_token."""
        return self.prepared.claims

    def describe(self) -> str:
        """The hops, one a line (put it in assertion messages)."""
        return "\n".join(f"{s.name}: {s.method} {s.url} -> {s.status} {s.note}".rstrip() for s in self.steps)


class LaunchError(AssertionError):
    """The launch could not be carried to the tool's launch URL; the message lists the hops."""


class _FormParser(HTMLParser):
    """Finds the first form's action and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def parse_form(page: str) -> tuple[str | None, dict[str, str]]:
    """(action, fields) of the first form in an HTML page."""
    parser = _FormParser()
    parser.feed(page)
    return parser.action, parser.fields


class LaunchDriver:
    """Drives launches from `platform` into a tool given as a Flask test client or a live base URL.

    `LaunchDriver(platform, app.test_client())` or `LaunchDriver(platform, "http://127.0.0.1:5000")`
    (or a `requests.Session` with `base_url=`). The tool's URLs come from its registration.
    """

    def __init__(
        self,
        platform: "LtiPlatform",
        tool: Any,
        *,
        base_url: str | None = None,
        login_method: str = "POST",
        follow_redirects: bool = False,
    ) -> None:
        self.platform = platform
        self.login_method = login_method.upper()
        self.follow_redirects = follow_redirects
        self.platform_http = requests.Session()
        self.platform_http.headers["User-Agent"] = "Mozilla/5.0 (lti test browser)"
        if isinstance(tool, str):
            self.session: requests.Session | None = requests.Session()
            self.session.headers["User-Agent"] = "Mozilla/5.0 (lti test browser)"
            self.base_url: str | None = tool.rstrip("/")
            self.client = None
        elif isinstance(tool, requests.Session):
            self.session, self.base_url, self.client = tool, (base_url or "").rstrip("/") or None, None
        else:
            self.session, self.base_url, self.client = None, None, tool

    # -- public --------------------------------------------------------------------------------------

    def launch(self, profile: str, role: str, **options: Any) -> LaunchResult:
        """Launch as `role` with `profile`'s claims; options go to `LtiPlatform.claims` (user, course,
        line_item, overrides...), plus `key`/`include_kid`/`alg` for the signature and `platform_storage`."""
        prepared = self.platform.prepare_launch(profile, role, **options)
        tool = self.platform.tool(prepared.client_id)
        steps: list[Step] = []

        login = self._tool_request(self.login_method, tool.login_url, prepared.login_params)
        steps.append(Step("login initiation", self.login_method, tool.login_url, _status(login)))
        auth_url = self._authorization_url(login, profile)
        if auth_url is None and "lti1p3_new_window" in _body(login):
            # pylti1p3's cookie check: its page tests cookies in JavaScript, then asks for the login URL
            # again with lti1p3_new_window=1, which answers with the real redirect.
            params = dict(prepared.login_params, lti1p3_new_window="1")
            login = self._tool_request(self.login_method, tool.login_url, params)
            steps.append(Step("login after cookie check", self.login_method, tool.login_url, _status(login)))
            auth_url = self._authorization_url(login, profile)
        if auth_url is None:
            raise LaunchError("the tool's login answer does not lead to the authorization endpoint\n"
                              + _describe(steps) + "\n" + _body(login)[:2000])

        auth = self.platform_http.get(auth_url, timeout=10, allow_redirects=False)
        steps.append(Step("authorization", "GET", auth_url, auth.status_code,
                          "" if auth.ok else auth.text[:500]))
        if auth.status_code != 200:
            raise LaunchError("the platform refused the authorization request\n" + _describe(steps))
        action, fields = parse_form(auth.text)
        if not action:
            raise LaunchError("the platform's answer has no form\n" + _describe(steps))

        final = self._tool_request("POST", action, fields, follow=self.follow_redirects)
        steps.append(Step("launch", "POST", action, _status(final)))
        return LaunchResult(final, prepared, steps)

    def deep_link(self, profile: str, role: str = "instructor", **options: Any) -> LaunchResult:
        """A launch with message type LtiDeepLinkingRequest."""
        return self.launch(profile, role, message_type="LtiDeepLinkingRequest", **options)

    def post_deep_link_response(self, return_url: str, jwt_value: str) -> requests.Response:
        """Post a tool's signed LtiDeepLinkingResponse to the platform, as the browser would."""
        return self.platform_http.post(return_url, data={"JWT": jwt_value}, timeout=10)

    # -- hops ----------------------------------------------------------------------------------------

    def _authorization_url(self, answer: Any, profile: str) -> str | None:
        """Where the tool sends the browser: a redirect's Location, or a URL to the auth endpoint in a page."""
        auth_endpoint = self.platform.auth_url(profile)
        if _status(answer) in (301, 302, 303, 307, 308):
            return urljoin(auth_endpoint, answer.headers["Location"])
        # A page that redirects with JavaScript (e.g. pylti1p3's cookie check): find the URL in it.
        page = html.unescape(_body(answer)).replace("\\/", "/").replace("\\u0026", "&")
        match = re.search(re.escape(auth_endpoint) + r"\?[^\"'<>\s]+", page)
        return match.group(0) if match else None

    def _tool_request(self, method: str, url: str, params: dict[str, str], follow: bool = False) -> Any:
        if self.client is not None:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if method == "GET":
                return self.client.get(path, query_string=params, follow_redirects=False)
            return self.client.post(path, data=params, follow_redirects=follow)
        assert self.session is not None
        target = url if self.base_url is None else self.base_url + urlsplit(url).path
        if urlsplit(url).query and self.base_url is not None:
            target += "?" + urlsplit(url).query
        if method == "GET":
            return self.session.get(target, params=params, timeout=10, allow_redirects=False)
        return self.session.post(target, data=params, timeout=10, allow_redirects=follow)


def _status(answer: Any) -> int:
    return int(answer.status_code)


def _body(answer: Any) -> str:
    text = getattr(answer, "text", None)
    return text if isinstance(text, str) else answer.get_data(as_text=True)


def _describe(steps: list[Step]) -> str:
    return "\n".join(f"{s.name}: {s.method} {s.url} -> {s.status} {s.note}".rstrip() for s in steps)


def query_params(url: str) -> dict[str, str]:
    """A URL's query string as a dict (handy when asserting on the authorization request)."""
    return dict(parse_qsl(urlsplit(url).query))


__all__ = ["LaunchDriver", "LaunchError", "LaunchResult", "Step", "parse_form", "query_params", "USER_AGENT"]
