"""Start PostgreSQL and Redis in a temporary directory on free ports, and stop them afterwards.

Nothing here assumes a system service or a default port: each test session gets its own servers.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing listened on port {port} within {timeout} s.")


def postgres_bin_dir() -> str | None:
    """Debian's PostgreSQL server binaries, if installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return str(Path(candidates[0]).parent) if candidates else None


def _as_postgres_user(args: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster."""

    directory: Path
    port: int
    bin_dir: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `sbg` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/sbg"

    @classmethod
    def start(cls) -> "PostgresServer":
        """initdb, start on a free port, create the database."""
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries are not installed (apt-get install postgresql).")
        directory = Path(tempfile.mkdtemp(prefix="sbg-pg-"))
        os.chmod(directory, 0o777)
        data = directory / "data"
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        subprocess.run(_as_postgres_user([f"{bin_dir}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust",
                                          "--no-sync", "-E", "UTF8", "--locale=C"]),
                       check=True, capture_output=True)
        port = free_port()
        options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres_user([f"{bin_dir}/pg_ctl", "-D", str(data), "-o", options, "-l",
                                          str(directory / "log"), "-w", "start"]), check=True, capture_output=True)
        _wait_for_port(port)
        server = cls(directory=directory, port=port, bin_dir=bin_dir)
        server.psql("CREATE DATABASE sbg")
        return server

    def psql(self, sql: str) -> None:
        """Run one SQL statement as the superuser."""
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                        "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        subprocess.run(_as_postgres_user([f"{self.bin_dir}/pg_ctl", "-D", str(self.directory / "data"), "-m",
                                          "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again on the same port (fault tests)."""
        data = str(self.directory / "data")
        subprocess.run(_as_postgres_user([f"{self.bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "restart"]),
                       check=True, capture_output=True)
        _wait_for_port(self.port)


@dataclass
class RedisServer:
    """A throwaway Redis server without persistence."""

    directory: Path
    port: int
    process: subprocess.Popen  # type: ignore[type-arg]

    @property
    def url(self) -> str:
        """Redis URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, port: int | None = None) -> "RedisServer":
        """Start redis-server on a free port."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server).")
        directory = Path(tempfile.mkdtemp(prefix="sbg-redis-"))
        port = port or free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(port)
        return cls(directory=directory, port=port, process=process)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)
