"""Page lists the way each LMS does and announce the next page in a `Link` header."""

from __future__ import annotations

from typing import Any, Sequence
from urllib.parse import urlencode

from flask import request


def paginate(items: Sequence[Any], profile: str, default_size: int) -> tuple[list[Any], str | None]:
    """The current page and the Link header value (None on the last page).

    Canvas pages with `page` (1-based) and `per_page` (also honours the AGS/NRPS `limit`); Moodle with
    `from` (an offset) and `limit`. Every other query parameter (e.g. Moodle's `type_id`) is kept.
    """
    args = request.args.to_dict()
    size = _positive_int(args.get("limit") or args.get("per_page"), default_size)
    if profile == "canvas":
        page = _positive_int(args.get("page"), 1)
        start = (page - 1) * size
        next_args = dict(args, page=str(page + 1))
    else:
        start = _positive_int(args.get("from"), 0, allow_zero=True)
        next_args = dict(args, **{"from": str(start + size), "limit": str(size)})
    if "per_page" not in args and profile == "canvas":
        next_args["per_page"] = str(size)
    chunk = list(items[start : start + size])
    links = []
    if start + size < len(items):
        links.append(f'<{request.base_url}?{urlencode(next_args)}>; rel="next"')
    if profile == "canvas":
        first_args = dict(next_args, page="1")
        links.append(f'<{request.base_url}?{urlencode(first_args)}>; rel="first"')
    return chunk, ", ".join(links) or None


def _positive_int(value: str | None, default: int, allow_zero: bool = False) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number > 0 or (allow_zero and number == 0) else default
