"""Structured JSON logs with request ids, and Prometheus metrics (launches, errors, sync, LMS throttling)."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

REGISTRY = CollectorRegistry(auto_describe=True)

LAUNCHES = Counter("sbg_launches_total", "LTI launches by outcome", ["outcome"], registry=REGISTRY)
HTTP_REQUESTS = Counter("sbg_http_requests_total", "HTTP requests by status class", ["status"], registry=REGISTRY)
REQUEST_SECONDS = Histogram("sbg_http_request_seconds", "Server time per request", registry=REGISTRY,
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
ERRORS = Counter("sbg_errors_total", "Unhandled errors (HTTP 500)", registry=REGISTRY)
SYNC_QUEUE_DEPTH = Gauge("sbg_sync_queue_depth", "Gradebook scores waiting to be sent", registry=REGISTRY,
                         multiprocess_mode="max")
SYNC_SECONDS = Histogram("sbg_sync_item_seconds", "Time to publish one score to the LMS", registry=REGISTRY,
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LMS_THROTTLED = Counter("sbg_lms_throttled_total", "Throttled answers from LMSs", ["platform"], registry=REGISTRY)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields (ids only, never tokens)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str, json_lines: bool) -> None:
    """Root logging: JSON lines in production, plain text in development."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # werkzeug's access log repeats URLs, which carry session tokens: our request log replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_request_logging(app: Flask) -> None:
    """Request ids, one log line per request, request metrics, and the /metrics endpoint."""
    log = logging.getLogger("sbg.request")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        response.headers["X-Request-ID"] = g.get("request_id", "")
        HTTP_REQUESTS.labels(status=f"{response.status_code // 100}xx").inc()
        REQUEST_SECONDS.observe(elapsed)
        if request.endpoint == "lti.launch":
            LAUNCHES.labels(outcome="ok" if response.status_code < 400 else "refused").inc()
        if request.endpoint != "observability.metrics":
            identity = g.get("identity")
            log.info("request", extra={
                "event": "request", "request_id": g.get("request_id"), "method": request.method,
                "path": request.path, "endpoint": request.endpoint, "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "platform_id": getattr(identity, "platform_id", None),
                "course_id": getattr(identity, "course_id", None),
                "person_id": getattr(identity, "person_id", None),
            })
        return response

    @app.get("/metrics", endpoint="observability.metrics")
    def metrics() -> Response:
        """Prometheus text format (aggregated across gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set)."""
        refresh_gauges()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


_gauge_refreshers: list[Any] = []


def on_scrape(refresher: Any) -> None:
    """Register a callable that updates gauges (e.g. the sync queue depth) before each scrape."""
    _gauge_refreshers.append(refresher)


def refresh_gauges() -> None:
    """Run the registered gauge refreshers, ignoring their failures (a scrape must not fail)."""
    for refresher in _gauge_refreshers:
        try:
            refresher()
        except Exception:  # noqa: BLE001 - metrics are best effort
            logging.getLogger(__name__).warning("A metrics refresher failed.", exc_info=True)
