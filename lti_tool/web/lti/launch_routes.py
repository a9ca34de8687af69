"""OIDC login initiation and the launch itself."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode, urlsplit

from flask import Response, abort, jsonify, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from lti_tool.adapters.lti.cookie_check import cookie_check_page
from lti_tool.adapters.lti.errors import LaunchError
from lti_tool.adapters.lti.launch import LaunchContext, decode_id_token
from lti_tool.adapters.lti.tool_config import ToolUrls, origin
from lti_tool.services import keys as key_service
from lti_tool.services.launches import claim_roster_refresh, provision
from lti_tool.services.login import StateRejected, consume_state, issue_state
from lti_tool.services.platforms import DatabaseRegistrationLookup
from lti_tool.storage.models import LoginState, Platform

from ..auth import SessionIdentity, issue_token
from ..runtime import db, runtime
from . import bp

log = logging.getLogger(__name__)
STATE_COOKIE = "sbg_lti_state"
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id",
                "lti_storage_target")


def _param(name: str) -> str:
    return (request.values.get(name) or "").strip()


def _find_platform(issuer: str, client_id: str) -> Platform:
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id:
        query = query.where(Platform.client_id == client_id)
    platforms = list(db().scalars(query))
    if not platforms:
        raise LaunchError("unknown_registration",
                          f"No registration of this tool matches issuer {issuer!r}"
                          + (f" and client id {client_id!r}." if client_id else "."),
                          "Register the platform first (sbg platform add, dynamic registration or the admin area).",
                          status=403)
    if len(platforms) > 1:
        raise LaunchError("ambiguous_registration",
                          f"Several registrations share issuer {issuer!r}; the login must name its client_id.")
    return platforms[0]


def _urls() -> ToolUrls:
    return ToolUrls(runtime().settings.base_url)


def _check_ours(target_link_uri: str) -> None:
    if origin(target_link_uri) != origin(_urls().base_url):
        raise LaunchError("foreign_target", f"The login targets {target_link_uri!r}, which is not this tool.")


def _state_cookie(response: Response, state: str) -> Response:
    settings = runtime().settings
    secure = settings.base_url.startswith("https://")
    response.set_cookie(STATE_COOKIE, state, max_age=settings.launch_state_ttl, httponly=True, secure=secure,
                        samesite="None" if secure else "Lax", path="/lti/")
    return response


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    """OIDC third-party initiated login: check the platform, issue state and nonce, send the browser on."""
    issuer, login_hint, target = _param("iss"), _param("login_hint"), _param("target_link_uri")
    missing = [name for name, value in (("iss", issuer), ("login_hint", login_hint), ("target_link_uri", target))
               if not value]
    if missing:
        raise LaunchError("bad_login", f"The login request lacks {', '.join(missing)}.",
                          "Launch the tool from the course; the LMS sends these values.")
    _check_ours(target)
    platform = _find_platform(issuer, _param("client_id"))
    storage_target = _param("lti_storage_target")
    if not storage_target and not _param("lti1p3_new_window"):
        return _cookie_check_page()
    state = issue_state(db(), platform_id=platform.id, target_link_uri=target,
                        ttl=runtime().settings.launch_state_ttl, storage_target=storage_target)
    query = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": platform.client_id, "redirect_uri": _urls().launch, "login_hint": login_hint,
        "state": state.state, "nonce": state.nonce,
    }
    if _param("lti_message_hint"):
        query["lti_message_hint"] = _param("lti_message_hint")
    separator = "&" if "?" in platform.auth_url else "?"
    auth_url = f"{platform.auth_url}{separator}{urlencode(query)}"
    if storage_target:
        page = render_template("lti/platform_storage_put.html", auth_url=auth_url, state=state.state,
                               target=storage_target, platform_origin=origin(platform.auth_url))
        return _state_cookie(make_response(page), state.state)
    return _state_cookie(redirect(auth_url, code=302), state.state)


def _cookie_check_page() -> Response:
    """pylti1p3's check: reload with cookies if the browser allows them, else offer a new window."""
    params = {name: _param(name) for name in LOGIN_PARAMS if _param(name)}
    params["lti1p3_new_window"] = "1"
    return make_response(cookie_check_page(params, urlsplit(_urls().base_url).scheme))


