"""`sbg run`: migrate, create keys, seed the sandbox outside production, print the URLs, and serve."""

from __future__ import annotations

import os
from dataclasses import replace

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_tool.adapters.lti.tool_config import ToolUrls
from lti_tool.services.keys import ensure_signing_key
from lti_tool.services.sandbox import seed_sandbox
from lti_tool.storage.migrate import upgrade
from lti_tool.web.runtime import runtime

from .common import unit_of_work


def prepare() -> None:
    """Everything a fresh install needs before serving (idempotent)."""
    upgrade(runtime().engine)
    with unit_of_work() as session:
        ensure_signing_key(session)
        if runtime().settings.dev_platform:
            seed_sandbox(session, runtime().settings.base_url)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Port (default: PORT or 5000).")
@with_appcontext
def run(host: str, port: int | None) -> None:
    """Serve the tool on the embedded default (SQLite, no extra services)."""
    from werkzeug.serving import run_simple

    settings = runtime().settings
    if port and port != settings.port and not os.environ.get("SBG_BASE_URL") and not settings.is_production:
        # The sandbox platform and printed URLs must point at the port actually served.
        settings = replace(settings, port=port, base_url=f"http://127.0.0.1:{port}")
        runtime().settings = settings
        current_app.config["SBG_SETTINGS"] = settings
    port = port or settings.port
    prepare()
    urls = ToolUrls(settings.base_url)
    click.echo(f"sbg is serving on http://{host}:{port}  (public base URL: {settings.base_url})")
    click.echo("Paste these into Canvas or Moodle:")
    for label, value in (("OIDC login URL", urls.login), ("Launch/redirect URL", urls.launch),
                         ("Public JWKS URL", urls.jwks), ("Dynamic registration", urls.register),
                         ("Canvas developer key JSON", urls.canvas_config)):
        click.echo(f"  {label:28} {value}")
    if settings.dev_platform:
        click.echo(f"Try it without an LMS: open {settings.base_url}/ and launch as student, teacher or admin.")
    run_simple(host, port, current_app._get_current_object(), threaded=True,  # type: ignore[attr-defined]
               use_reloader=False, use_debugger=False)
