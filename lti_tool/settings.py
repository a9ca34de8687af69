"""Typed, frozen settings: defaults, then config/<env>.toml, then the environment, then overrides."""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
DEV_ENVIRONMENTS = frozenset({"development", "test"})


class SettingsError(RuntimeError):
    """Raised when the configuration cannot run the tool (a missing secret, a bad value)."""


@dataclass(frozen=True)
class Settings:
    """Everything the tool reads from its configuration, validated once at start-up."""

    env: str = "development"
    secret_key: str = ""
    database_url: str = ""
    redis_url: str = ""
    base_url: str = "http://127.0.0.1:5000"
    port: int = 5000
    instance_path: str = ""
    queue_mode: str = ""  # immediate | sqlite | redis; derived from redis_url when empty
    session_token_ttl: int = 3600
    launch_state_ttl: int = 600
    platform_jwks_ttl: int = 3600
    key_rotation_overlap_days: int = 7
    max_request_bytes: int = 64 * 1024
    clock_skew_seconds: int = 60
    dev_platform: bool = True
    log_level: str = "INFO"
    log_format: str = "text"  # text | json (production always logs JSON lines)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """True outside development and test: strict secrets, no development platform."""
        return self.env not in DEV_ENVIRONMENTS

    @property
    def effective_queue_mode(self) -> str:
        """The job queue backend: explicit mode, else Redis when REDIS_URL is set, else SQLite."""
        if self.queue_mode:
            return self.queue_mode
        return "redis" if self.redis_url else "sqlite"

    def validate(self) -> "Settings":
        """Fail fast on configuration that cannot work."""
        if self.is_production:
            if not self.secret_key or len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must be set to at least 32 characters in production.")
            if not self.base_url.startswith("https://"):
                raise SettingsError("SBG_BASE_URL must be the tool's public https:// URL in production.")
        if self.effective_queue_mode not in {"immediate", "sqlite", "redis"}:
            raise SettingsError(f"Unknown queue mode {self.queue_mode!r}: use immediate, sqlite or redis.")
        if self.effective_queue_mode == "redis" and not self.redis_url:
            raise SettingsError("The redis queue mode needs REDIS_URL.")
        return self


_ENV_NAMES = {
    "SECRET_KEY": "secret_key",
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "PORT": "port",
}
_PREFIX = "SBG_"


def normalise_database_url(url: str) -> str:
    """Accept the postgres:// URLs that hosting platforms set, and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _coerce(name: str, value: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    kind = fields[name].type
    if kind == "int" and not isinstance(value, int):
        return int(value)
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value


def _explicit(environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> set[str]:
    names = {"base_url"} if environ.get("SBG_BASE_URL") else set()
    return names | {key for key in (overrides or {}) if key == "base_url"}


def load_settings(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings in load order and validate them."""
    environ = os.environ if environ is None else environ
    env = (overrides or {}).get("env") or environ.get("SBG_ENV") or environ.get("APP_ENV") or "development"
    values: dict[str, Any] = {"env": env}
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    extra: dict[str, Any] = {}

    toml_file = CONFIG_DIR / f"{env}.toml"
    for path in (CONFIG_DIR / "default.toml", toml_file):
        if path.exists():
            with path.open("rb") as handle:
                for key, value in tomllib.load(handle).items():
                    if key in known:
                        values[key] = value
                    else:
                        log.warning("Unknown setting %r in %s is ignored.", key, path.name)

    for env_name, key in _ENV_NAMES.items():
        if environ.get(env_name):
            values[key] = environ[env_name]
    for env_name, value in environ.items():
        if env_name.startswith(_PREFIX) and env_name not in {"SBG_ENV"}:
            key = env_name[len(_PREFIX):].lower()
            if key in known:
                values[key] = value
    for key, value in (overrides or {}).items():
        if key in known:
            values[key] = value
        else:
            extra[key] = value

    values = {key: _coerce(key, value) for key, value in values.items()}
    if env in DEV_ENVIRONMENTS and "base_url" not in _explicit(environ, overrides):
        values["base_url"] = f"http://127.0.0.1:{values.get('port', 5000)}"
    if values.get("database_url"):
        values["database_url"] = normalise_database_url(values["database_url"])
    if env in DEV_ENVIRONMENTS and not values.get("secret_key"):
        values["secret_key"] = "development-only-secret-key-not-for-production"
    if "dev_platform" not in values:
        values["dev_platform"] = env in DEV_ENVIRONMENTS
    if env not in DEV_ENVIRONMENTS:
        values["dev_platform"] = False
    return Settings(**values, extra=extra).validate()
