"""Downloading a framework from a provider, with a timeout and a size limit."""

from __future__ import annotations

import requests

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60
# A 10,000-standard CASE package with its associations is about 15 MB; leave room, refuse more.
MAX_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024


class FetchFailed(Exception):
    """The address could not be downloaded (network, HTTP status, or size)."""


def fetch_url(url: str, max_bytes: int = MAX_BYTES) -> bytes:
    """GET `url` as JSON and return the body, refusing bodies larger than `max_bytes`."""
    headers = {"Accept": "application/json", "User-Agent": "sbg-standards-import"}
    try:
        with requests.get(
            url,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            stream=True,
        ) as response:
            if response.status_code != 200:
                raise FetchFailed(f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchFailed(_too_large(max_bytes))
            body = bytearray()
            for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchFailed(_too_large(max_bytes))
            return bytes(body)
    except requests.RequestException as error:
        raise FetchFailed(f"the download failed ({type(error).__name__})") from error


def _too_large(max_bytes: int) -> str:
    """The message for a body over the limit."""
    megabytes = max_bytes // (1024 * 1024)
    return f"the response is larger than {megabytes} MB" if megabytes else (
        f"the response is larger than {max_bytes} bytes"
    )
