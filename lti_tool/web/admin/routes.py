"""Admin area start page and audit log."""

from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy import func, select

from lti_tool.services.frameworks import list_frameworks
from lti_tool.services.policies import seed_district_defaults
from lti_tool.services.scales import list_scales
from lti_tool.storage.models import AuditEvent

from ..areas import launch_summary
from ..auth import require_role
from ..runtime import db
from . import bp
from .context import actor, district_id, district_name, identity, is_local_admin

AUDIT_PAGE_SIZE = 50


@bp.get("/")
@require_role("admin")
def home() -> str:
    """The admin area's start page: the district at a glance and where to go."""
    # Districts made before defaults shipped (or by another path) get their scales and policy on first visit.
    seed_district_defaults(db(), district_id(), actor="system")
    local = is_local_admin(identity())
    return render_template(
        "admin/home.html", launch=None if local else launch_summary(), district=district_name(), actor=actor(),
        frameworks=list_frameworks(db(), district_id()), scales=list_scales(db(), district_id()))


@bp.get("/audit")
@require_role("admin")
def audit_log() -> str:
    """Every recorded change of the district, newest first, with before and after values."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    entity = request.args.get("entity", "").strip()
    query = select(AuditEvent).where(AuditEvent.district_id == district_id())
    if entity:
        query = query.where(AuditEvent.entity.startswith(entity))
    total = db().scalar(select(func.count()).select_from(query.subquery())) or 0
    events = list(db().scalars(query.order_by(AuditEvent.id.desc())
                               .limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)))
    entities = list(db().scalars(select(AuditEvent.entity).where(AuditEvent.district_id == district_id())
                                 .distinct().order_by(AuditEvent.entity)))
    return render_template("admin/audit.html", events=events, page=page, entity=entity, entities=entities,
                           has_next=page * AUDIT_PAGE_SIZE < total, total=total, district=district_name(),
                           pretty=lambda value: json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))
