"""LTI Dynamic Registration (1EdTech), platform side, in Canvas's and Moodle's flavours.

The platform opens `tool_register_url?openid_configuration=...&registration_token=...`; the tool reads the
OpenID configuration, then POSTs its registration JSON to `registration_endpoint` with the token as bearer.
Moodle answers with `client_id` and a `deployment_id` inside the tool-configuration claim, and keeps the tool
pending until a site admin activates it; Canvas answers with `client_id` only (its deployment is created
when the tool is installed, and the tool first sees the id in a launch).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jwt
from flask import Flask, Response, jsonify, request

from .claims import ALL_SCOPES

if TYPE_CHECKING:
    from .server import LtiPlatform

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
VARIABLES = ["ResourceLink.id", "ResourceLink.title", "Context.id", "Context.label", "Context.title",
             "User.id", "Person.name.full", "Person.email.primary", "Canvas.api.domain", "Canvas.course.id",
             "Canvas.user.id"]


@dataclass
class RegistrationInvite:
    """What the platform opens in the admin's browser to start a dynamic registration."""

    profile: str
    url: str
    openid_configuration: str
    registration_token: str


@dataclass
class RegistrationStore:
    """Issued registration tokens and completed registrations."""

    tokens: dict[str, str] = field(default_factory=dict)  # registration token -> profile
    used: set[str] = field(default_factory=set)
    completed: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)


def openid_configuration_url(platform: "LtiPlatform", profile: str, token: str) -> str:
    """Where the tool reads the platform's configuration (Canvas wants the token in the query)."""
    if profile == "canvas":
        return f"{platform.url}/api/lti/security/openid-configuration?{urlencode({'registration_token': token})}"
    return f"{platform.url}/mod/lti/openid-configuration.php"


def invite(platform: "LtiPlatform", profile: str, tool_register_url: str) -> RegistrationInvite:
    """Issue a registration token and build the URL the platform would open."""
    now = int(time.time())
    if profile == "canvas":
        payload = {"uuid": secrets.token_hex(16), "initiated_at": now, "user_id": 1,
                   "root_account_global_id": 10000000000001, "iat": now, "exp": now + 3600}
    else:
        payload = {"sub": secrets.token_urlsafe(11)[:15], "scope": "reg", "iat": now, "exp": now + 3600}
    token = platform.sign(payload)
    with platform.registrations._lock:
        platform.registrations.tokens[token] = profile
    config_url = openid_configuration_url(platform, profile, token)
    query = urlencode({"openid_configuration": config_url, "registration_token": token})
    separator = "&" if "?" in tool_register_url else "?"
    return RegistrationInvite(profile, f"{tool_register_url}{separator}{query}", config_url, token)


def openid_configuration(platform: "LtiPlatform", profile: str) -> dict[str, Any]:
    """The platform's OpenID configuration document."""
    base = {
        "issuer": platform.issuer(profile),
        "authorization_endpoint": platform.auth_url(profile),
        "token_endpoint": platform.token_url(profile),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": platform.jwks_url(profile),
        "scopes_supported": ["openid", *ALL_SCOPES],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    if profile == "canvas":
        base.update(
            registration_endpoint=f"{platform.url}/api/lti/registrations",
            claims_supported=["sub", "picture", "email", "name", "given_name", "family_name", "locale"],
            subject_types_supported=["public"],
            authorization_server=platform.netloc,
        )
        base[PLATFORM_CONFIGURATION] = {
            "product_family_code": "canvas",
            "version": "OpenSource",
            "messages_supported": [
                {"type": "LtiResourceLinkRequest",
                 "placements": ["course_navigation", "account_navigation", "link_selection"]},
                {"type": "LtiDeepLinkingRequest",
                 "placements": ["assignment_selection", "link_selection", "editor_button"]},
            ],
            "variables": VARIABLES,
            "https://canvas.instructure.com/lti/account_name": "Test School District",
            "https://canvas.instructure.com/lti/account_lti_guid": f"{platform.platform_guid}:canvas-lms",
        }
    else:
        base.update(
            registration_endpoint=f"{platform.url}/mod/lti/openid-registration.php",
            claims_supported=["sub", "iss", "name", "given_name", "family_name", "email"],
            subject_types_supported=["public", "pairwise"],
        )
        base[PLATFORM_CONFIGURATION] = {
            "product_family_code": "moodle",
            "version": "4.5 (Build: 20241007)",
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
            ],
            "variables": [v for v in VARIABLES if not v.startswith("Canvas.")],
        }
    return base


class RegistrationRefused(Exception):
    """The tool's registration request is not acceptable."""


