"""Explanations in the reader's language: engine sentences rendered through the translation catalog.

Each engine message template is translated whole and then filled in, so no sentence is ever glued together
from pieces. Numbers and dates follow the language (Spanish writes 3,48 and "1 de septiembre de 2026").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from babel.dates import format_date
from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, gettext

from lti_tool import engine
from lti_tool.engine.explain import Listing
from lti_tool.engine.numbers import format_number


def _locale_name() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


def format_points(value: float | None) -> str:
    """A score or level's points in the current language ("3.48" in English, "3,48" in Spanish)."""
    if value is None:
        return ""
    text = format_number(value)
    symbol = get_decimal_symbol(_locale_name())
    return text.replace(".", symbol) if symbol != "." else text


def format_day(moment: date | None) -> str:
    """A date in words in the current language."""
    if moment is None:
        return ""
    return format_date(moment, format="long", locale=_locale_name())


def render_sentences(sentences: Iterable[engine.Sentence]) -> list[str]:
    """The sentences as text in the current language."""
    prepared = [_with_lists(sentence) for sentence in sentences]
    return engine.render(prepared, translate=gettext, number=format_points, day=format_day)


def _with_lists(sentence: engine.Sentence) -> engine.Sentence:
    """Lists of numbers use "; " where the decimal mark is a comma, so "2,5; 3" is not misread as "2, 5, 3"."""
    params = dict(sentence.params)
    for key, value in params.items():
        if isinstance(value, Listing):
            separator = "; " if get_decimal_symbol(_locale_name()) == "," else ", "
            params[key] = separator.join(format_points(item) for item in value)
    return engine.Sentence(sentence.message_id, params)
