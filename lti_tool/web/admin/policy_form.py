"""The policy and scale editors' fields, turned into policy settings and scale levels (shared by page and API)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lti_tool.engine import METHODS
from lti_tool.services.errors import ServiceError
from lti_tool.services.policies import SETTING_KEYS

CUT_ROWS = 6
#: Keys the policy editor edits; the scale is chosen by id.
FORM_KEYS = ("scale", "conversion", "method", "rounding", "missing", "reassessment", "grade_rules")


@dataclass(frozen=True)
class PolicyForm:
    """What a submitted policy editor says: settings, locked keys and the chosen scale."""

    settings: dict[str, Any]
    locked: list[str]
    scale_id: int | None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value if value is not None else "").strip()


def _flag(data: Mapping[str, Any], key: str) -> bool:
    return _text(data, key) not in ("", "0", "false", "off")


def _int(data: Mapping[str, Any], key: str, what: str) -> int:
    try:
        return int(_text(data, key))
    except ValueError:
        raise ServiceError(f"{what} must be a whole number.") from None


def _float(text: str, what: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ServiceError(f"{what} must be a number.") from None
    return int(number) if number.is_integer() else number


def read_policy_form(data: Mapping[str, Any], *, framework_scope: bool) -> PolicyForm:
    """Settings from the editor's fields; in a framework's scope only the keys marked "set here" are kept."""
    settings: dict[str, Any] = {}
    cuts = []
    for row in range(CUT_ROWS):
        percent, points = _text(data, f"cut_min_{row}"), _text(data, f"cut_points_{row}")
        if percent or points:
            cuts.append({"min_percent": _float(percent, f"Cut score {row + 1} percent"),
                         "points": _float(points, f"Cut score {row + 1} points")})
    if cuts:
        settings["conversion"] = {"cut_scores": cuts}
    name = _text(data, "method")
    if name not in METHODS:
        raise ServiceError(f"Choose a calculation method ({', '.join(METHODS)}).")
    params = METHODS[name].params
    settings["method"] = {"name": name, params[0].name: _int(data, "method_param", METHODS[name].label + " setting")} \
        if params else {"name": name}
    settings["rounding"] = _int(data, "rounding", "Rounding")
    settings["missing"] = _text(data, "missing") or "exclude"
    settings["reassessment"] = _text(data, "reassessment") or "replace"
    rules = _text(data, "grade_rules")
    if rules:
        try:
            settings["grade_rules"] = json.loads(rules)
        except json.JSONDecodeError as error:
            raise ServiceError(f"The letter-grade rules are not valid JSON: {error.msg} "
                               f"(line {error.lineno}, column {error.colno}).") from None
    scale_text = _text(data, "scale_id")
    scale_id = int(scale_text) if scale_text.isdigit() else None
    if framework_scope:
        settings = {key: value for key, value in settings.items() if _flag(data, f"override_{key}")}
        if not _flag(data, "override_scale"):
            scale_id = None
    locked = [key for key in SETTING_KEYS if _flag(data, f"lock_{key}")]
    return PolicyForm(settings, locked, scale_id)


def read_scale_form(data: Mapping[str, Any], rows: int) -> tuple[str, list[dict[str, Any]], Any, bool]:
    """(name, levels, mastery points, low contrast accepted) from the scale editor; blank rows are skipped."""
    levels = []
    for row in range(rows):
        fields = {name: _text(data, f"{name}_{row}") for name in ("points", "label", "description", "colour")}
        if not (fields["points"] or fields["label"] or fields["description"]):
            continue
        levels.append({"points": fields["points"], "label": fields["label"], "description": fields["description"],
                       "colour": fields["colour"]})
    return _text(data, "name"), levels, _text(data, "mastery_points"), _flag(data, "accept_low_contrast")


def form_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as the editor's field values."""
    method = document.get("method", {})
    method = {"name": method} if isinstance(method, str) else dict(method)
    name = method.get("name", "decaying_average")
    params = METHODS[name].params if name in METHODS else ()
    values: dict[str, Any] = {
        "method": name, "method_param": method.get(params[0].name, params[0].default) if params else "",
        "rounding": document.get("rounding", 2), "missing": document.get("missing", "exclude"),
        "reassessment": document.get("reassessment", "replace"),
        "grade_rules": json.dumps(document["grade_rules"], indent=2) if document.get("grade_rules") else "",
    }
    cuts = (document.get("conversion") or {}).get("cut_scores", [])
    for row in range(CUT_ROWS):
        cut = cuts[row] if row < len(cuts) else {}
        values[f"cut_min_{row}"] = cut.get("min_percent", "")
        values[f"cut_points_{row}"] = cut.get("points", "")
    return values
