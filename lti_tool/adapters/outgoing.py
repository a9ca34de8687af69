"""The identifiable requests session every outgoing call uses (Canvas refuses requests without a User-Agent)."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from lti_tool import __version__


def user_agent(base_url: str) -> str:
    """`sbg/<version> (+<base url>)`."""
    return f"sbg/{__version__} (+{base_url})"


def make_http_session(base_url: str, pool_size: int = 20) -> requests.Session:
    """A keep-alive session with a User-Agent and a connection pool sized for threaded servers."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent(base_url)
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
