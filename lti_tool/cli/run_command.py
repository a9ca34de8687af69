"""`sbg run`: migrate, create keys, seed the sandbox outside production, print the URLs, and serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator

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


@contextmanager
def queue_worker(enabled: bool, base_url: str) -> Iterator[subprocess.Popen[bytes] | None]:
    """A `sbg worker` child process for the SQLite queue while the tool serves, so jobs run with no extra setup."""
    settings = runtime().settings
    if not enabled or settings.effective_queue_mode != "sqlite":
        yield None  # inline queues need no worker; a Redis queue has its own worker processes
        return
    environment = {**os.environ, "SBG_BASE_URL": base_url}
    # SIGTERM (a process manager stopping the tool) must unwind through `finally` so the child stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    child = subprocess.Popen([sys.executable, "-m", "lti_tool.cli", "worker", "--workers", "2"], env=environment)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Port (default: PORT or 5000).")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also run a queue worker (SQLite queue only) for gradebook sync and score pulls.")
@with_appcontext
def run(host: str, port: int | None, worker: bool) -> None:
    """Serve the tool on the embedded default (SQLite, no extra services), with a queue worker beside it."""
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
    with queue_worker(worker, settings.base_url) as child:
        if child is not None:
            click.echo(f"Background jobs: a queue worker runs beside the server (pid {child.pid}).")
        run_simple(host, port, current_app._get_current_object(), threaded=True,  # type: ignore[attr-defined]
                   use_reloader=False, use_debugger=False)
