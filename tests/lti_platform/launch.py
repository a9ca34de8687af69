"""OIDC third-party-initiated login, platform side: prepared launches and the authorization endpoint."""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

if TYPE_CHECKING:
    from .server import LtiPlatform

SIGNING_OPTIONS = ("key", "include_kid", "alg")


@dataclass
class PreparedLaunch:
    """A launch the platform has started: the login initiation parameters it sends to the tool, and
    (once the authorization endpoint answered) the id_token it signed."""

    profile: str
    role: str
    client_id: str
    login_params: dict[str, str]
    claim_options: dict[str, Any]
    signing: dict[str, Any]
    id_token: str | None = None
    claims: dict[str, Any] | None = None
    auth_request: dict[str, str] | None = None
    nonce_override: str | None = None  # sign this nonce instead of the one the tool sent (a bad launch)

    @property
    def login_hint(self) -> str:
        """The login_hint the tool must pass back."""
        return self.login_params["login_hint"]

    @property
    def lti_message_hint(self) -> str:
        """The lti_message_hint the tool must pass back."""
        return self.login_params["lti_message_hint"]


@dataclass
class LaunchStore:
    """Prepared launches by lti_message_hint; each completes once."""

    pending: dict[str, PreparedLaunch] = field(default_factory=dict)
    completed: list[PreparedLaunch] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(
        self, platform: "LtiPlatform", profile: str, role: str, options: dict[str, Any]
    ) -> PreparedLaunch:
        """Build the login initiation parameters the way `profile` does and remember the launch."""
        options = dict(options)
        signing = {k: options.pop(k) for k in SIGNING_OPTIONS if k in options}
        platform_storage = options.pop("platform_storage", profile == "canvas")
        nonce_override = options.pop("nonce", None)
        tool = platform.tool(options.get("client_id"))
        if not tool.active:
            raise PermissionError(f"tool {tool.client_id} is pending activation by the site admin")
        user = platform._user(options.get("user"), role)
        deployment_id = options.get("deployment_id") or tool.deployment_ids[0]
        message_type = options.get("message_type", "LtiResourceLinkRequest")
        target = options.get("target_link_uri") or tool.target_link_uri(message_type)
        message_hint = secrets.token_urlsafe(24)
        if profile == "canvas":
            params = {
                "iss": platform.issuer("canvas"),
                "login_hint": user.legacy_id,
                "client_id": tool.client_id,
                "lti_deployment_id": deployment_id,
                "target_link_uri": target,
                "lti_message_hint": message_hint,
                "canvas_environment": "prod",
                "canvas_region": "not_configured",
            }
            if platform_storage:
                params["lti_storage_target"] = "post_message_forwarding"
        else:
            params = {
                "iss": platform.issuer("moodle"),
                "target_link_uri": target,
                "login_hint": user.id,
                "lti_message_hint": message_hint,
                "client_id": tool.client_id,
                "lti_deployment_id": deployment_id,
            }
        prepared = PreparedLaunch(profile, role, tool.client_id, params, options, signing, nonce_override=nonce_override)
        with self._lock:
            self.pending[message_hint] = prepared
        return prepared

    def take(self, message_hint: str) -> PreparedLaunch | None:
        """Remove and return the launch for this hint (a hint works once)."""
        with self._lock:
            return self.pending.pop(message_hint, None)

    def complete(self, prepared: PreparedLaunch) -> None:
        """Keep a finished launch for inspection."""
        with self._lock:
            self.completed.append(prepared)


def _auth_error(description: str, error: str = "invalid_request") -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = 400
    return response


def form_post_page(action: str, fields: dict[str, str]) -> str:
    """An auto-submitting HTML form, as platforms answer with response_mode=form_post."""
    inputs = "\n".join(
        f'  <input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        "<!DOCTYPE html>\n<html><body>\n"
        f'<form id="lti_form" action="{html.escape(action)}" method="post">\n{inputs}\n</form>\n'
        "<script>document.getElementById('lti_form').submit();</script>\n</body></html>\n"
    )


def register_routes(app: Flask, platform: "LtiPlatform") -> None:
    """Add the Canvas- and Moodle-shaped authorization endpoints."""

    def authorize(profile: str) -> Response:
        params = request.values.to_dict()
        checks = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
        }
        for name, expected in checks.items():
            if params.get(name) != expected:
                return _auth_error(f"{name} must be {expected!r}, got {params.get(name)!r}")
        for name in ("client_id", "redirect_uri", "login_hint", "nonce"):
            if not params.get(name):
                return _auth_error(f"{name} is missing")
        tool = platform.tools.get(params["client_id"])
        if tool is None:
            return _auth_error(f"unknown client_id {params['client_id']!r}", "unauthorized_client")
        if params["redirect_uri"] not in tool.redirect_uris:
            return _auth_error(
                f"redirect_uri {params['redirect_uri']!r} is not registered (registered: {tool.redirect_uris})"
            )
        prepared = platform.launches.take(params.get("lti_message_hint", ""))
        if prepared is None:
            return _auth_error("lti_message_hint is missing, unknown or already used")
        if prepared.profile != profile:
            return _auth_error(f"this launch belongs to the {prepared.profile} endpoint")
        if prepared.client_id != tool.client_id:
            return _auth_error("lti_message_hint was issued for another client_id")
        if params["login_hint"] != prepared.login_hint:
            return _auth_error("login_hint does not match the launch")
        claims = platform.claims(profile, prepared.role, nonce=prepared.nonce_override or params["nonce"], **prepared.claim_options)
        prepared.auth_request = params
        prepared.claims = claims
        prepared.id_token = platform.sign(claims, **prepared.signing)
        platform.launches.complete(prepared)
        fields = {"id_token": prepared.id_token}
        if "state" in params:
            fields["state"] = params["state"]
        if profile == "canvas" and "lti_storage_target" in prepared.login_params:
            fields["lti_storage_target"] = prepared.login_params["lti_storage_target"]
        return Response(form_post_page(params["redirect_uri"], fields), mimetype="text/html")

    app.add_url_rule(
        "/api/lti/authorize_redirect", "canvas_authorize", lambda: authorize("canvas"), methods=["GET", "POST"]
    )
    app.add_url_rule("/mod/lti/auth.php", "moodle_authorize", lambda: authorize("moodle"), methods=["GET", "POST"])
