"""Standards frameworks of a district: preview and apply imports, export, list and search standards.

An import compares a parsed draft (see `lti_tool.adapters.importers`) with the stored framework of the same
identifier: new standards are added, changed ones updated in place (same row, so teachers' alignments stay),
and standards missing from the file are retired (`retired_at`), never deleted. It is all-or-nothing: a file
with any problem raises `ImportFailed` before anything is written, and the caller's unit of work commits the
whole change at once or nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from lti_tool.adapters.importers import (
    FORMATS,
    FrameworkDraft,
    ImportFailed,
    ImportProblem,
    RatingDraft,
    ScaleDraft,
    StandardDraft,
    parse_case_url,
)
from lti_tool.adapters.importers.https_fetch import fetch_url
from lti_tool.storage.models import Framework, Standard, utcnow
from lti_tool.storage.models.admin import PendingImport

from . import audit
from .errors import NotFound, ServiceError

#: Fields compared between a stored standard and a draft to decide whether it was updated. The position (tree
#: order) is not among them: adding or dropping one standard shifts every later one, which is no real change.
COMPARED_FIELDS: tuple[str, ...] = ("code", "parent", "kind", "label", "statement", "grade_levels", "subject",
                                    "extra")
MAX_LISTED = 500


def parse_framework(source: bytes | str, fmt: str, fetch: Callable[[str], bytes] | None = None) -> FrameworkDraft:
    """Parse file bytes (or, for CASE, an https URL) in one of `FORMATS`; raise ImportFailed listing problems."""
    if fmt not in FORMATS:
        raise ServiceError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if isinstance(source, str):
        if fmt != "case":
            raise ServiceError("Only CASE frameworks can be imported from an address.")
        return parse_case_url(source, fetch or fetch_url)
    return FORMATS[fmt].parse(source)


@dataclass(frozen=True)
class StandardSummary:
    """A standard as shown in previews and lists."""

    id: int | None
    identifier: str
    code: str
    label: str
    changed: tuple[str, ...] = ()


@dataclass
class ImportPlan:
    """What an import would do to a district: the framework it touches and the standards added/updated/retired."""

    district_id: int
    framework_id: int | None
    identifier: str
    title: str
    version: int
    added: list[StandardSummary] = field(default_factory=list)
    updated: list[StandardSummary] = field(default_factory=list)
    retired: list[StandardSummary] = field(default_factory=list)
    unchanged: int = 0
    # Internal: rows to write, computed once for preview and apply.
    _new_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _changed_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _moved_rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _parents: dict[str, str | None] = field(default_factory=dict, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Numbers of added, updated, retired and unchanged standards."""
        return {"added": len(self.added), "updated": len(self.updated), "retired": len(self.retired),
                "unchanged": self.unchanged}

    @property
    def has_changes(self) -> bool:
        """Whether applying the plan would change anything."""
        return bool(self.added or self.updated or self.retired) or self.framework_id is None


def display_label(label: str, statement: str) -> str:
    """A one-line name for a standard: its label, or the start of its statement when it has none."""
    text = label or statement.split("\n", 1)[0]
    return text if len(text) <= 120 else text[:119] + "…"


def _extra_of(standard: StandardDraft) -> dict[str, Any]:
    """What a draft carries beyond the columns, kept so exports can restore it."""
    extra: dict[str, Any] = {}
    if standard.extra_parent_identifiers:
        extra["extra_parent_identifiers"] = list(standard.extra_parent_identifiers)
    if standard.scale is not None:
        extra["scale"] = _scale_json(standard.scale)
    if standard.calculation_method:
        extra["calculation_method"] = standard.calculation_method
    if standard.calculation_int is not None:
        extra["calculation_int"] = standard.calculation_int
    return extra


def _scale_json(scale: ScaleDraft) -> dict[str, Any]:
    return {"ratings": [{"points": rating.points, "description": rating.description} for rating in scale.ratings],
            "mastery_points": scale.mastery_points}


