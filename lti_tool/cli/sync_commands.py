"""`sbg sync run|status|retry` (gradebook sync of a course) and `sbg results export` (report-card files)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from lti_tool.services import results_export
from lti_tool.services import sync as sync_service

from .common import unit_of_work

sync = AppGroup("sync", help="Send mastery results to the LMS gradebook (LTI Assignment and Grade Services).")
results = AppGroup("results", help="Export mastery results for report cards.")


def _progress_line(progress: sync_service.RunProgress) -> str:
    return (f"{progress.done}/{progress.total} done: {progress.sent} sent, {progress.pending} waiting, "
            f"{progress.failed} failed, {progress.unchanged} unchanged")


@sync.command("run")
@click.option("--platform", "platform_name", required=True, help="The platform registration's name.")
@click.option("--course", "lms_course_id", required=True, help="The LMS's course id (or the LTI context id).")
@click.option("--wait/--no-wait", default=False, help="Show progress until every score has an answer.")
@click.option("--timeout", type=float, default=3600, show_default=True, help="Seconds to wait at most.")
def run(platform_name: str, lms_course_id: str, wait: bool, timeout: float) -> None:
    """Queue a sync of the course's results; only changed scores are sent."""
    from lti_tool.jobs.sync_tasks import queue_run_after_commit

    with unit_of_work() as session:
        course = sync_service.find_course(session, platform_name, lms_course_id)
        if not sync_service.course_has_gradebook(session, course.id):
            raise click.ClickException("The LMS has not given this course a gradebook service yet: launch the "
                                       "tool from the course once, then sync.")
        planned = sync_service.plan_sync(session, course.id, trigger="cli", actor="cli")
        run_id, count, unchanged = planned.id, planned.planned, planned.unchanged
        queue_run_after_commit(session, run_id)
    click.echo(f"Sync {run_id} queued: {count} score(s) to send, {unchanged} unchanged.")
    if not wait:
        return
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        with unit_of_work() as session:
            progress = sync_service.run_progress(session, run_id)
        line = _progress_line(progress)
        if line != last:
            click.echo(line)
            last = line
        if progress.finished or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for error in progress.errors[:20]:
        click.echo(f"  failed: {error['student'] or error['item']} ({error['column']}): {error['message']}", err=True)
    click.echo(f"Sent {progress.sent}, unchanged {progress.unchanged}, failed {progress.failed}.")
    if progress.failed or not progress.finished:
        sys.exit(1)


@sync.command("status")
@click.option("--platform", "platform_name", required=True, help="The platform registration's name.")
@click.option("--course", "lms_course_id", required=True, help="The LMS's course id (or the LTI context id).")
def status(platform_name: str, lms_course_id: str) -> None:
    """Show the latest sync of the course and every student with waiting or failed scores."""
    with unit_of_work() as session:
        course = sync_service.find_course(session, platform_name, lms_course_id)
        latest = sync_service.latest_run(session, course.id)
        if latest is None:
            click.echo("This course has never been synced.")
            return
        click.echo(f"Sync {latest.id} ({latest.trigger}, {latest.created_at:%Y-%m-%d %H:%M} UTC): "
                   + _progress_line(sync_service.run_progress(session, latest.id)))
        for row in sync_service.student_statuses(session, course.id):
            if row.pending or row.failed or row.differences:
                click.echo(f"  {row.name or row.person_id}: {row.sent} sent, {row.pending} waiting, {row.failed} "
                           f"failed, {row.differences} differ in the LMS {row.last_error}".rstrip())


@sync.command("retry")
@click.option("--platform", "platform_name", required=True, help="The platform registration's name.")
@click.option("--course", "lms_course_id", required=True, help="The LMS's course id (or the LTI context id).")
def retry(platform_name: str, lms_course_id: str) -> None:
    """Send the course's failed scores again."""
    from lti_tool.jobs.sync_tasks import queue_items

    with unit_of_work() as session:
        course = sync_service.find_course(session, platform_name, lms_course_id)
        item_ids = sync_service.retry_failed(session, course.id)
    queue_items(item_ids)
    click.echo(f"{len(item_ids)} failed score(s) queued again.")


@results.command("export")
@click.option("--district", "district_name", required=True, help="The district's name.")
@click.option("--course", "lms_course_id", default=None, help="Only this course (LMS course id or context id).")
@click.option("--format", "fmt", type=click.Choice(results_export.FORMATS), default="csv", show_default=True)
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="File (csv, json) or folder (oneroster) to write; default: standard output (csv, json).")
def export(district_name: str, lms_course_id: str | None, fmt: str, output: Path | None) -> None:
    """Write every student's level per standard and overall grade, with evidence counts."""
    with unit_of_work() as session:
        files = results_export.export(session, district_name, fmt, lms_course_id)
    if fmt == "oneroster":
        folder = output or Path("oneroster")
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {', '.join(files)} to {folder}.")
        return
    (text,) = files.values()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}.")


COMMANDS = (sync, results)