@bp.post("/lti/launch")
def launch() -> Response:
    """Validate the id_token and state, provision the course and person, and open the right area."""
    id_token, state_value = request.form.get("id_token", ""), request.form.get("state", "")
    if not id_token or not state_value:
        error = request.form.get("error")
        if error:
            raise LaunchError("platform_error", f"The platform ended the login with an error: {error}. "
                              + request.form.get("error_description", "")[:300])
        raise LaunchError("bad_launch", "The launch has no id_token or no state.",
                          "Launch the tool from the course.")
    settings = runtime().settings
    context = decode_id_token(id_token, lookup=DatabaseRegistrationLookup(db()), keys=runtime().platform_keys,
                              tool_base_url=settings.base_url, leeway=settings.clock_skew_seconds)
    browser_state = request.cookies.get(STATE_COOKIE, "")
    if not browser_state:
        stored = db().get(LoginState, state_value)
        if stored is not None and stored.uses_platform_storage:
            browser_state = request.form.get("platform_state", "")
            if browser_state and request.headers.get("Origin") != origin(_urls().base_url):
                # Only our own relaunch page (same origin) may hand back the state it read from the platform.
                raise LaunchError("bad_state", "The launch did not come back from the tool's own page.",
                                  "Launch the tool again from the course.")
            if not browser_state:
                # Third-party cookies are blocked: read the state back from the platform's storage first.
                return make_response(render_template(
                    "lti/platform_storage_get.html", id_token=id_token, state=state_value,
                    target=stored.storage_target, platform_origin=origin(_platform(stored.platform_id).auth_url)))
    if not browser_state:
        raise LaunchError("cookies_blocked", "Your browser did not keep the tool's login cookie.",
                          "Allow cookies for this site, or open the tool in a new window from the course.")
    if not hmac.compare_digest(browser_state, state_value):
        raise LaunchError("bad_state", "The launch does not match the login this browser started.",
                          "Launch the tool again from the course.")
    try:
        state = consume_state(db(), state_value)
    except StateRejected as exc:
        raise LaunchError("bad_state", "This launch was already used, has expired, or did not start here.",
                          "Launch the tool again from the course.") from exc
    if not hmac.compare_digest(state.nonce, context.nonce) or state.platform_id != context.platform_id:
        raise LaunchError("bad_nonce", "The launch's nonce does not belong to its login.",
                          "Launch the tool again from the course.")
    identity = provision(db(), context)
    refresh_roster = claim_roster_refresh(db(), identity.course_id)
    db().commit()
    if refresh_roster:
        _queue_roster_refresh(identity.course_id, context.resource_link_id)
    return _enter(context, identity)


def _queue_roster_refresh(course_id: int, resource_link_id: str) -> None:
    """Names and roles arrive in the background; a failure to queue never blocks the launch."""
    from lti_tool.jobs.intake_tasks import refresh_roster_async

    try:
        refresh_roster_async(course_id, rlid=resource_link_id)
    except Exception:  # noqa: BLE001 - the roster is refreshed on schedule anyway
        log.warning("Could not queue a roster refresh for course %s.", course_id, exc_info=True)


def _enter(context: LaunchContext, identity) -> Response:  # type: ignore[no-untyped-def]
    deep_link = {}
    if context.message_type == "LtiDeepLinkingRequest":
        settings = context.deep_linking_settings
        deep_link = {"return_url": settings.get("deep_link_return_url", ""), "data": settings.get("data"),
                     "accept_types": settings.get("accept_types", []), "issuer": context.issuer,
                     "client_id": context.client_id, "deployment_id": context.deployment_id,
                     "accept_lineitem": bool(settings.get("accept_lineitem", True))}
        if not deep_link["return_url"]:
            raise LaunchError("invalid_message", "The deep-linking request has no deep_link_return_url.")
    token = issue_token(SessionIdentity(
        person_id=identity.person_id, course_id=identity.course_id, platform_id=identity.platform_id,
        district_id=identity.district_id, role=identity.role, locale=identity.locale, deep_link=deep_link,
    ))
    if deep_link:
        return redirect(url_for("lti.deep_link_picker", t=token), code=303)
    area = {"student": "student.home", "mentor": "student.home", "teacher": "teacher.home",
            "admin": "admin.home"}[identity.role]
    response = redirect(url_for(area, t=token), code=303)
    response.delete_cookie(STATE_COOKIE, path="/lti/")
    return response


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The tool's public keys: the current one and retired ones not yet expired."""
    document = key_service.published_jwks(db())
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/launch")
def launch_get() -> Response:
    """A GET here means someone opened the launch URL directly."""
    abort(405)


def _platform(platform_id: int) -> Platform:
    platform = db().get(Platform, platform_id)
    assert platform is not None
    return platform
