"""Admin page for the district's LMS platforms: registrations and their API credentials (Canvas key, Moodle token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.services import lms_credentials
from lti_tool.services.errors import NotFound, ServiceError
from lti_tool.services.platforms import list_platforms
from lti_tool.storage.models import LmsApiCredential, Platform

from ..auth import require_role, session_url
from ..runtime import db, runtime
from . import bp
from .context import actor, district_id, district_name

#: The credential an admin can enter for each product; other products have no API the tool reads.
CREDENTIAL_KIND = {"canvas": lms_credentials.CANVAS_API, "moodle": lms_credentials.MOODLE_WS}
PRODUCT_NAMES = {"canvas": "Canvas", "moodle": "Moodle"}
LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class CredentialState:
    """What the page may show of a stored credential: never the secret, only that it is set and by whom."""

    client_id: str
    api_url: str
    updated_by: str
    updated_at: datetime


def _credential_states(platform_ids: list[int]) -> dict[int, CredentialState]:
    """The stored credential of each platform, read without its encrypted secret column."""
    rows = db().execute(
        select(LmsApiCredential.platform_id, LmsApiCredential.kind, LmsApiCredential.client_id,
               LmsApiCredential.api_url, LmsApiCredential.updated_by, LmsApiCredential.updated_at)
        .where(LmsApiCredential.platform_id.in_(platform_ids)))
    states: dict[int, CredentialState] = {}
    products = {kind: product for product, kind in CREDENTIAL_KIND.items()}
    for platform_id, kind, client_id, api_url, updated_by, updated_at in rows:
        # Only the kind that matches the platform's product is shown (and used by score intake).
        if kind in products:
            states.setdefault(platform_id, CredentialState(client_id, api_url, updated_by, updated_at))
    return states


def _own_platform(platform_id: int, product: str) -> Platform:
    """A platform of the admin's district and of `product`; anything else (another district's) is a 404."""
    # Ids past a 64-bit integer cannot even be bound as query parameters (SQLite raises); none exists anyway.
    platform = db().get(Platform, platform_id) if platform_id <= LARGEST_ID else None
    # A Moodle platform has no Canvas key form (and the other way round), so it is as absent as a foreign one.
    if platform is None or platform.district_id != district_id() or platform.product != product:
        raise NotFound(f"There is no {PRODUCT_NAMES[product]} platform {platform_id} in your district.")
    return platform


def _box() -> lms_credentials.SecretBox:
    return lms_credentials.SecretBox(runtime().settings.secret_key)


def _page(error: str = "", error_platform: int | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    platforms = list_platforms(db(), district_name())
    kept = dict(request.form) if error else {}
    kept.pop("client_secret", None)  # a refused secret is never sent back to the browser
    kept.pop("token", None)
    page = render_template(
        "admin/platforms.html", platforms=platforms, district=district_name(), product_names=PRODUCT_NAMES,
        credentials=_credential_states([platform.id for platform in platforms]),
        callback_url=runtime().settings.base_url.rstrip("/") + lms_credentials.CALLBACK_PATH,
        saved=request.args.get("saved", type=int), removed=_removal_notice(), error=error, error_platform=error_platform, kept=kept)
    return (page, status) if status != 200 else page


def _removal_notice() -> dict[str, int] | None:
    """What the last Remove did, from the redirect's query string, for the platform's section."""
    platform_id = request.args.get("removed", type=int)
    if platform_id is None:
        return None
    return {"platform_id": platform_id, "nothing": request.args.get("nothing", 0, type=int),
            "grants": request.args.get("grants", 0, type=int), "revoked": request.args.get("revoked", 0, type=int)}


@bp.get("/platforms")
@require_role("admin")
def platforms_index():  # type: ignore[no-untyped-def]
    """The district's platform registrations with their deployments and API credentials."""
    return _page()


def _saved(platform: Platform) -> BaseResponse:
    return redirect(session_url("admin.platforms_index", saved=platform.id, _anchor=f"platform-{platform.id}"))


def _removed(platform: Platform, removal: lms_credentials.CredentialRemoval) -> BaseResponse:
    """Back to the platform's section, saying what the removal did (counts ride in the URL, no secrets)."""
    values = {"removed": platform.id, "nothing": 1} if not removal.removed else {
        "removed": platform.id, "grants": removal.grants_deleted, "revoked": removal.grants_revoked}
    return redirect(session_url("admin.platforms_index", _anchor=f"platform-{platform.id}", **values), code=303)


@bp.post("/platforms/<int:platform_id>/canvas-api")
@require_role("admin")
def canvas_api_save(platform_id: int):  # type: ignore[no-untyped-def]
    """Store a Canvas platform's API developer key (encrypted; audited by the service without the secret)."""
    platform = _own_platform(platform_id, "canvas")
    try:
        lms_credentials.set_canvas_api_key(
            db(), _box(), platform, client_id=request.form.get("client_id", ""),
            client_secret=request.form.get("client_secret", ""), api_url=request.form.get("api_url", ""),
            actor=actor())
    except ServiceError as error:
        db().rollback()  # the half-written credential must not be committed at teardown
        return _page(str(error), platform_id, status=400)
    return _saved(platform)


@bp.post("/platforms/<int:platform_id>/moodle-ws")
@require_role("admin")
def moodle_ws_save(platform_id: int):  # type: ignore[no-untyped-def]
    """Store a Moodle platform's web-service token (encrypted; audited by the service without the token)."""
    platform = _own_platform(platform_id, "moodle")
    try:
        lms_credentials.set_moodle_ws_token(db(), _box(), platform, token=request.form.get("token", ""),
                                            url=request.form.get("url", ""), actor=actor())
    except ServiceError as error:
        db().rollback()
        return _page(str(error), platform_id, status=400)
    return _saved(platform)


@bp.post("/platforms/<int:platform_id>/canvas-api/remove")
@require_role("admin")
def canvas_api_remove(platform_id: int) -> BaseResponse:
    """Remove a Canvas platform's API developer key; teachers' Canvas grants made with it are revoked and deleted."""
    platform = _own_platform(platform_id, "canvas")
    removal = lms_credentials.remove_canvas_api_key(db(), _box(), platform.id, district_id=district_id(),
                                                    actor=actor(), tool_base_url=runtime().settings.base_url)
    return _removed(platform, removal)


@bp.post("/platforms/<int:platform_id>/moodle-ws/remove")
@require_role("admin")
def moodle_ws_remove(platform_id: int) -> BaseResponse:
    """Remove a Moodle platform's web-service token."""
    platform = _own_platform(platform_id, "moodle")
    removal = lms_credentials.remove_moodle_ws_token(db(), platform.id, district_id=district_id(), actor=actor())
    return _removed(platform, removal)
