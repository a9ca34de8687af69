"""Home page (with development launch buttons) and /healthz."""

from __future__ import annotations

from flask import Response, jsonify, render_template
from sqlalchemy import text

from lti_tool.adapters.lti.tool_config import ToolUrls

from ..runtime import runtime
from . import bp


@bp.get("/")
def index() -> str:
    """What the tool is, where to register it, and (outside production) sandbox launches."""
    settings = runtime().settings
    return render_template("home/index.html", urls=ToolUrls(settings.base_url), dev_platform=settings.dev_platform)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Database (and Redis, when configured) status; 503 when a dependency is down."""
    checks: dict[str, str] = {}
    try:
        with runtime().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {type(exc).__name__}"
    if runtime().settings.redis_url:
        try:
            import redis

            redis.Redis.from_url(runtime().settings.redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ok" if healthy else "error", "checks": checks}), 200 if healthy else 503
