"""The `sbg` console script: run the tool, migrate, manage keys, districts, platforms, and compute mastery."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from .. import create_app


def _build_app():  # type: ignore[no-untyped-def]
    return create_app()


main = FlaskGroup(create_app=_build_app, add_default_commands=False, add_version_option=False,
                  load_dotenv=False, help="sbg: standards-based grading for Canvas and Moodle (LTI 1.3).")


def _register() -> None:
    from . import db_commands, district_commands, keys_commands, platform_commands, run_command, worker_command

    for command in (run_command.run, db_commands.db, keys_commands.keys, platform_commands.platform,
                    district_commands.district, worker_command.worker,
                    *(getattr(__import__(f"{__package__}.{g}_commands", fromlist=[g]), g) for g in ("standards", "admin")),
                    *__import__(f"{__package__}.sync_commands", fromlist=["COMMANDS"]).COMMANDS,
                    *__import__(f"{__package__}.intake_commands", fromlist=["commands"]).commands,
                    ):
        main.add_command(command)
    try:
        from .compute import compute
    except ImportError:  # the mastery engine ships in the same package; absent only in partial checkouts
        return
    main.add_command(compute)


_register()

__all__ = ["main", "click"]
