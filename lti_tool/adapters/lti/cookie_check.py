"""pylti1p3's cookie check page: reload with cookies if the browser allows them, else offer a new window."""

from __future__ import annotations

from collections.abc import Mapping

from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage


def cookie_check_page(params: Mapping[str, str], protocol: str) -> str:
    """HTML that re-requests the login with `params` once cookies are known to work."""
    page = CookiesAllowedCheckPage(dict(params), protocol, "Your browser blocks cookies inside the course page.",
                                   "Open sbg in a new window", "Loading…")
    return page.get_html()
