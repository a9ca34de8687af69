"""Tasks get ids, never request objects: this gives them an app and a unit-of-work session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from lti_tool.storage.db import session_scope

_app: Flask | None = None


def job_app() -> Flask:
    """The current app when a task runs inline, else one app per worker process."""
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    if _app is None:
        from lti_tool import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session() -> Iterator[Session]:
    """A committed-or-rolled-back session for one task run."""
    app = job_app()
    with app.app_context(), session_scope(app.extensions["sbg"].sessions) as session:
        yield session
