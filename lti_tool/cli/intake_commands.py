"""`sbg canvas-api`, `sbg moodle-ws`, `sbg align` and `sbg evidence`: LMS credentials, alignments and score intake."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lti_tool.services import alignment, evidence, lms_credentials
from lti_tool.services.errors import NotFound
from lti_tool.storage.models import Assignment, Course, Platform, Standard
from lti_tool.web.runtime import runtime

from .common import unit_of_work

ACTOR = "cli"

canvas_api = AppGroup("canvas-api", help="The Canvas API developer key of a Canvas platform.")
moodle_ws = AppGroup("moodle-ws", help="The Moodle web-service token of a Moodle platform.")
align = AppGroup("align", help="Align a course's assignments to standards.")
evidence_group = AppGroup("evidence", help="Pull and list a course's scores.")

platform_option = click.option("--platform", "platform_name", required=True, help="The platform's name.")
course_option = click.option("--course", "lms_course_id", required=True, help="The course's id in the LMS.")


def _box() -> lms_credentials.SecretBox:
    return lms_credentials.SecretBox(runtime().settings.secret_key)


def _course(session: Session, platform_name: str, lms_course_id: str) -> tuple[Platform, Course]:
    platform = lms_credentials.platform_by_name(session, platform_name)
    course = session.scalar(select(Course).where(Course.platform_id == platform.id,
                                                 or_(Course.lms_course_id == lms_course_id,
                                                     Course.context_id == lms_course_id)).order_by(Course.id))
    if course is None:
        raise NotFound(f"No course {lms_course_id!r} on {platform_name}: open the tool from it once first.")
    return platform, course


@canvas_api.command("set")
@platform_option
@click.option("--client-id", required=True, help="The developer key's client id.")
@click.option("--client-secret", required=True, help="The developer key's secret (stored encrypted).")
@click.option("--api-url", default="", help="Fix the Canvas API URL (default: canvas_api_domain of the launch).")
def canvas_api_set(platform_name: str, client_id: str, client_secret: str, api_url: str) -> None:
    """Store the Canvas API developer key of a Canvas platform."""
    with unit_of_work() as session:
        platform = lms_credentials.platform_by_name(session, platform_name)
        lms_credentials.set_canvas_api_key(session, _box(), platform, client_id=client_id,
                                           client_secret=client_secret, api_url=api_url, actor=ACTOR)
    redirect = runtime().settings.base_url.rstrip("/") + lms_credentials.CALLBACK_PATH
    click.echo(f"Canvas API key saved for {platform_name}. Its redirect URI must be {redirect}")


@moodle_ws.command("set")
@platform_option
@click.option("--token", required=True, help="The web-service token of the tool's service user (stored encrypted).")
@click.option("--url", default="", help="The Moodle site URL (default: the platform's issuer).")
def moodle_ws_set(platform_name: str, token: str, url: str) -> None:
    """Store the Moodle web-service token of a Moodle platform."""
    with unit_of_work() as session:
        platform = lms_credentials.platform_by_name(session, platform_name)
        lms_credentials.set_moodle_ws_token(session, _box(), platform, token=token, url=url, actor=ACTOR)
    click.echo(f"Moodle web-service token saved for {platform_name}.")


@canvas_api.command("remove")
@platform_option
def canvas_api_remove(platform_name: str) -> None:
    """Remove a Canvas platform's API developer key; teachers' grants made with it are revoked and deleted."""
    with unit_of_work() as session:
        platform = lms_credentials.platform_by_name(session, platform_name)
        removal = lms_credentials.remove_canvas_api_key(session, _box(), platform.id, district_id=None, actor=ACTOR,
                                                        tool_base_url=runtime().settings.base_url)
    if not removal.removed:
        click.echo(f"No Canvas API developer key was set for {platform_name}; nothing removed.")
        return
    click.echo(f"Canvas API key removed from {platform_name}. Teacher connections deleted: {removal.grants_deleted} "
               f"(revoked in Canvas: {removal.grants_revoked}). Pulled scores are kept.")


@moodle_ws.command("remove")
@platform_option
def moodle_ws_remove(platform_name: str) -> None:
    """Remove a Moodle platform's web-service token."""
    with unit_of_work() as session:
        platform = lms_credentials.platform_by_name(session, platform_name)
        removal = lms_credentials.remove_moodle_ws_token(session, platform.id, district_id=None, actor=ACTOR)
    if not removal.removed:
        click.echo(f"No Moodle web-service token was set for {platform_name}; nothing removed.")
        return
    click.echo(f"Moodle web-service token removed from {platform_name}. Pulled grades are kept.")


