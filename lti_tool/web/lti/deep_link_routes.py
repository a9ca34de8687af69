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
STANDARD_CHOICE = "standard:"


def _graded_standards() -> list:  # type: ignore[type-arg]
    """The course's standards a teacher can add as graded "mastery of standard X" gradebook columns."""
    from lti_tool.services.student_views import course_standards

    identity = current_identity()
    if identity is None or not identity.course_id:
        return []
    return course_standards(db(), identity.course_id)


def _standard_item(choice: str, launch_url: str) -> dict:  # type: ignore[type-arg]
    """A graded ltiResourceLink whose lineItem the platform creates where the teacher placed it; the sync finds
    it again by resourceId (the standard's identifier) and tag."""
    from lti_tool.services.sync import STANDARD_TAG, note_columns_may_exist, scale_maximum

    wanted = choice[len(STANDARD_CHOICE):]
    standard = next((s for s in _graded_standards() if str(s.id) == wanted), None)
    if standard is None:
        abort(400)
    name = standard.code or standard.label or standard.identifier
    identity = current_identity()
    assert identity is not None
    note_columns_may_exist(db(), identity.course_id)  # the platform will create it: the next sync must list
    return resource_link_item(launch_url, f"Mastery of {name}",
                              custom={"sbg_view": "standard", "sbg_standard": standard.identifier},
                              line_item={"scoreMaximum": scale_maximum(db(), identity.course_id),
                                         "label": f"{name} mastery", "resourceId": standard.identifier,
                                         "tag": STANDARD_TAG})


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
    return render_template("lti/deep_link_picker.html", choices=CHOICES, standards=_graded_standards())


@bp.post("/lti/deep-link")
@require_role("teacher", "admin")
def deep_link_submit() -> str:
    """Sign the LtiDeepLinkingResponse and auto-post it to the platform's return URL."""
    settings = _deep_link_settings()
    choice = request.form.get("choice", "")
    urls = ToolUrls(runtime().settings.base_url)
    if choice.startswith(STANDARD_CHOICE):
        item = _standard_item(choice, urls.launch)
    elif choice in CHOICES:
        item = resource_link_item(urls.launch, CHOICES[choice], custom={"sbg_view": choice})
    else:
        abort(400)
    key = ensure_signing_key(db())
    token = response_jwt(client_id=settings["client_id"], issuer=settings["issuer"],
                         deployment_id=settings["deployment_id"], data=settings.get("data"),
                         content_items=[item], private_pem=key.private_pem, kid=key.kid)
    return render_template("lti/deep_link_return.html", return_url=settings["return_url"], jwt=token)
