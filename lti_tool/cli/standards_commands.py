"""`sbg standards import|export|list`: a district's standards frameworks from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lti_tool.adapters.importers import FORMATS, ExportFailed, ImportFailed
from lti_tool.services import frameworks
from lti_tool.services.platforms import get_district

from .common import unit_of_work

standards = AppGroup("standards", help="Standards frameworks of a district: import, export, list.")
FORMAT_OPTION = click.option("--format", "fmt", required=True, type=click.Choice(list(FORMATS)),
                             help="File format: 1EdTech CASE JSON, Canvas outcomes CSV, Moodle competency CSV, "
                                  "or the plain sbg CSV.")
DISTRICT_OPTION = click.option("--district", required=True, help="The district's name.")


def _read_source(source: str) -> bytes | str:
    """An https address stays text (downloaded by the CASE reader); '-' is standard input; else a file."""
    if source.startswith(("https://", "http://")):
        return source
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if not path.is_file():
        raise click.ClickException(f"No file {source!r}.")
    return path.read_bytes()


@standards.command("import")
@click.argument("source", metavar="FILE")
@FORMAT_OPTION
@DISTRICT_OPTION
@click.option("--dry-run", is_flag=True, help="Only show what would change; write nothing.")
@click.option("--title", default="", help="Framework title (files without one are named after the file).")
@click.option("--framework", "framework_id", type=int, default=None,
              help="Update this framework id instead of matching by the file's identifier.")
def import_(source: str, fmt: str, district: str, dry_run: bool, title: str, framework_id: int | None) -> None:
    """Import FILE (a path, '-', or an https address of a CASE package) into a district's frameworks."""
    data = _read_source(source)
    fallback = title or (Path(source).stem if isinstance(data, bytes) and source != "-" else "")
    try:
        draft = frameworks.parse_framework(data, fmt)
    except ImportFailed as error:
        raise click.ClickException(f"{source}: nothing was imported, {error}") from None
    with unit_of_work() as session:
        district_id = get_district(session, district).id
        try:
            plan = frameworks.plan_import(session, district_id, draft, title=fallback, framework_id=framework_id)
        except ImportFailed as error:
            raise click.ClickException(f"{source}: nothing was imported, {error}") from None
        # A dry run only plans: nothing is added to the session, so the unit of work writes nothing.
        version = plan.version if dry_run else frameworks.apply_import(session, draft, plan, actor="cli").version
    verb = "would import" if dry_run else "imported"
    click.echo(f"{plan.title}: {verb} version {version} ({'new framework' if plan.framework_id is None else 'update'})")
    for name, count in plan.counts.items():
        if name != "unchanged":
            click.echo(f"{name}: {count}")


@standards.command("export")
@DISTRICT_OPTION
@FORMAT_OPTION
@click.option("--framework", "framework_id", type=int, default=None,
              help="The framework id (needed when the district has more than one).")
def export(district: str, fmt: str, framework_id: int | None) -> None:
    """Write a framework to standard output in the chosen format."""
    with unit_of_work() as session:
        district_id = get_district(session, district).id
        if framework_id is None:
            choices = frameworks.list_frameworks(session, district_id)
            if len(choices) != 1:
                listing = ", ".join(f"{item.id} ({item.title})" for item in choices) or "none"
                raise click.ClickException(f"Choose a framework with --framework: {listing}.")
            framework_id = choices[0].id
        try:
            data = frameworks.export_framework(session, district_id, framework_id, fmt)
        except ExportFailed as error:
            raise click.ClickException(f"The framework cannot be written as {fmt}: {error}") from None
    click.echo(data, nl=False)  # bytes go to the binary stream unchanged


@standards.command("list")
@DISTRICT_OPTION
@click.option("--framework", "framework_id", type=int, default=None, help="Only this framework id.")
@click.option("--search", default="", help="Only standards whose code, label or statement contain this text.")
def list_(district: str, framework_id: int | None, search: str) -> None:
    """One standard a line: code, a tab, label."""
    with unit_of_work() as session:
        district_id = get_district(session, district).id
        if search:
            rows = frameworks.search_standards(session, district_id, framework_id=framework_id, text=search,
                                               limit=10**9)
        else:
            rows = list(frameworks.iter_standards(session, district_id, framework_id))
        for standard in rows:
            click.echo(f"{standard.code}\t{frameworks.display_label(standard.label, standard.statement)}")