@align.command("set")
@platform_option
@course_option
@click.option("--assignment", "lms_assignment_id", required=True, help="The assignment's id in the LMS.")
@click.option("--standard", "code", required=True, help="The standard's code (or identifier).")
@click.option("--weight", type=float, default=1.0, show_default=True, help="The alignment's weight.")
def align_set(platform_name: str, lms_course_id: str, lms_assignment_id: str, code: str, weight: float) -> None:
    """Align an assignment to a standard of the course's framework."""
    with unit_of_work() as session:
        platform, course = _course(session, platform_name, lms_course_id)
        assignment = alignment.assignment_by_lms_id(session, course.id, lms_assignment_id)
        standard = alignment.find_standard(session, course.id, code)
        alignment.set_alignment(session, assignment, standard, district_id=platform.district_id, actor=ACTOR,
                                weight=weight, origin="cli")
        click.echo(f"{assignment.title} -> {standard.code or standard.identifier} (weight {weight:g})")


@align.command("remove")
@platform_option
@course_option
@click.option("--assignment", "lms_assignment_id", required=True, help="The assignment's id in the LMS.")
@click.option("--standard", "code", required=True, help="The standard's code (or identifier).")
def align_remove(platform_name: str, lms_course_id: str, lms_assignment_id: str, code: str) -> None:
    """Remove an assignment's alignment to a standard."""
    with unit_of_work() as session:
        platform, course = _course(session, platform_name, lms_course_id)
        assignment = alignment.assignment_by_lms_id(session, course.id, lms_assignment_id)
        standard = alignment.find_standard(session, course.id, code)
        removed = alignment.remove_alignment(session, assignment, standard, district_id=platform.district_id,
                                             actor=ACTOR)
        if not removed:
            raise click.ClickException(f"{assignment.title} is not aligned to {code}.")
        click.echo(f"Removed {removed} alignment(s).")


@align.command("list")
@platform_option
@course_option
def align_list(platform_name: str, lms_course_id: str) -> None:
    """Print the course's alignments, tab-separated: assignment id, title, criterion, standard, weight, origin."""
    with unit_of_work() as session:
        _, course = _course(session, platform_name, lms_course_id)
        for row in alignment.alignments_of(session, course.id):
            assignment = session.get(Assignment, row.assignment_id)
            standard = session.get(Standard, row.standard_id)
            assert assignment is not None and standard is not None
            click.echo("\t".join((assignment.lms_id, assignment.title, row.rubric_criterion,
                                  standard.code or standard.identifier, f"{row.weight:g}", row.origin)))


@align.command("suggest")
@platform_option
@course_option
@click.option("--accept", is_flag=True, help="Accept every suggestion as an alignment.")
def align_suggest(platform_name: str, lms_course_id: str, accept: bool) -> None:
    """Print suggested alignments (codes in names, Canvas outcomes, Moodle competencies); --accept makes them."""
    with unit_of_work() as session:
        platform, course = _course(session, platform_name, lms_course_id)
        suggestions = alignment.suggest(session, course.id)
        for suggestion in suggestions:
            assignment = session.get(Assignment, suggestion.assignment_id)
            assert assignment is not None
            click.echo("\t".join((assignment.lms_id, assignment.title, suggestion.rubric_criterion,
                                  suggestion.standard_code, suggestion.origin)))
        if accept:
            made = alignment.accept_suggestions(session, course.id, suggestions, district_id=platform.district_id,
                                                actor=ACTOR)
            click.echo(f"Accepted {made} suggestion(s).")
        elif not suggestions:
            click.echo("No suggestions.")


@evidence_group.command("pull")
@platform_option
@course_option
@click.option("--full", is_flag=True, help="Read every score again, not only those graded since the last pull.")
def evidence_pull(platform_name: str, lms_course_id: str, full: bool) -> None:
    """Pull the course's scores now with the stored credentials; prints added, updated and unchanged counts."""
    settings = runtime().settings
    with unit_of_work() as session:
        _, course = _course(session, platform_name, lms_course_id)
        outcome = evidence.pull_course(session, course.id, http=runtime().http, secret_key=settings.secret_key,
                                       tool_base_url=settings.base_url, full=full)
    if outcome.counts is None:
        raise click.ClickException(outcome.error + (" A teacher must reconnect to Canvas." if outcome.reconnect
                                                    else ""))
    click.echo(outcome.counts.describe())


@evidence_group.command("list")
@platform_option
@course_option
def evidence_list(platform_name: str, lms_course_id: str) -> None:
    """Print one evidence item a line, tab-separated: student, assignment id, title, score, maximum, time, flags."""
    with unit_of_work() as session:
        _, course = _course(session, platform_name, lms_course_id)
        for row in evidence.list_evidence(session, course.id):
            title = f"{row.title} [{row.rubric_criterion}]" if row.rubric_criterion else row.title
            click.echo("\t".join((
                row.student_lms_id, row.assignment_lms_id, title.replace("\t", " "),
                "" if row.score is None else f"{row.score:g}", "" if row.max_score is None else f"{row.max_score:g}",
                row.at.isoformat() if row.at else "", ",".join(row.flags))))


commands = (canvas_api, moodle_ws, align, evidence_group)
