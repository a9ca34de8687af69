"""Deep linking: the teacher picks what to add, the tool posts a signed response back to the platform."""

from __future__ import annotations

from flask import abort, render_template, request

from lti_tool.adapters.lti.deep_link import resource_link_item, response_jwt
from lti_tool.adapters.lti.tool_config import ToolUrls
from lti_tool.services.keys import ensure_signing_key

from ..auth import current_identity, require_role
from ..runtime import db, runtime
from . import bp

CHOICES = {"mastery_report": "Mastery report"}


def _deep_link_settings() -> dict:  # type: ignore[type-arg]
    identity = current_identity()
    if identity is None or not identity.deep_link:
        abort(403)
    return identity.deep_link


@bp.get("/lti/deep-link")
@require_role("teacher", "admin")
def deep_link_picker() -> str:
    """The content-selection page."""
    _deep_link_settings()
    return render_template("lti/deep_link_picker.html", choices=CHOICES)


@bp.post("/lti/deep-link")
@require_role("teacher", "admin")
def deep_link_submit() -> str:
    """Sign the LtiDeepLinkingResponse and auto-post it to the platform's return URL."""
    settings = _deep_link_settings()
    choice = request.form.get("choice", "")
    if choice not in CHOICES:
        abort(400)
    urls = ToolUrls(runtime().settings.base_url)
    item = resource_link_item(urls.launch, CHOICES[choice], custom={"sbg_view": choice})
    key = ensure_signing_key(db())
    token = response_jwt(client_id=settings["client_id"], issuer=settings["issuer"],
                         deployment_id=settings["deployment_id"], data=settings.get("data"),
                         content_items=[item], private_pem=key.private_pem, kid=key.kid)
    return render_template("lti/deep_link_return.html", return_url=settings["return_url"], jwt=token)
