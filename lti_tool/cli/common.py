"""Helpers shared by the CLI commands: a unit of work and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from lti_tool.services.errors import ServiceError
from lti_tool.storage.db import session_scope
from lti_tool.web.runtime import runtime


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A committed-or-rolled-back session; service errors become a clean CLI error (exit 1)."""
    try:
        with session_scope(runtime().sessions) as session:
            yield session
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
