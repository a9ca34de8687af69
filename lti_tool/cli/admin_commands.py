"""`sbg admin create-user`: local admin accounts for self-hosted installs."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lti_tool.services.admin_accounts import create_admin

from .common import unit_of_work

admin = AppGroup("admin", help="Local admin accounts (sign in at /admin/login).")


@admin.command("create-user")
@click.option("--district", required=True, help="The district the admin manages.")
@click.option("--email", required=True, help="The admin's email, used to sign in.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
def create_user(district: str, email: str, password_stdin: bool) -> None:
    """Create a district admin who signs in with an email and password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        account = create_admin(session, district=district, email=email, password=password)
        address = account.email
    click.echo(f"Admin {address} created for district {district!r}.")