def _scale_draft(data: dict[str, Any] | None) -> ScaleDraft | None:
    if not data:
        return None
    return ScaleDraft(tuple(RatingDraft(item["points"], item["description"]) for item in data["ratings"]),
                      data.get("mastery_points"))


def _row_values(standard: StandardDraft, order: int) -> dict[str, Any]:
    return {"identifier": standard.identifier, "code": standard.code, "kind": standard.kind or "standard",
            "label": standard.label, "statement": standard.statement, "grade_levels": list(standard.grade_levels),
            "subject": standard.subject, "position": order, "extra": _extra_of(standard)}


def framework_identifier(draft: FrameworkDraft, fallback: str) -> str:
    """The identity a framework is stored under: the file's own identifier, else a slug of `fallback`."""
    if draft.identifier:
        return draft.identifier
    slug = re.sub(r"[^a-z0-9]+", "-", fallback.lower()).strip("-")
    if not slug:
        raise ServiceError("This file names no framework: give the framework a title.")
    return f"{draft.source_format}:{slug}"


def get_framework(session: Session, district_id: int, framework_id: int) -> Framework:
    """A framework of this district (NotFound for another district's id)."""
    framework = session.get(Framework, framework_id)
    if framework is None or framework.district_id != district_id:
        raise NotFound(f"No framework {framework_id} in this district.")
    return framework


def plan_import(session: Session, district_id: int, draft: FrameworkDraft, *, title: str = "",
                framework_id: int | None = None) -> ImportPlan:
    """Compare a draft with the district's stored framework (by id, else by identifier) without writing."""
    if not draft.standards:
        raise ImportFailed([ImportProblem(reason="the file holds no standards")])
    if framework_id is not None:
        framework: Framework | None = get_framework(session, district_id, framework_id)
        assert framework is not None
        identifier = framework.identifier
    else:
        identifier = framework_identifier(draft, title or draft.title)
        framework = session.scalar(select(Framework).where(Framework.district_id == district_id,
                                                           Framework.identifier == identifier))
    plan = ImportPlan(district_id=district_id, framework_id=framework.id if framework else None,
                      identifier=identifier, title=title or draft.title or (framework.title if framework else "")
                      or identifier, version=(framework.version if framework else 0) + 1)
    plan._parents = {standard.identifier: standard.parent_identifier for standard in draft.standards}
    stored = _stored_standards(session, framework.id) if framework else {}
    for order, standard in enumerate(draft.standards):
        values = _row_values(standard, order)
        current = stored.get(standard.identifier)
        if current is None:
            plan.added.append(StandardSummary(None, standard.identifier, standard.code,
                                              display_label(standard.label, standard.statement)))
            plan._new_rows.append(values)
            continue
        changed = tuple(name for name in COMPARED_FIELDS
                        if (standard.parent_identifier if name == "parent" else values[name]) != current[name])
        if current["retired_at"] is not None:
            changed = ("restored", *changed)
        if changed:
            plan.updated.append(StandardSummary(current["id"], standard.identifier, standard.code,
                                                display_label(standard.label, standard.statement), changed))
            plan._changed_rows.append({"id": current["id"], **values})
        else:
            plan.unchanged += 1
            if values["position"] != current["position"]:
                plan._moved_rows.append({"id": current["id"], "position": values["position"]})
    kept = set(plan._parents)
    for identifier_, current in stored.items():
        if identifier_ not in kept and current["retired_at"] is None:
            plan.retired.append(StandardSummary(current["id"], identifier_, current["code"],
                                                display_label(current["label"], current["statement"])))
    if framework is not None and not (plan.added or plan.updated or plan.retired):
        plan.version = framework.version
    return plan


