"""The one huey instance: inline in tests, a SQLite queue by default, Redis (with workers) at district scale.

This is the only module that reads configuration at import time, because task decorators need the instance.
"""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from huey.serializer import SignedSerializer

from lti_tool.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def build_huey(mode: str, *, redis_url: str = "", sqlite_path: str = "", secret: str = "") -> Huey:
    """A huey instance for `immediate`, `sqlite` or `redis` mode."""
    if mode == "immediate":
        return SqliteHuey("sbg", filename=":memory:", immediate=True)
    if mode == "redis":
        # Messages are signed, so a shared Redis cannot inject tasks.
        return RedisHuey("sbg", url=redis_url, serializer=SignedSerializer(secret=secret), utc=True)
    path = sqlite_path or str(ROOT / "instance" / "queue.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("sbg", filename=path, utc=True)


def _from_settings() -> Huey:
    settings = load_settings()
    instance = settings.instance_path or str(ROOT / "instance")
    return build_huey(settings.effective_queue_mode, redis_url=settings.redis_url,
                      sqlite_path=str(Path(instance) / "queue.sqlite3"), secret=settings.secret_key)


huey: Huey = _from_settings()


def reconfigure(mode: str, *, redis_url: str = "", sqlite_path: str = "", secret: str = "") -> None:
    """Point the existing instance (and its registered tasks) at another backend (tests, `sbg worker`)."""
    fresh = build_huey(mode, redis_url=redis_url, sqlite_path=sqlite_path, secret=secret)
    huey.storage = fresh.storage
    huey.serializer = fresh.serializer
    huey._immediate = fresh.immediate  # keep storage as chosen above
