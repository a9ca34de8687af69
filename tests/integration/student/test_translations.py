"""The Spanish catalog covers every engine message template and every student-area string, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lti_tool.engine import MESSAGES
from lti_tool.web.student.babel_extract import engine_msgids

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "lti_tool" / "translations"
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


@pytest.fixture(scope="module")
def spanish():
    """The compiled Spanish catalog, as the app loads it."""
    with open(TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        return read_mo(handle)


def _translation(catalog, msgid: str) -> str:
    message = catalog.get(msgid)
    return message.string if message is not None else ""


def test_every_engine_message_template_has_a_spanish_translation(spanish):
    missing = [msgid for msgid in MESSAGES.values() if not _translation(spanish, msgid)]
    assert missing == []


def test_every_method_name_has_a_spanish_translation(spanish):
    assert all(_translation(spanish, msgid) for msgid in engine_msgids())


def test_spanish_templates_keep_exactly_the_english_placeholders(spanish):
    for msgid in MESSAGES.values():
        english = sorted(PLACEHOLDER.findall(msgid))
        assert sorted(PLACEHOLDER.findall(_translation(spanish, msgid))) == english, msgid


def test_every_string_of_the_student_area_is_translated(spanish):
    method_map = [("**/student/**.py", "python"), ("**/templates/student/**.html", "jinja2"),
                  ("**/templates/_explanation.html", "jinja2")]
    found = {message for *_, message, _, _ in extract_from_dir(str(ROOT / "lti_tool"), method_map)}
    ids = {message if isinstance(message, str) else message[0] for message in found}
    assert ids, "the extractor found no strings"
    untranslated = sorted(msgid for msgid in ids if not _translation(spanish, msgid))
    assert untranslated == []


def test_the_compiled_catalog_matches_the_source_catalog(spanish):
    with open(TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        source = read_po(handle)
    for message in source:
        if message.id and not isinstance(message.id, tuple):
            assert _translation(spanish, message.id) == message.string, message.id
