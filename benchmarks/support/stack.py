"""The tool as deployed: hermetic PostgreSQL and Redis, `sbg db upgrade`, gunicorn over TLS and `sbg worker`s,
all on 127.0.0.1 with the production settings, started and stopped by one object.

    with ProductionStack(StackOptions(web_workers=4)) as stack:
        stack.register(platform, "moodle", client_id)    # the test LTI platform, on both sides
        stack.http().get(stack.base_url + "/healthz")
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks.support.tls import Certificate, self_signed
from tests.support.services import PostgresServer, RedisServer, _as_postgres_user, free_port

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class StackOptions:
    """How many processes and threads serve the tool."""

    web_workers: int = 4
    threads: int = 4
    worker_class: str = "gthread"
    queue_processes: int = 1
    queue_threads: int = 2
    log_level: str = "WARNING"


@dataclass
class ProductionStack:
    """PostgreSQL, Redis, gunicorn and queue workers in a temporary folder; `stop()` removes everything."""

    options: StackOptions = field(default_factory=StackOptions)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sbg-stack-")))
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    certificate: Certificate | None = None
    port: int = 0
    web: subprocess.Popen | None = None  # type: ignore[type-arg]
    queue: list[subprocess.Popen] = field(default_factory=list)  # type: ignore[type-arg]
    secret_key: str = "stack-secret-" + "k" * 40
    extra_env: dict[str, str] = field(default_factory=dict)  # added to every tool process's environment

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> "ProductionStack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "ProductionStack":
        """Start the databases, migrate, then the web and queue processes; wait until /healthz answers 200."""
        try:
            self.certificate = self_signed(self.folder)
            self.postgres = PostgresServer.start()
            self.redis = RedisServer.start()
            self.port = free_port()
            self.sbg("db", "upgrade")
            self.start_web()
            self.start_queue()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this stack started and delete its files."""
        self.stop_queue()
        self.stop_web()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- configuration -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The tool's public URL (https, as production requires)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The environment of every tool process: production settings, as in config/example.env."""
        assert self.postgres is not None and self.redis is not None
        return {**os.environ, "SBG_ENV": "production", "DATABASE_URL": self.postgres.url,
                "REDIS_URL": self.redis.url, "SECRET_KEY": self.secret_key, "SBG_BASE_URL": self.base_url,
                "SBG_LOG_LEVEL": self.options.log_level, "PYTHONUNBUFFERED": "1", **self.extra_env}

    def app_overrides(self) -> dict[str, Any]:
        """The same settings as overrides, for an in-process app that writes registrations."""
        assert self.postgres is not None and self.redis is not None
        return {"env": "production", "database_url": self.postgres.url, "redis_url": self.redis.url,
                "secret_key": self.secret_key, "base_url": self.base_url, "instance_path": str(self.folder),
                "log_level": self.options.log_level}

    # -- processes -----------------------------------------------------------------------------------

    def sbg(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run one `sbg` command with the stack's environment; raise with its output if it fails."""
        result = subprocess.run([str(BIN / "sbg"), *args], env=self.env, capture_output=True, text=True,
                                timeout=timeout, cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"sbg {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_web(self, options: StackOptions | None = None) -> None:
        """gunicorn with TLS on the stack's port; returns once /healthz answers 200."""
        options = options or self.options
        assert self.certificate is not None
        command = [str(BIN / "gunicorn"), "--workers", str(options.web_workers), "--threads", str(options.threads),
                   "--worker-class", options.worker_class, "--bind", f"127.0.0.1:{self.port}",
                   "--certfile", str(self.certificate.cert), "--keyfile", str(self.certificate.key),
                   "--graceful-timeout", "5", "--timeout", "30", "lti_tool:create_app()"]
        with (self.folder / "web.log").open("ab") as log:  # the child keeps its own descriptor
            self.web = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=Path(__file__).resolve().parents[2], start_new_session=True)
        self.wait_for_health(200)

    def stop_web(self) -> None:
        """Stop gunicorn (TERM, then KILL after 10 s)."""
        _terminate(self.web)
        self.web = None

    def start_queue(self) -> None:
        """`sbg worker` processes; only the first runs periodic tasks."""
        for index in range(self.options.queue_processes):
            args = ["worker", "--workers", str(self.options.queue_threads)]
            if index > 0:
                args.append("--no-periodic")
            with (self.folder / f"worker-{index}.log").open("ab") as log:
                self.queue.append(subprocess.Popen([str(BIN / "sbg"), *args], env=self.env, stdout=log,
                                                   stderr=subprocess.STDOUT, cwd=self.folder,
                                                   start_new_session=True))

    def stop_queue(self) -> None:
        """Stop the queue workers."""
        for process in self.queue:
            _terminate(process)
        self.queue = []

    def log(self, name: str = "web.log") -> str:
        """A process's output so far (for failure messages)."""
        path = self.folder / name
        return path.read_text(errors="replace") if path.exists() else ""

    # -- HTTP ----------------------------------------------------------------------------------------

    def http(self) -> requests.Session:
        """A requests session that trusts the stack's certificate."""
        assert self.certificate is not None
        session = requests.Session()
        # REQUESTS_CA_BUNDLE in the environment would otherwise win over `verify`; traffic stays on 127.0.0.1.
        session.trust_env = False
        session.verify = str(self.certificate.cert)
        session.headers["User-Agent"] = "Mozilla/5.0 (sbg load test)"
        return session

    def health(self, session: requests.Session | None = None) -> int:
        """Status of GET /healthz (0 when nothing answers)."""
        try:
            return (session or self.http()).get(self.base_url + "/healthz", timeout=5).status_code
        except requests.RequestException:
            return 0

    def wait_for_health(self, status: int, timeout: float = START_TIMEOUT_S) -> float:
        """Poll /healthz until it answers `status`; returns the seconds it took."""
        started = time.monotonic()
        session = self.http()
        while time.monotonic() - started < timeout:
            if self.web is not None and self.web.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log()[-4000:])
            if self.health(session) == status:
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"/healthz did not answer {status} within {timeout} s\n" + self.log()[-4000:])

    # -- registration --------------------------------------------------------------------------------

    def register(self, platform: Any, profile: str, client_id: str, deployment_ids: tuple[str, ...] = ("1",),
                 district: str = "load") -> None:
        """Register the test platform with the tool (in its database) and the tool with the platform."""
        from lti_tool import create_app
        from lti_tool.services.keys import ensure_signing_key, published_jwks
        from lti_tool.services.platforms import PlatformSpec, add_district, add_platform, list_districts
        from lti_tool.storage.db import session_scope

        app = create_app(self.app_overrides())
        runtime = app.extensions["sbg"]
        with session_scope(runtime.sessions) as session:
            ensure_signing_key(session)
            if district not in {d.name for d in list_districts(session)}:
                add_district(session, district)
            add_platform(session, PlatformSpec(name=f"{district}-{client_id}", client_id=client_id,
                                               deployment_ids=deployment_ids, district=district,
                                               **platform.platform_config(profile)), allow_http=True)
            jwks = published_jwks(session)
        runtime.engine.dispose()
        base = self.base_url
        # The platform gets the tool's keys directly: it does not trust the stack's self-signed certificate.
        platform.register_tool(client_id, list(deployment_ids), f"{base}/lti/login", f"{base}/lti/launch", None,
                               tool_jwks=jwks)

    # -- faults --------------------------------------------------------------------------------------

    def postgres_down(self) -> None:
        """Stop PostgreSQL (fast shutdown: connections are cut)."""
        assert self.postgres is not None
        subprocess.run(_as_postgres_user([f"{self.postgres.bin_dir}/pg_ctl", "-D", str(self.postgres.directory /
                                                                                        "data"), "-m", "fast", "-w",
                                          "stop"]), check=True, capture_output=True)

    def postgres_up(self) -> None:
        """Start PostgreSQL again on the same port and data."""
        assert self.postgres is not None
        server = self.postgres
        options = (f"-p {server.port} -k {server.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres_user([f"{server.bin_dir}/pg_ctl", "-D", str(server.directory / "data"), "-o",
                                          options, "-l", str(server.directory / "log"), "-w", "start"]),
                       check=True, capture_output=True)

    def redis_down(self) -> None:
        """Stop Redis (its data is lost, as with a crashed cache without persistence)."""
        assert self.redis is not None
        self.redis.stop()

    def redis_up(self) -> None:
        """Start Redis again on the same port."""
        assert self.redis is not None
        self.redis = RedisServer.start(port=self.redis.port)


def _terminate(process: subprocess.Popen | None) -> None:  # type: ignore[type-arg]
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
