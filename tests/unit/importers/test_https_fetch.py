"""Downloading a framework: status codes, size limit and network failures, against localhost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lti_tool.adapters.importers.https_fetch import FetchFailed, fetch_url

BODY = b'{"CFDocument": {}}'


class _Provider(BaseHTTPRequestHandler):
    """Answers /package with JSON, /missing with 404, /huge with a body over any small limit."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path == "/package":
            self._send(200, BODY)
        elif self.path == "/huge":
            self._send(200, b"x" * 5000, declare_length=False)
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes, declare_length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if declare_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture()
def provider() -> Iterator[str]:
    """A CASE-provider stand-in on a free localhost port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_package_is_downloaded_whole(provider: str) -> None:
    assert fetch_url(f"{provider}/package") == BODY


def test_an_error_status_is_reported(provider: str) -> None:
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch_url(f"{provider}/missing")


def test_a_declared_length_over_the_limit_is_refused_before_reading(provider: str) -> None:
    with pytest.raises(FetchFailed, match="larger than"):
        fetch_url(f"{provider}/package", max_bytes=10)


def test_a_streamed_body_over_the_limit_is_refused(provider: str) -> None:
    with pytest.raises(FetchFailed, match="larger than"):
        fetch_url(f"{provider}/huge", max_bytes=1000)


def test_a_refused_connection_is_reported() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    port = server.server_address[1]
    server.server_close()  # nothing listens on this port any more

    with pytest.raises(FetchFailed, match="ConnectionError"):
        fetch_url(f"http://127.0.0.1:{port}/package")
