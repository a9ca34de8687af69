"""Plain text to and from the HTML that Canvas and Moodle store in descriptions."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Tags after which a reader expects a new line.
_BREAKING_TAGS = frozenset(
    {"br", "p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, turning block ends and <br> into line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(_SPACES.sub(" ", data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKING_TAGS and tag != "br":
            self.parts.append("\n")


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML description; text without markup is returned as it is."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    lines = "".join(collector.parts).split("\n")
    text = "\n".join(line.strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def text_to_html(text: str) -> str:
    """Plain text as an HTML description that reads back to the same text."""
    return html.escape(text, quote=False).replace("\n", "<br>")
