"""The minimal examples in the admin guide are real, importable files."""

from __future__ import annotations

import re

from lti_tool.adapters.importers import FORMATS
from tests.unit.importers.framework_files import REPOSITORY

GUIDE = REPOSITORY / "docs" / "admin" / "standards-formats.md"


def test_each_formats_example_in_the_admin_guide_imports() -> None:
    examples = re.findall(r"```(?:csv|json)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)

    drafts = [FORMATS[name].parse(example.encode()) for name, example in
              zip(["csv", "canvas", "moodle", "case"], examples, strict=True)]

    assert [len(draft.standards) for draft in drafts] == [4, 2, 2, 1]
