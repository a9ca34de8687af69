"""The test LMS platform: a Flask app served on 127.0.0.1 in a background thread.

One platform answers both as Canvas and as Moodle: each flavour has its own URL layout (Canvas's
`/api/lti/...`, Moodle's `/mod/lti/...`), and an endpoint behaves like the LMS whose path it has.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

import jwt
from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import ags, deep_linking, launch, nrps, oauth, registration
from .claims import (
    ALL_SCOPES,
    CLAIM_BUILDERS,
    PROFILES,
    Course,
    LaunchSpec,
    Member,
    User,
    apply_overrides,
    default_course,
    default_users,
)
from .faults import Faults
from .keys import SigningKey, ToolKeyResolver
from .oauth import AccessToken, TokenStore
from .throttle import THROTTLED_BODY, CanvasThrottle

CANVAS_ISSUER = "https://canvas.instructure.com"


@dataclass
class ToolRegistration:
    """What the platform knows about one tool (one developer key / one Moodle tool type)."""

    client_id: str
    deployment_ids: list[str]
    login_url: str
    launch_url: str
    jwks_url: str | None
    jwks: dict[str, Any] | None = None  # a static JWKS, for a tool that is not served over HTTP
    deep_link_url: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    scopes: frozenset[str] = frozenset(ALL_SCOPES)
    custom: dict[str, str] = field(default_factory=dict)
    active: bool = True  # a tool registered dynamically in Moodle starts pending
    registration: dict[str, Any] | None = None  # the dynamic registration request, when there was one

    def target_link_uri(self, message_type: str) -> str:
        """Where a message of this type is aimed."""
        if message_type == "LtiDeepLinkingRequest" and self.deep_link_url:
            return self.deep_link_url
        return self.launch_url


@dataclass
class RecordedRequest:
    """One request to a service endpoint (token, AGS, NRPS), as received and answered."""

    kind: str
    profile: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    client_id: str | None = None
    at: float = field(default_factory=time.time)


@dataclass
class Stats:
    """Counters: requests per endpoint kind, token requests, throttled and scripted answers."""

    requests: Counter = field(default_factory=Counter)
    token_requests: int = 0
    throttled: int = 0
    scripted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str) -> None:
        """Count one request to `kind` (e.g. "scores", "lineitems.get", "memberships", "token")."""
        with self._lock:
            self.requests[kind] += 1

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests.clear()
            self.token_requests = self.throttled = self.scripted = 0


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print one log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LtiPlatform:
    """A test LMS that signs real JWTs and serves JWKS, OIDC, token, AGS, NRPS and registration endpoints.

    Use as a context manager (`with LtiPlatform() as platform:`) or call `start()`/`stop()`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        canvas_api_domain: str | None = None,
        ags_page_size: int = 10,
        nrps_page_size: int = 10,
        token_ttl: int = 3600,
        share_name: bool = True,
        share_email: bool = True,
        strict_media_types: bool = True,
        canvas_header_case: str = "title",
        moodle_instance_collision: bool = False,
        throttle: CanvasThrottle | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self._canvas_api_domain = canvas_api_domain
        self.ags_page_size = ags_page_size
        self.nrps_page_size = nrps_page_size
        self.share_name = share_name
        self.share_email = share_email
        self.strict_media_types = strict_media_types
        self.canvas_header_case = canvas_header_case  # "title" or "lower": how Canvas answers' header names look
        self.moodle_instance_collision = moodle_instance_collision  # Moodle 4.5: foreign items reachable
        self.platform_guid = secrets.token_hex(20)
        self.key: SigningKey | None = None
        self.unknown_key: SigningKey | None = None
        self.tools: dict[str, ToolRegistration] = {}
        self.users: dict[str, User] = default_users()
        self.users_by_id: dict[str, User] = {u.id: u for u in self.users.values()}
        course = default_course(self.users)
        self.courses: dict[str, Course] = {course.id: course}
        self.tokens = TokenStore(ttl=token_ttl)
        self.tool_keys = ToolKeyResolver()
        self.faults = Faults()
        self.throttle = throttle or CanvasThrottle()
        self.stats = Stats()
        self.requests: list[RecordedRequest] = []
        self.ags = ags.AgsStore()
        self.launches = launch.LaunchStore()
        self.deep_links = deep_linking.DeepLinkStore()
        self.registrations = registration.RegistrationStore()
        self.lock = threading.RLock()
        self.app = self._create_app()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> "LtiPlatform":
        """Generate the signing keys and serve on a free port in a daemon thread."""
        if self._server is not None:
            return self
        self.key = self.key or SigningKey.generate()
        self.unknown_key = self.unknown_key or SigningKey.generate()
        self._server = make_server(
            self.host, self._port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="lti-platform", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "LtiPlatform":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the platform is not started")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def netloc(self) -> str:
        """host:port of the running platform."""
        return urlsplit(self.url).netloc

    @property
    def canvas_api_domain(self) -> str:
        """What `$Canvas.api.domain` expands to (the platform's host:port unless set)."""
        return self._canvas_api_domain or self.netloc

    # -- URLs per flavour ----------------------------------------------------------------------------

    def issuer(self, profile: str) -> str:
        """Canvas signs as https://canvas.instructure.com wherever it runs; Moodle as its site URL."""
        return CANVAS_ISSUER if _check_profile(profile) == "canvas" else self.url

    def auth_url(self, profile: str) -> str:
        """OIDC authorization endpoint."""
        return self.url + ("/api/lti/authorize_redirect" if _check_profile(profile) == "canvas" else "/mod/lti/auth.php")

    def token_url(self, profile: str) -> str:
        """OAuth 2 token endpoint (also the `aud` a client assertion must carry)."""
        return self.url + ("/login/oauth2/token" if _check_profile(profile) == "canvas" else "/mod/lti/token.php")

    def jwks_url(self, profile: str) -> str:
        """Platform JWKS."""
        return self.url + ("/api/lti/security/jwks" if _check_profile(profile) == "canvas" else "/mod/lti/certs.php")

    def lineitems_url(self, profile: str, course_id: str, deployment_id: str = "1") -> str:
        """AGS line items container of a course."""
        if _check_profile(profile) == "canvas":
            return f"{self.url}/api/lti/courses/{course_id}/line_items"
        return f"{self.url}/mod/lti/services.php/{course_id}/lineitems?type_id={deployment_id}"

    def lineitem_url(self, item: "ags.LineItem") -> str:
        """URL of one line item."""
        if item.profile == "canvas":
            return f"{self.url}/api/lti/courses/{item.course_id}/line_items/{item.id}"
        return (
            f"{self.url}/mod/lti/services.php/{item.course_id}/lineitems/{item.id}/lineitem"
            f"?type_id={item.deployment_id}"
        )

    def memberships_url(self, profile: str, course_id: str, deployment_id: str = "1") -> str:
        """NRPS context memberships URL."""
        if _check_profile(profile) == "canvas":
            return f"{self.url}/api/lti/courses/{course_id}/names_and_roles"
        return f"{self.url}/mod/lti/services.php/CourseSection/{course_id}/bindings/{deployment_id}/memberships"

    def platform_config(self, profile: str) -> dict[str, str]:
        """The values a tool admin pastes into the tool for this flavour."""
        return {
            "issuer": self.issuer(profile),
            "auth_url": self.auth_url(profile),
            "token_url": self.token_url(profile),
            "jwks_url": self.jwks_url(profile),
        }

    # -- people and tools ----------------------------------------------------------------------------

    def register_tool(
        self,
        client_id: str,
        deployment_ids: list[str] | tuple[str, ...] | str,
        tool_login_url: str,
        tool_launch_url: str,
        tool_jwks_url: str | None,
        *,
        tool_jwks: dict[str, Any] | None = None,
        deep_link_url: str | None = None,
        redirect_uris: list[str] | None = None,
        scopes: frozenset[str] | set[str] | None = None,
        custom: dict[str, str] | None = None,
    ) -> ToolRegistration:
        """Register a tool (developer key / tool type). The authorization endpoint accepts only
        `redirect_uris` (default: the launch URL and the deep-link URL) as redirect_uri."""
        ids = [deployment_ids] if isinstance(deployment_ids, str) else list(deployment_ids)
        uris = redirect_uris or [u for u in (tool_launch_url, deep_link_url) if u]
        tool = ToolRegistration(
            client_id=client_id,
            deployment_ids=ids,
            login_url=tool_login_url,
            launch_url=tool_launch_url,
            jwks_url=tool_jwks_url,
            jwks=tool_jwks,
            deep_link_url=deep_link_url,
            redirect_uris=uris,
            scopes=frozenset(scopes) if scopes is not None else frozenset(ALL_SCOPES),
            custom=dict(custom or {}),
        )
        with self.lock:
            self.tools[client_id] = tool
        return tool

    def tool(self, client_id: str | None = None) -> ToolRegistration:
        """The tool with `client_id`, or the only/last registered tool."""
        with self.lock:
            if client_id is not None:
                return self.tools[client_id]
            if not self.tools:
                raise LookupError("no tool registered; call register_tool() first")
            return list(self.tools.values())[-1]

    def activate_tool(self, client_id: str) -> None:
        """A site admin activates a pending (dynamically registered) tool."""
        self.tools[client_id].active = True

    def add_user(self, user_id: str, given_name: str, family_name: str, email: str | None = None) -> User:
        """Create a user."""
        user = User(user_id, given_name, family_name, email or f"user{user_id}@example.edu", f"user{user_id}")
        with self.lock:
            self.users_by_id[user_id] = user
        return user

    def add_course(self, course_id: str, label: str, title: str) -> Course:
        """Create an empty course."""
        course = Course(course_id, label, title)
        with self.lock:
            self.courses[course_id] = course
        return course

    def enroll(self, course: Course | str, user: User | str, role: str = "learner", status: str = "Active") -> Member:
        """Enroll a user in a course with a role name (learner, instructor, ta, mentor) and status."""
        course_obj = self.courses[course] if isinstance(course, str) else course
        user_obj = self.users_by_id[user] if isinstance(user, str) else user
        member = Member(user_obj, role, status)
        with self.lock:
            course_obj.members.append(member)
        return member

    def subject(self, profile: str, user: User) -> str:
        """The user's `sub` (and AGS/NRPS user id) in this flavour."""
        return user.canvas_lti_id if _check_profile(profile) == "canvas" else user.id

    def user_by_subject(self, profile: str, sub: str) -> User | None:
        """Inverse of `subject`."""
        return next((u for u in self.users_by_id.values() if self.subject(profile, u) == sub), None)

    def canvas_deployment_id(self, number: int = 1, course: Course | str | None = None) -> str:
        """A deployment id in Canvas's format: `<tool id>:<context id hash>` (e.g. "1:8865aa05...")."""
        return f"{number}:{self._course(course).canvas_context_id}"

    @property
    def default_course(self) -> Course:
        """The course created at construction (id "101")."""
        return self.courses["101"]

    # -- id tokens -----------------------------------------------------------------------------------

    def claims(
        self,
        profile: str,
        role: str,
        *,
        user: User | str | None = None,
        course: Course | str | None = None,
        client_id: str | None = None,
        deployment_id: str | None = None,
        message_type: str = "LtiResourceLinkRequest",
        nonce: str | None = None,
        line_item: "ags.LineItem | bool" = False,
        resource_link_id: str = "1",
        placement: str | None = None,
        locale: str = "en",
        deep_link_data: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The id_token payload `profile` would send for `role` (see claims.CLAIM_ALIASES for override names;
        pass `**{claim_uri: value}` for any other claim and `claims.OMIT` to remove one).
        `line_item=True` makes the link graded (a tool-owned line item is created for it)."""
        tool = self.tool(client_id)
        user_obj = self._user(user, role)
        course_obj = self._course(course)
        deployment = deployment_id or tool.deployment_ids[0]
        graded_url = None
        if line_item:
            item = line_item if isinstance(line_item, ags.LineItem) else self.ags.link_line_item(
                profile, course_obj.id, deployment, tool.client_id, resource_link_id
            )
            graded_url = self.lineitem_url(item)
        if placement is None:
            placement = "link_selection" if message_type == "LtiDeepLinkingRequest" else "course_navigation"
        spec = LaunchSpec(
            platform=self,
            tool=tool,
            role=role,
            user=user_obj,
            course=course_obj,
            deployment_id=deployment,
            message_type=message_type,
            nonce=nonce if nonce is not None else secrets.token_hex(16),
            resource_link_id=resource_link_id,
            graded_line_item_url=graded_url,
            placement=placement,
            locale=locale,
            deep_link_data=deep_link_data if deep_link_data is not None else secrets.token_hex(8),
            share_name=self.share_name,
            share_email=self.share_email,
            custom=dict(tool.custom),
        )
        return apply_overrides(CLAIM_BUILDERS[_check_profile(profile)](spec), overrides)

    def sign(
        self, payload: dict[str, Any], *, key: str = "platform", include_kid: bool = True, alg: str = "RS256"
    ) -> str:
        """Sign a payload with the platform key (`key="unknown"`: a key not in the JWKS; `alg="none"`: unsigned)."""
        if self.key is None or self.unknown_key is None:
            raise RuntimeError("the platform is not started")
        signer = self.unknown_key if key == "unknown" else self.key
        return signer.sign(payload, include_kid=include_kid, alg=alg)

    def id_token(
        self,
        profile: str,
        role: str,
        *,
        key: str = "platform",
        include_kid: bool = True,
        alg: str = "RS256",
        **claim_options: Any,
    ) -> str:
        """A signed id_token: `claims(profile, role, **claim_options)` signed by `sign(key, include_kid, alg)`."""
        return self.sign(self.claims(profile, role, **claim_options), key=key, include_kid=include_kid, alg=alg)

    @staticmethod
    def unverified_claims(token: str) -> dict[str, Any]:
        """Decode a JWT without checking it (to find which client sent it)."""
        try:
            return jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            from .keys import InvalidToolJwt

            raise InvalidToolJwt(f"not a JWT: {exc}") from exc

    def prepare_launch(self, profile: str, role: str, **claim_options: Any) -> "launch.PreparedLaunch":
        """Record a launch the authorization endpoint will complete; returns the login initiation parameters."""
        return self.launches.prepare(self, profile, role, claim_options)

    def dynamic_registration(self, profile: str, tool_register_url: str) -> "registration.RegistrationInvite":
        """Start a dynamic registration: the URL the platform opens
        (`tool_register_url?openid_configuration=...&registration_token=...`) and its parts."""
        return registration.invite(self, _check_profile(profile), tool_register_url)

    def _user(self, user: User | str | None, role: str) -> User:
        if isinstance(user, User):
            return user
        if isinstance(user, str):
            return self.users_by_id[user]
        return self.users[role]

    def _course(self, course: Course | str | None) -> Course:
        if isinstance(course, Course):
            return course
        return self.courses[course or "101"]

    # -- service gate --------------------------------------------------------------------------------

    def pre_service_faults(self, kind: str) -> Response | None:
        """Apply latency and a scripted answer, if one is queued for `kind`; returns that answer or None."""
        self._sleep_latency()
        answer = self.faults.next_for(kind)
        if answer is None:
            return None
        with self.stats._lock:
            self.stats.scripted += 1
        if answer.delay:
            time.sleep(answer.delay)
        if answer.passthrough:
            return None
        return Response(answer.body, status=answer.status, headers=answer.headers)

    def service(
        self, kind: str, profile: str, scopes: tuple[str, ...], handler: Callable[[AccessToken], Response]
    ) -> Response:
        """Run an AGS/NRPS handler behind Canvas's or Moodle's gate and record the exchange.

        Order: count, (Canvas) User-Agent check, (Canvas) throttle reservation, latency, scripted answer,
        bearer token (401 missing/unknown/expired, 403 scope), handler, (Canvas) cost and throttle headers.
        """
        self.stats.count(kind)
        record = RecordedRequest(
            kind=kind,
            profile=profile,
            method=request.method,
            path=request.path,
            query=request.query_string.decode(),
            headers=dict(request.headers),
            body=_body_of(request),
        )
        response = self._gated(kind, profile, scopes, handler, record)
        if profile == "canvas" and self.canvas_header_case == "lower":
            lowered = [(k.lower(), v) for k, v in response.headers.items()]
            response.headers.clear()
            for k, v in lowered:
                response.headers.add(k, v)
        record.status = response.status_code
        with self.lock:
            self.requests.append(record)
        return response

    def _gated(
        self,
        kind: str,
        profile: str,
        scopes: tuple[str, ...],
        handler: Callable[[AccessToken], Response],
        record: RecordedRequest,
    ) -> Response:
        if profile == "canvas" and not request.headers.get("User-Agent"):
            self._sleep_latency()
            return Response("User-Agent header is required", status=403, mimetype="text/plain")
        token = self._bearer()
        record.client_id = token.client_id if token else None
        if profile != "canvas" or not self.throttle.enabled:
            return self.pre_service_faults(kind) or self._authorized(token, scopes, handler)
        # Canvas holds the up-front cost for as long as the request is in flight (latency included),
        # so a client with many requests in flight is refused even at a modest request rate.
        bucket = self.throttle.bucket(token.client_id if token else "anonymous")
        reservation = bucket.reserve()
        if not reservation.allowed:
            bucket.settle(reservation, 0.0)
            with self.stats._lock:
                self.stats.throttled += 1
            self._sleep_latency()
            return Response(
                THROTTLED_BODY,
                status=403,
                headers={"X-Rate-Limit-Remaining": f"{bucket.remaining:.1f}"},
                content_type="text/plain; charset=utf-8",
            )
        try:
            response = self.pre_service_faults(kind) or self._authorized(token, scopes, handler)
        finally:
            bucket.settle(reservation, self.throttle.request_cost)
        # Canvas's middleware adds these after the request ran.
        response.headers["X-Request-Cost"] = f"{self.throttle.request_cost:.4f}"
        response.headers["X-Rate-Limit-Remaining"] = f"{bucket.remaining:.1f}"
        return response

    def _sleep_latency(self) -> None:
        if self.faults.latency:
            time.sleep(self.faults.latency)

    @staticmethod
    def _authorized(
        token: AccessToken | None, scopes: tuple[str, ...], handler: Callable[[AccessToken], Response]
    ) -> Response:
        if token is None:
            return _json_error(401, "invalid_token", "missing or unknown access token")
        if token.expires_at <= time.time():
            return _json_error(401, "invalid_token", "access token expired")
        if not any(scope in token.scopes for scope in scopes):
            return _json_error(403, "insufficient_scope", f"needs one of {list(scopes)}")
        return handler(token)

    def _bearer(self) -> AccessToken | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return self.tokens.lookup(header[7:].strip())

    # -- app -----------------------------------------------------------------------------------------

    def _create_app(self) -> Flask:
        app = Flask("lti_test_platform")
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024

        @app.get("/api/lti/security/jwks")
        @app.get("/mod/lti/certs.php")
        def jwks() -> Response:
            assert self.key is not None
            return jsonify(keys=[self.key.public_jwk()])

        oauth.register_routes(app, self)
        launch.register_routes(app, self)
        ags.register_routes(app, self)
        nrps.register_routes(app, self)
        deep_linking.register_routes(app, self)
        registration.register_routes(app, self)
        return app


def _check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    return profile


def _body_of(req: Any) -> Any:
    raw = req.get_data(cache=True, as_text=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return req.form.to_dict() if req.form else raw


def _json_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return response
