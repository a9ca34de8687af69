"""A werkzeug server on 127.0.0.1 in a background thread, with latency, injected faults and a request log."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class QuietHandler(WSGIRequestHandler):
    """Request handler that does not print a line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass(frozen=True)
class Fault:
    """One scripted failure: `kind` is throttle_403, status_429, status_500, status_503, expired_token or slow."""

    kind: str
    retry_after: float | None = None
    seconds: float = 0.0
    path_contains: str = ""


@dataclass
class LoggedRequest:
    """What the server saw: method, path, query and headers of one request."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    form: list[tuple[str, str]] = field(default_factory=list)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the given headers, names kept exactly as written."""
    response = Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class FakeHttpServer:
    """Base for the fake LMS servers: subclasses implement `handle(request)`."""

    lms_name = "LMS"

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.faults: deque[Fault] = deque()
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> of the running server."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        """Bind a free port and serve in a daemon thread."""
        self._server = make_server("127.0.0.1", 0, self.wsgi_app, threaded=True, request_handler=QuietHandler)
        # A short poll interval keeps shutdown (and so each test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"fake-{self.lms_name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------

    def fail_next(self, kind: str, *, times: int = 1, retry_after: float | None = None, seconds: float = 0.0,
                  path_contains: str = "") -> None:
        """Make the next `times` matching requests fail with `kind`."""
        with self._lock:
            for _ in range(times):
                self.faults.append(Fault(kind, retry_after=retry_after, seconds=seconds,
                                         path_contains=path_contains))

    def count(self, path_contains: str = "", method: str | None = None) -> int:
        """How many requests reached the server, optionally only those whose path contains a string."""
        with self._lock:
            return sum(1 for r in self.requests
                       if path_contains in r.path and (method is None or r.method == method))

    def reset_log(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.requests.clear()

    # -- WSGI --------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Log the request, apply latency and faults, then dispatch to `handle`."""
        request = Request(environ)
        form = list(request.form.items(multi=True)) if request.method in ("POST", "PUT", "DELETE") else []
        with self._lock:
            self.requests.append(LoggedRequest(request.method, request.path, list(request.args.items(multi=True)),
                                               dict(request.headers.items()), form))
            fault = self._take_fault(request.path)
        if self.latency:
            time.sleep(self.latency)
        response = self.fault_response(fault) if fault else None
        if response is None:
            response = self.handle(request)
        return response(environ, start_response)

    def _take_fault(self, path: str) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.path_contains in path:
                del self.faults[index]
                return fault
        return None

    def fault_response(self, fault: Fault) -> Response | None:
        """The response for a generic fault; subclasses add LMS-specific kinds."""
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "status_429":
            return json_response({"errors": [{"message": "Too many requests"}]}, 429, headers)
        if fault.kind == "status_500":
            return json_response({"errors": [{"message": "An error occurred"}]}, 500, headers)
        if fault.kind == "status_503":
            return Response("<html>Service Unavailable</html>", status=503, headers=headers, content_type="text/html")
        return None

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        """Answer one request."""
        raise NotImplementedError
