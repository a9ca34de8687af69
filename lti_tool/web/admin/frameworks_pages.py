"""Admin pages for frameworks: browse and search, export, retire, and the import wizard (upload, preview, confirm)."""

from __future__ import annotations

from flask import Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.adapters.importers import (
    FORMATS,
    ExportFailed,
    ImportFailed,
    ImportProblem,
    parse_case_url,
)
from lti_tool.adapters.importers.https_fetch import fetch_url
from lti_tool.services import frameworks
from lti_tool.services.errors import ServiceError

from ..auth import require_role, session_url
from ..runtime import db
from . import bp
from .context import actor, district_id, district_name

FORMAT_NAMES = {"case": "1EdTech CASE JSON", "canvas": "Canvas outcomes CSV",
                "moodle": "Moodle competency framework CSV", "csv": "Plain sbg CSV"}
EXPORT_TYPES = {"case": ("application/json", "json"), "canvas": ("text/csv", "csv"),
                "moodle": ("text/csv", "csv"), "csv": ("text/csv", "csv")}
PREVIEW_ITEMS = 200


@bp.get("/frameworks")
@require_role("admin")
def frameworks_index() -> str:
    """The district's frameworks and a search across all their standards."""
    text = request.args.get("q", "").strip()
    found = frameworks.search_standards(db(), district_id(), text=text, limit=PREVIEW_ITEMS) if text else []
    return render_template("admin/frameworks.html", district=district_name(), q=text, found=found,
                           frameworks=frameworks.list_frameworks(db(), district_id(), include_retired=True),
                           counts=frameworks.standard_counts(db(), district_id()), label=frameworks.display_label)


@bp.get("/frameworks/<int:framework_id>")
@require_role("admin")
def framework_detail(framework_id: int) -> str:
    """One framework: its standards in tree order (searchable), export links and its policy."""
    framework = frameworks.get_framework(db(), district_id(), framework_id)
    text = request.args.get("q", "").strip()
    include_retired = request.args.get("retired") == "1"
    standards = frameworks.search_standards(db(), district_id(), framework_id=framework.id, text=text,
                                            include_retired=include_retired, limit=frameworks.MAX_LISTED)
    imported = {name: request.args.get(name, type=int) for name in ("added", "updated", "retired_count")}
    return render_template("admin/framework.html", framework=framework, standards=standards, q=text,
                           include_retired=include_retired, formats=FORMAT_NAMES, label=frameworks.display_label,
                           imported=imported if request.args.get("imported") else None,
                           limit=frameworks.MAX_LISTED)


@bp.get("/frameworks/<int:framework_id>/export")
@require_role("admin")
def framework_export(framework_id: int) -> Response:
    """Download a framework in one of the four formats."""
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise ServiceError(f"Unknown format {fmt!r}.")
    framework = frameworks.get_framework(db(), district_id(), framework_id)
    try:
        data = frameworks.export_framework(db(), district_id(), framework.id, fmt)
    except ExportFailed as error:
        raise ServiceError(f"This framework cannot be written as {FORMAT_NAMES[fmt]}: {error}") from error
    mimetype, extension = EXPORT_TYPES[fmt]
    filename = f"framework-{framework.id}-v{framework.version}-{fmt}.{extension}"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/frameworks/<int:framework_id>/retire")
@require_role("admin")
def framework_retire(framework_id: int) -> BaseResponse:
    """Retire a framework: it stays for existing evidence but is no longer offered."""
    frameworks.retire_framework(db(), district_id(), framework_id, actor=actor())
    return redirect(session_url("admin.framework_detail", framework_id=framework_id))


@bp.get("/frameworks/import")
@require_role("admin")
def import_form():  # type: ignore[no-untyped-def]
    """Step 1 of the wizard: choose a file (or a CASE address), its format, and which framework it updates."""
    return _import_form()


def _import_form(problems: list[ImportProblem] | None = None, error: str = "",  # type: ignore[no-untyped-def]
                 status: int = 200):
    page = render_template("admin/import.html", formats=FORMAT_NAMES, problems=problems or [], error=error,
                           frameworks=frameworks.list_frameworks(db(), district_id()), form=request.form)
    return (page, status) if status != 200 else page


@bp.post("/frameworks/import")
@require_role("admin")
def import_upload():  # type: ignore[no-untyped-def]
    """Step 2: keep the file server-side, parse it and show what would change (or every problem, by line)."""
    fmt = request.form.get("format", "")
    if fmt not in FORMATS:
        return _import_form(error="Choose the file's format.", status=400)
    framework_id = request.form.get("framework_id", type=int) or None
    url = request.form.get("url", "").strip()
    upload = request.files.get("file")
    filename = upload.filename or "" if upload is not None else ""
    try:
        if url:
            if fmt != "case":
                return _import_form(error="Only CASE frameworks can be imported from an address.", status=400)
            data = _download_case(url)
            filename = url
        elif upload is not None and filename:
            data = upload.read()
        else:
            return _import_form(error="Choose a file to upload, or give a CASE address.", status=400)
        pending = frameworks.stash_upload(db(), district_id(), fmt=fmt, data=data, filename=filename,
                                          title=request.form.get("title", "").strip(), framework_id=framework_id,
                                          actor=actor())
        _, plan = frameworks.plan_pending(db(), pending)
    except ImportFailed as failure:
        # Nothing is kept for a file that cannot be imported.
        db().rollback()
        return _import_form(problems=list(failure.problems), status=422)
    return render_template("admin/import_preview.html", plan=plan, pending=pending, formats=FORMAT_NAMES,
                           limit=PREVIEW_ITEMS)


def _download_case(url: str) -> bytes:
    """Download a CASE package once, checking it parses; the bytes are what the preview and confirm use."""
    captured: list[bytes] = []

    def fetch(address: str) -> bytes:
        captured.append(fetch_url(address))
        return captured[-1]

    parse_case_url(url, fetch)
    return captured[-1]


@bp.post("/frameworks/import/<pending_id>/confirm")
@require_role("admin")
def import_confirm(pending_id: str) -> BaseResponse:
    """Step 3: import the kept file in one transaction and show the framework."""
    result = frameworks.confirm_pending(db(), district_id(), pending_id, actor=actor())
    return redirect(session_url("admin.framework_detail", framework_id=result.framework_id, imported=1,
                                added=result.counts["added"], updated=result.counts["updated"],
                                retired_count=result.counts["retired"]))


@bp.post("/frameworks/import/<pending_id>/cancel")
@require_role("admin")
def import_cancel(pending_id: str) -> BaseResponse:
    """Forget the kept file."""
    frameworks.discard_pending(db(), district_id(), pending_id)
    return redirect(session_url("admin.frameworks_index"))