def validate_registration(body: Any) -> dict[str, Any]:
    """Check the fields both LMSs require; return the tool-configuration claim."""
    if not isinstance(body, dict):
        raise RegistrationRefused("the body must be a JSON object")
    for name in ("initiate_login_uri", "redirect_uris", "jwks_uri", "client_name"):
        if not body.get(name):
            raise RegistrationRefused(f"missing required attribute {name}")
    if not isinstance(body["redirect_uris"], list) or not all(isinstance(u, str) for u in body["redirect_uris"]):
        raise RegistrationRefused("redirect_uris must be a list of URLs")
    if "id_token" not in (body.get("response_types") or []):
        raise RegistrationRefused("response_types must contain id_token")
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        raise RegistrationRefused("token_endpoint_auth_method must be private_key_jwt")
    if body.get("application_type", "web") != "web":
        raise RegistrationRefused("application_type must be web")
    if not isinstance(body.get("scope", ""), str):
        raise RegistrationRefused("scope must be a space-separated string")
    config = body.get(TOOL_CONFIGURATION)
    if not isinstance(config, dict):
        raise RegistrationRefused(f"missing {TOOL_CONFIGURATION}")
    for name in ("domain", "target_link_uri"):
        if not config.get(name):
            raise RegistrationRefused(f"missing {TOOL_CONFIGURATION} attribute {name}")
    domain = config["domain"]
    for uri in [body["initiate_login_uri"], body["jwks_uri"], config["target_link_uri"], *body["redirect_uris"]]:
        if urlsplit(uri).scheme not in ("http", "https") or not urlsplit(uri).netloc:
            raise RegistrationRefused(f"{uri!r} is not an absolute URL")
    if urlsplit(config["target_link_uri"]).hostname != urlsplit(f"//{domain}").hostname:
        raise RegistrationRefused("target_link_uri must be on the tool's domain")
    return config


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add the OpenID configuration and registration endpoints."""
    store = platform.registrations

    def check_token(token: str, profile: str) -> dict[str, Any]:
        if store.tokens.get(token) != profile:
            raise RegistrationRefused("unknown registration token")
        if token in store.used:
            raise RegistrationRefused("registration token already used")
        assert platform.key is not None
        try:
            return jwt.decode(token, platform.key.private_key.public_key(), algorithms=["RS256"])
        except jwt.PyJWTError as exc:
            raise RegistrationRefused(f"invalid registration token: {exc}") from exc

    def config_endpoint(profile: str) -> Response:
        if profile == "canvas":
            token = request.args.get("registration_token") or _bearer()
            try:
                check_token(token, profile)
            except RegistrationRefused as exc:
                return Response(str(exc), status=401, mimetype="text/plain")
        return jsonify(openid_configuration(platform, profile))

    def register(profile: str) -> Response:
        token = _bearer()
        try:
            claims = check_token(token, profile)
        except RegistrationRefused as exc:
            return Response(str(exc), status=401, mimetype="text/plain")
        body = request.get_json(silent=True)
        try:
            config = validate_registration(body)
        except RegistrationRefused as exc:
            return Response(str(exc), status=400, mimetype="text/plain")
        with store._lock:
            store.used.add(token)
        scopes = frozenset(body.get("scope", "").split()) & frozenset(ALL_SCOPES)
        deep_link_url = next((m.get("target_link_uri") for m in config.get("messages", [])
                              if m.get("type") == "LtiDeepLinkingRequest" and m.get("target_link_uri")), None)
        if profile == "canvas":
            client_id = str(10000000000000 + len(platform.tools) + 1)
            deployment_id = f"{len(platform.tools) + 1}:{platform.default_course.canvas_context_id}"
        else:
            client_id = str(claims["sub"])
            deployment_id = str(len(platform.tools) + 1)
        tool = platform.register_tool(
            client_id, [deployment_id], body["initiate_login_uri"], config["target_link_uri"], body["jwks_uri"],
            deep_link_url=deep_link_url, redirect_uris=list(body["redirect_uris"]),
            scopes=scopes, custom=dict(config.get("custom_parameters") or {}),
        )
        tool.registration = body
        tool.active = profile == "canvas"  # Moodle: pending until the site admin activates it
        answer: dict[str, Any] = {
            "client_id": client_id,
            "application_type": "web",
            "grant_types": ["client_credentials", "implicit"],
            "initiate_login_uri": body["initiate_login_uri"],
            "redirect_uris": body["redirect_uris"],
            "response_types": ["id_token"],
            "client_name": body["client_name"],
            "jwks_uri": body["jwks_uri"],
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": " ".join(sorted(scopes)),
        }
        tool_config = {k: v for k, v in config.items() if k != "deployment_id"}
        if profile == "moodle":
            tool_config["deployment_id"] = deployment_id
        answer[TOOL_CONFIGURATION] = tool_config
        with store._lock:
            store.completed.append({"profile": profile, "request": body, "response": answer})
        return jsonify(answer)

    app.add_url_rule("/api/lti/security/openid-configuration", "canvas_openid_configuration",
                     lambda: config_endpoint("canvas"), methods=["GET"])
    app.add_url_rule("/mod/lti/openid-configuration.php", "moodle_openid_configuration",
                     lambda: config_endpoint("moodle"), methods=["GET"])
    app.add_url_rule("/api/lti/registrations", "canvas_registrations", lambda: register("canvas"), methods=["POST"])
    app.add_url_rule("/mod/lti/openid-registration.php", "moodle_registrations", lambda: register("moodle"),
                     methods=["POST"])


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""
