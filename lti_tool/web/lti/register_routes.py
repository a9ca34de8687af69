"""LTI Dynamic Registration: the platform opens this URL; the tool registers itself and closes the window."""

from __future__ import annotations

from flask import request, render_template

from lti_tool.adapters.lti.dynamic_registration import register
from lti_tool.adapters.lti.errors import LaunchError
from lti_tool.adapters.lti.tool_config import ToolUrls
from lti_tool.services.errors import ServiceError
from lti_tool.services.platforms import PlatformSpec, add_platform, get_district, get_platform

from ..framing import forget_frame_ancestors
from ..runtime import db, runtime
from . import bp


@bp.get("/lti/register")
def dynamic_registration() -> str:
    """Register with the platform named by `openid_configuration`, into `district` (default: default)."""
    config_url = request.args.get("openid_configuration", "").strip()
    if not config_url:
        raise LaunchError("registration_invalid", "This URL is for LTI Dynamic Registration and needs the "
                          "openid_configuration parameter the LMS adds.",
                          "Paste this URL into your LMS's dynamic registration form.")
    settings = runtime().settings
    district = request.args.get("district", "default")
    get_district(db(), district)  # an unknown district is a 404 before anything is registered
    answer = register(runtime().http, ToolUrls(settings.base_url), config_url,
                      request.args.get("registration_token", ""))
    name = f"{answer.product_family} {answer.issuer} {answer.client_id}"
    spec = PlatformSpec(
        name=name, issuer=answer.issuer, client_id=answer.client_id, auth_url=answer.auth_url,
        token_url=answer.token_url, jwks_url=answer.jwks_url, district=district,
        deployment_ids=(answer.deployment_id,) if answer.deployment_id else (),
        product=answer.product_family if answer.product_family in {"canvas", "moodle"} else "other",
        registered_via="dynamic",
    )
    try:
        add_platform(db(), spec, allow_http=not settings.is_production, actor="dynamic-registration")
    except ServiceError as exc:
        raise LaunchError("registration_conflict", str(exc)) from exc
    forget_frame_ancestors()
    platform = get_platform(db(), name)
    return render_template("lti/registered.html", issuer=platform.issuer, client_id=platform.client_id,
                           deployment_id=answer.deployment_id, product=platform.product)
