"""`sbg db upgrade`: migrate the database to the newest schema."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lti_tool.storage.migrate import upgrade as run_upgrade
from lti_tool.web.runtime import runtime

db = AppGroup("db", help="Database schema.")


@db.command("upgrade")
def upgrade() -> None:
    """Apply every pending migration."""
    run_upgrade(runtime().engine)
    click.echo("Database is up to date.")
