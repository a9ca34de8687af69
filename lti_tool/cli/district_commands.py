"""`sbg district add|list`: tenants."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lti_tool.services.platforms import add_district, list_districts
from lti_tool.services.policies import seed_district_defaults

from .common import unit_of_work

district = AppGroup("district", help="Districts (tenants).")


@district.command("add")
@click.argument("name")
def add(name: str) -> None:
    """Create a district."""
    with unit_of_work() as session:
        district = add_district(session, name)
        seed_district_defaults(session, district.id, actor="cli")
    click.echo(f"District {name!r} created.")


@district.command("list")
def list_() -> None:
    """One district name a line."""
    with unit_of_work() as session:
        for item in list_districts(session):
            click.echo(item.name)
