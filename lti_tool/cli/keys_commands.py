"""`sbg keys rotate|list`: the tool's signing keys."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.services.keys import rotate_keys
from lti_tool.storage.models import ToolKey
from lti_tool.web.runtime import runtime

from .common import unit_of_work

keys = AppGroup("keys", help="The tool's signing keys.")


@keys.command("rotate")
@click.option("--overlap-days", type=click.IntRange(0, 365), default=None,
              help="How long the old key stays published (default from settings).")
def rotate(overlap_days: int | None) -> None:
    """Sign with a new key; keep the old one in the JWKS until it expires."""
    days = runtime().settings.key_rotation_overlap_days if overlap_days is None else overlap_days
    with unit_of_work() as session:
        key = rotate_keys(session, timedelta(days=days))
        click.echo(f"New signing key {key.kid}; previous keys stay published for {days} days.")


@keys.command("list")
def list_keys() -> None:
    """Key id, created, retired and expiry, one key a line."""
    with unit_of_work() as session:
        for key in session.scalars(select(ToolKey).order_by(ToolKey.id)):
            status = "current" if key.retired_at is None else f"retired, expires {key.expires_at:%Y-%m-%d %H:%M}"
            click.echo(f"{key.kid}\t{key.created_at:%Y-%m-%d %H:%M}\t{status}")