def _stored_standards(session: Session, framework_id: int) -> dict[str, dict[str, Any]]:
    """Every stored standard of a framework by identifier, as plain values (parent as its identifier)."""
    rows = session.execute(
        select(Standard.id, Standard.identifier, Standard.code, Standard.parent_id, Standard.kind, Standard.label,
               Standard.statement, Standard.grade_levels, Standard.subject, Standard.position, Standard.extra,
               Standard.retired_at).where(Standard.framework_id == framework_id)
    ).all()
    identifier_of = {row.id: row.identifier for row in rows}
    return {row.identifier: {"id": row.id, "code": row.code, "parent": identifier_of.get(row.parent_id),
                             "kind": row.kind, "label": row.label, "statement": row.statement,
                             "grade_levels": list(row.grade_levels or []), "subject": row.subject,
                             "position": row.position, "extra": dict(row.extra or {}),
                             "retired_at": row.retired_at} for row in rows}


@dataclass(frozen=True)
class ImportResult:
    """The framework an import wrote and its counts."""

    framework_id: int
    version: int
    counts: dict[str, int]


def apply_import(session: Session, draft: FrameworkDraft, plan: ImportPlan, *, actor: str) -> ImportResult:
    """Write a plan made by `plan_import` from the same draft: bulk inserts and updates in the caller's unit of work."""
    now = utcnow()
    framework = session.get(Framework, plan.framework_id) if plan.framework_id else None
    before = _framework_snapshot(framework) if framework else None
    if framework is None:
        framework = Framework(district_id=plan.district_id, identifier=plan.identifier, title=plan.title,
                              version=plan.version)
        session.add(framework)
    framework.title = plan.title
    framework.subject = draft.subject or framework.subject or ""
    framework.version = plan.version
    framework.source_format = draft.source_format
    framework.source_version = draft.version[:100]
    framework.extra = {key: value for key, value in {
        "creator": draft.creator, "publisher": draft.publisher, "description": draft.description,
        "scale": _scale_json(draft.scale) if draft.scale else None}.items() if value}
    framework.retired_at = None
    framework.updated_at = now
    session.flush()
    if plan._new_rows:
        session.execute(insert(Standard), [{**row, "framework_id": framework.id, "created_at": now,
                                            "updated_at": now, "retired_at": None} for row in plan._new_rows])
    if plan._changed_rows:
        session.execute(update(Standard), [{**row, "updated_at": now, "retired_at": None}
                                           for row in plan._changed_rows])
    if plan._moved_rows:
        session.execute(update(Standard), plan._moved_rows)
    if plan.retired:
        session.execute(update(Standard), [{"id": item.id, "retired_at": now, "updated_at": now}
                                           for item in plan.retired])
    _link_parents(session, framework.id, plan)
    session.expire_all()
    counts = plan.counts
    audit.record(session, district_id=plan.district_id, actor=actor, action="import" if before else "create",
                 entity="framework", entity_id=framework.id, before=before,
                 after={**_framework_snapshot(framework), "counts": counts,
                        "added": [s.code or s.identifier for s in plan.added[:50]],
                        "retired": [s.code or s.identifier for s in plan.retired[:50]]})
    return ImportResult(framework.id, framework.version, counts)


def _link_parents(session: Session, framework_id: int, plan: ImportPlan) -> None:
    """Point each added or updated standard at its parent's row (ids are known only after the insert)."""
    touched = {row["identifier"] for row in plan._new_rows} | {row["identifier"] for row in plan._changed_rows}
    if not touched:
        return
    ids = dict(session.execute(select(Standard.identifier, Standard.id)
                               .where(Standard.framework_id == framework_id)).tuples().all())
    links = []
    for identifier in touched:
        parent = plan._parents[identifier]
        links.append({"id": ids[identifier], "parent_id": ids[parent] if parent is not None else None})
    session.execute(update(Standard), links)


def _framework_snapshot(framework: Framework) -> dict[str, Any]:
    return {"identifier": framework.identifier, "title": framework.title, "version": framework.version,
            "source_format": framework.source_format}


