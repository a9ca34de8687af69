"""Babel extractor for the engine's explanation templates and method names, which are data, not gettext calls.

Listed in `babel.cfg`, so `pybabel extract` puts every :data:`lti_tool.engine.MESSAGES` template and every
method label into the catalog, and translators see them next to the page strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from lti_tool.engine import MESSAGES, METHODS


def engine_msgids() -> list[str]:
    """Every engine string that is shown to people: explanation templates, then method labels."""
    return [*MESSAGES.values(), *(info.label for info in METHODS.values())]


def extract_engine_messages(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                            options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line, function, message, comments) for each engine string, ignoring the file's own text."""
    ids = {template: key for key, template in MESSAGES.items()}
    for template in engine_msgids():
        note = f"engine message {ids[template]}" if template in ids else "calculation method name"
        yield 1, "gettext", template, [note]
