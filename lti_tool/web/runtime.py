"""The per-app runtime (settings, database, shared clients) and the per-request database session."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.adapters.lti.platform_keys import PlatformKeyCache
from lti_tool.adapters.lti.service_auth import ServiceTokenCache
from lti_tool.settings import Settings


@dataclass
class Runtime:
    """What every request shares: settings, the database, the outgoing HTTP session, platform key cache."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    http: requests.Session
    platform_keys: PlatformKeyCache
    service_tokens: ServiceTokenCache


def runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["sbg"]  # type: ignore[no-any-return]


def db() -> Session:
    """The request's database session: committed when the request succeeds, rolled back otherwise."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db  # type: ignore[no-any-return]


def init_request_session(app: Flask) -> None:
    """Close (and commit or roll back) the request's session at teardown."""

    @app.teardown_request
    def _finish(error: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is None:
            return
        try:
            if error is None and not g.get("db_rollback"):
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