def import_framework(session: Session, district_id: int, draft: FrameworkDraft, *, actor: str, title: str = "",
                     framework_id: int | None = None) -> ImportResult:
    """Plan and apply an import in one go."""
    return apply_import(session, draft, plan_import(session, district_id, draft, title=title,
                                                    framework_id=framework_id), actor=actor)


def list_frameworks(session: Session, district_id: int, include_retired: bool = False) -> list[Framework]:
    """The district's frameworks by title."""
    query = select(Framework).where(Framework.district_id == district_id)
    if not include_retired:
        query = query.where(Framework.retired_at.is_(None))
    return list(session.scalars(query.order_by(Framework.title, Framework.id)))


def standard_counts(session: Session, district_id: int) -> dict[int, tuple[int, int]]:
    """Active and retired standard counts per framework of the district."""
    rows = session.execute(
        select(Standard.framework_id, func.count(Standard.id), func.count(Standard.retired_at))
        .join(Framework, Framework.id == Standard.framework_id)
        .where(Framework.district_id == district_id).group_by(Standard.framework_id)
    ).all()
    return {framework_id: (total - retired, retired) for framework_id, total, retired in rows}


def search_standards(session: Session, district_id: int, *, framework_id: int | None = None, text: str = "",
                     include_retired: bool = False, limit: int = MAX_LISTED, offset: int = 0) -> list[Standard]:
    """Standards of the district's frameworks in tree order, optionally filtered by a code/label/statement text."""
    query = (select(Standard).join(Framework, Framework.id == Standard.framework_id)
             .where(Framework.district_id == district_id))
    if framework_id is not None:
        get_framework(session, district_id, framework_id)
        query = query.where(Standard.framework_id == framework_id)
    if not include_retired:
        query = query.where(Standard.retired_at.is_(None))
    words = text.strip().lower()
    if words:
        pattern = f"%{_escape_like(words)}%"
        query = query.where(or_(func.lower(Standard.code).like(pattern, escape="\\"),
                                func.lower(Standard.label).like(pattern, escape="\\"),
                                func.lower(Standard.statement).like(pattern, escape="\\")))
    query = query.order_by(Framework.title, Framework.id, Standard.position, Standard.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def iter_standards(session: Session, district_id: int, framework_id: int | None = None) -> Iterable[Standard]:
    """Every active standard of the district (or one framework), in tree order, streamed."""
    query = (select(Standard).join(Framework, Framework.id == Standard.framework_id)
             .where(Framework.district_id == district_id, Standard.retired_at.is_(None)))
    if framework_id is not None:
        get_framework(session, district_id, framework_id)
        query = query.where(Standard.framework_id == framework_id)
    return session.scalars(query.order_by(Framework.title, Framework.id, Standard.position, Standard.id)
                           .execution_options(yield_per=1000))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def framework_draft(session: Session, district_id: int, framework_id: int) -> FrameworkDraft:
    """A stored framework's active standards as a draft, ready for any exporter."""
    framework = get_framework(session, district_id, framework_id)
    rows = session.execute(
        select(Standard.id, Standard.identifier, Standard.code, Standard.parent_id, Standard.kind, Standard.label,
               Standard.statement, Standard.grade_levels, Standard.subject, Standard.extra)
        .where(Standard.framework_id == framework.id, Standard.retired_at.is_(None))
        .order_by(Standard.position, Standard.id)
    ).all()
    identifier_of = {row.id: row.identifier for row in rows}
    sibling_count: dict[str | None, int] = {}
    standards = []
    for row in rows:
        parent = identifier_of.get(row.parent_id)
        sibling_count[parent] = sibling_count.get(parent, 0) + 1
        extra = row.extra or {}
        standards.append(StandardDraft(
            identifier=row.identifier, code=row.code, parent_identifier=parent, kind=row.kind, label=row.label,
            statement=row.statement, grade_levels=tuple(row.grade_levels or ()), subject=row.subject,
            position=sibling_count[parent],
            extra_parent_identifiers=tuple(item for item in extra.get("extra_parent_identifiers", [])
                                           if item in identifier_of.values()),
            scale=_scale_draft(extra.get("scale")), calculation_method=extra.get("calculation_method", ""),
            calculation_int=extra.get("calculation_int")))
    extra = framework.extra or {}
    return FrameworkDraft(identifier=framework.identifier, title=framework.title,
                          source_format=framework.source_format, standards=tuple(standards),
                          subject=framework.subject, version=framework.source_version,
                          creator=extra.get("creator", ""), publisher=extra.get("publisher", ""),
                          description=extra.get("description", ""), scale=_scale_draft(extra.get("scale")))


def export_framework(session: Session, district_id: int, framework_id: int, fmt: str) -> bytes:
    """A stored framework written in one of `FORMATS`."""
    if fmt not in FORMATS:
        raise ServiceError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    return FORMATS[fmt].export(framework_draft(session, district_id, framework_id))


def retire_framework(session: Session, district_id: int, framework_id: int, *, actor: str) -> Framework:
    """Hide a framework from new choices; its standards and alignments stay for existing evidence."""
    framework = get_framework(session, district_id, framework_id)
    before = _framework_snapshot(framework)
    framework.retired_at = utcnow()
    audit.record(session, district_id=district_id, actor=actor, action="retire", entity="framework",
                 entity_id=framework.id, before=before, after={**before, "retired": True})
    return framework


def describe_standard(standard: Standard) -> dict[str, Any]:
    """A JSON-ready summary of a standard."""
    retired: datetime | None = standard.retired_at
    return {"id": standard.id, "framework_id": standard.framework_id, "identifier": standard.identifier,
            "code": standard.code, "kind": standard.kind, "label": standard.label, "statement": standard.statement,
            "grade_levels": list(standard.grade_levels or []), "subject": standard.subject,
            "retired_at": retired.isoformat() if retired else None}


#: Uploaded files wait this long for the admin to confirm the preview.
PENDING_LIFETIME = timedelta(hours=24)


def stash_upload(session: Session, district_id: int, *, fmt: str, data: bytes, filename: str = "", title: str = "",
                 framework_id: int | None = None, actor: str) -> PendingImport:
    """Keep an uploaded file server-side under a random id until the admin confirms its preview."""
    if framework_id is not None:
        get_framework(session, district_id, framework_id)
    session.execute(delete(PendingImport).where(PendingImport.created_at < utcnow() - PENDING_LIFETIME))
    pending = PendingImport(id=secrets.token_urlsafe(32), district_id=district_id, format=fmt, data=data,
                            filename=filename[:500], title=title[:500], framework_id=framework_id, created_by=actor)
    session.add(pending)
    session.flush()
    return pending


def load_pending(session: Session, district_id: int, pending_id: str) -> PendingImport:
    """A pending upload of this district that has not expired."""
    pending = session.get(PendingImport, pending_id)
    if pending is None or pending.district_id != district_id or pending.created_at < utcnow() - PENDING_LIFETIME:
        raise NotFound("This upload is no longer waiting; upload the file again.")
    return pending


def plan_pending(session: Session, pending: PendingImport) -> tuple[FrameworkDraft, ImportPlan]:
    """Parse a pending upload again and plan it against what is stored now."""
    draft = parse_framework(pending.data, pending.format)
    return draft, plan_import(session, pending.district_id, draft, title=pending.title or _stem(pending.filename),
                              framework_id=pending.framework_id)


def confirm_pending(session: Session, district_id: int, pending_id: str, *, actor: str) -> ImportResult:
    """Apply a pending upload (re-planned against the current state) and forget the file."""
    pending = load_pending(session, district_id, pending_id)
    draft, plan = plan_pending(session, pending)
    result = apply_import(session, draft, plan, actor=actor)
    session.delete(pending)
    return result


def discard_pending(session: Session, district_id: int, pending_id: str) -> None:
    """Forget a pending upload."""
    session.delete(load_pending(session, district_id, pending_id))


def _stem(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name
