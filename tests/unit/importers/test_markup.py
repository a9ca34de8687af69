"""Plain text to and from LMS description HTML."""

from __future__ import annotations

import pytest

from lti_tool.adapters.importers.markup import html_to_text, text_to_html


@pytest.mark.parametrize(
    "text", ["a < b & c > d", "first line\nsecond line", "one\n\ntwo", "AT&T", "b ≠ 0, 30%"]
)
def test_text_written_as_html_reads_back_unchanged(text: str) -> None:
    assert html_to_text(text_to_html(text)) == text


def test_paragraphs_and_breaks_become_lines_and_wrapping_becomes_spaces() -> None:
    fragment = "<p>Achieving\nResults<br></p><ul><li>One &amp; two</li><li>Three</li></ul>"

    assert html_to_text(fragment) == "Achieving Results\n\nOne & two\nThree"


def test_text_without_markup_is_only_trimmed() -> None:
    assert html_to_text("  Use ratios\nwell.  ") == "Use ratios\nwell."
