"""Shared fixtures: one app per test session on SQLite (default) or PostgreSQL (SBG_TEST_DB=postgresql),
a live server of that app on a free port, and hermetic PostgreSQL/Redis servers when a test needs them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from lti_tool import create_app
from lti_tool.storage.migrate import upgrade
from tests.fakes.canvas_server import FakeCanvas
from tests.fakes.moodle_server import FakeMoodle
from tests.support.services import PostgresServer, RedisServer, free_port

# The job queue reads its mode at import time: tests run jobs inline unless a test reconfigures it.
os.environ.setdefault("SBG_ENV", "test")

REQUIRE_SERVICES = os.environ.get("SBG_REQUIRE_SERVICES") == "1"
TEST_DB = os.environ.get("SBG_TEST_DB", "sqlite")


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this test session."""
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        _unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of this test session."""
    try:
        server = RedisServer.start()
    except RuntimeError as exc:
        _unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test session's database: SQLite in a temp folder, or the hermetic PostgreSQL."""
    if TEST_DB == "postgresql":
        return request.getfixturevalue("postgres_server").url  # type: ignore[no-any-return]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'sbg-test.sqlite3'}"


@pytest.fixture(scope="session")
def tool_port() -> int:
    """The port the live tool serves on; the app's base URL names it."""
    return free_port()


@pytest.fixture(scope="session")
def app(database_url: str, tool_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The tool, migrated, with a signing key."""
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "env": "test", "database_url": database_url, "base_url": f"http://127.0.0.1:{tool_port}",
        "instance_path": str(instance), "secret_key": "test-secret-key-" + "x" * 32,
    })
    runtime = application.extensions["sbg"]
    upgrade(runtime.engine)
    from lti_tool.services.keys import ensure_signing_key
    from lti_tool.storage.db import session_scope

    from lti_tool.services.sandbox import seed_sandbox

    with session_scope(runtime.sessions) as session:
        ensure_signing_key(session)
        seed_sandbox(session, runtime.settings.base_url)
    yield application
    # Close pooled connections before the database server of the session stops.
    runtime.engine.dispose()


@pytest.fixture()
def make_app(database_url: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Build extra apps on the test database (other settings, extra routes); their pools close afterwards."""
    made: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        settings = {"env": "test", "database_url": database_url, "instance_path": str(tmp_path),
                    "base_url": "http://127.0.0.1:1", **overrides}
        made.append(create_app(settings))
        return made[-1]

    yield _make
    for extra in made:
        extra.extensions["sbg"].engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client of the app (fresh cookies per test)."""
    return app.test_client()


@pytest.fixture()
def db_session(app: Flask) -> Iterator:  # type: ignore[type-arg]
    """A session on the test database; committed work stays (tests use unique names)."""
    session = app.extensions["sbg"].sessions()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def live_server(app: Flask, tool_port: int) -> Iterator[str]:
    """The app served over real HTTP on its base URL."""
    server = make_server("127.0.0.1", tool_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{tool_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_canvas() -> Iterator[FakeCanvas]:
    """A running Canvas-shaped server."""
    server = FakeCanvas().start()
    yield server
    server.stop()


@pytest.fixture
def fake_moodle() -> Iterator[FakeMoodle]:
    """A running Moodle-shaped server."""
    server = FakeMoodle().start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_queue(app, tmp_path: Path) -> Iterator[None]:
    """Jobs wait in a real SQLite queue until the test runs them (tests.support.queues.run_queued_jobs)."""
    from lti_tool.jobs import queue

    queue.reconfigure("sqlite", sqlite_path=str(tmp_path / "queue.sqlite3"))
    yield
    queue.reconfigure("immediate")
