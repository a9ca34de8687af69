"""`sbg worker`: run huey's consumer for the queue the environment names (SQLite by default, Redis at scale)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True, help="Worker threads.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Run periodic tasks; only one consumer of a queue should.")
@with_appcontext
def worker(workers: int, periodic: bool) -> None:
    """Process background jobs until stopped with SIGINT or SIGTERM."""
    import lti_tool.jobs.tasks  # noqa: F401 - registers the tasks
    from lti_tool.jobs import discover_tasks
    from lti_tool.jobs.queue import huey

    discover_tasks()
    if huey.immediate:
        raise click.ClickException("The queue runs inline in this environment; there is nothing for a worker to do.")
    click.echo(f"sbg worker: {workers} threads, queue {type(huey.storage).__name__}, periodic={'on' if periodic else 'off'}")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                    check_worker_health=True)
    consumer.run()
