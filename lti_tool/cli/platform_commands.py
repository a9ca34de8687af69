"""`sbg platform add|list|remove`: LTI platform registrations."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from lti_tool.services.platforms import PlatformSpec, add_platform, describe_platform, list_platforms, remove_platform
from lti_tool.web.runtime import runtime

from .common import unit_of_work

platform = AppGroup("platform", help="LTI 1.3 platform registrations.")


@platform.command("add")
@click.option("--name", required=True, help="A name for this registration, unique in the installation.")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--auth-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--jwks-url", required=True, help="The platform's public keyset URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment id; repeat for several.")
@click.option("--district", default="default", show_default=True, help="The district that owns it.")
@click.option("--product", type=click.Choice(["canvas", "moodle", "other"]), default=None,
              help="The LMS (guessed from the issuer when omitted).")
def add(name: str, issuer: str, client_id: str, auth_url: str, token_url: str, jwks_url: str,
        deployment_ids: tuple[str, ...], district: str, product: str | None) -> None:
    """Register a platform and its deployments."""
    spec = PlatformSpec(name=name, issuer=issuer, client_id=client_id, auth_url=auth_url, token_url=token_url,
                        jwks_url=jwks_url, deployment_ids=deployment_ids, district=district, product=product or "")
    with unit_of_work() as session:
        add_platform(session, spec, allow_http=not runtime().settings.is_production)
    click.echo(f"Platform {name!r} registered in district {district!r} with {len(deployment_ids)} deployment(s).")


@platform.command("list")
@click.option("--district", default=None, help="Only this district's platforms.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tab-separated lines.")
def list_(district: str | None, as_json: bool) -> None:
    """Name, district, issuer, client id and deployments, one platform a line."""
    with unit_of_work() as session:
        rows = [describe_platform(item) for item in list_platforms(session, district)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        deployments = ",".join(row["deployment_ids"])  # type: ignore[arg-type]
        click.echo(f"{row['name']}\t{row['district']}\t{row['issuer']}\t{row['client_id']}\t{deployments}")


@platform.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Delete a registration (its courses' LTI records go with it)."""
    with unit_of_work() as session:
        remove_platform(session, name)
    click.echo(f"Platform {name!r} removed.")
