"""Standards framework files: parse the four formats into drafts and write drafts back out.

`FORMATS` maps the CLI's `--format` names to a (parse, export) pair:

    draft = FORMATS["canvas"].parse(data)      # bytes -> FrameworkDraft, or raises ImportFailed
    data = FORMATS["case"].export(draft)       # FrameworkDraft -> bytes
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from lti_tool.adapters.importers.canvas_outcomes import (
    export_canvas_outcomes,
    parse_canvas_outcomes,
)
from lti_tool.adapters.importers.case_json import (
    export_case_json,
    parse_case_json,
    parse_case_url,
)
from lti_tool.adapters.importers.csv_framework import export_csv_framework, parse_csv_framework
from lti_tool.adapters.importers.drafts import (
    ExportFailed,
    FrameworkDraft,
    ImportFailed,
    ImportProblem,
    RatingDraft,
    ScaleDraft,
    StandardDraft,
)
from lti_tool.adapters.importers.https_fetch import FetchFailed
from lti_tool.adapters.importers.moodle_competencies import (
    export_moodle_competencies,
    parse_moodle_competencies,
)


class FrameworkFormat(NamedTuple):
    """A file format's parser and exporter."""

    parse: Callable[[bytes], FrameworkDraft]
    export: Callable[[FrameworkDraft], bytes]


FORMATS: dict[str, FrameworkFormat] = {
    "case": FrameworkFormat(parse_case_json, export_case_json),
    "canvas": FrameworkFormat(parse_canvas_outcomes, export_canvas_outcomes),
    "moodle": FrameworkFormat(parse_moodle_competencies, export_moodle_competencies),
    "csv": FrameworkFormat(parse_csv_framework, export_csv_framework),
}

__all__ = [
    "FORMATS",
    "ExportFailed",
    "FetchFailed",
    "FrameworkDraft",
    "FrameworkFormat",
    "ImportFailed",
    "ImportProblem",
    "RatingDraft",
    "ScaleDraft",
    "StandardDraft",
    "export_canvas_outcomes",
    "export_case_json",
    "export_csv_framework",
    "export_moodle_competencies",
    "parse_canvas_outcomes",
    "parse_case_json",
    "parse_case_url",
    "parse_csv_framework",
    "parse_moodle_competencies",
]
