"""Mastery scales of a district: validated levels, WCAG colour contrast, and audited changes."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.storage.models import GradingPolicyRecord, ProficiencyScaleRecord

from . import audit
from .errors import NotFound, ServiceError

#: WCAG 2.x level AA minimum contrast for normal-size text.
MIN_TEXT_CONTRAST = 4.5
WHITE = "#FFFFFF"
BLACK = "#000000"
_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
MAX_LEVELS = 10


def normalise_colour(value: str) -> str:
    """'0b5394' or '#0B5394' -> '#0B5394'; ServiceError for anything else."""
    match = _HEX_COLOUR.match(value.strip())
    if match is None:
        raise ServiceError(f"{value!r} is not a colour; write it as #RRGGBB, for example #0B5394.")
    return "#" + match.group(1).upper()


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour (0 for black, 1 for white)."""
    hex_digits = normalise_colour(colour)[1:]
    channels = [int(hex_digits[index:index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastCheck:
    """How readable a level's colour is: white text on it (and it on a white page), and the better text colour."""

    label: str
    colour: str
    ratio_with_white: float
    passes: bool
    text_colour: str
    ratio_with_text: float

    def message(self) -> str:
        """Why the colour fails, in words an admin can act on."""
        return (f"{self.label}: white text on {self.colour} has contrast {self.ratio_with_white:.2f}:1, "
                f"below {MIN_TEXT_CONTRAST}:1; choose a darker colour")


def check_contrast(levels: Sequence[Mapping[str, Any]]) -> list[ContrastCheck]:
    """Contrast of every coloured level against white (white text on the colour, or the colour on a white page)."""
    checks = []
    for level in levels:
        colour = level.get("colour")
        if not colour:
            continue
        colour = normalise_colour(colour)
        with_white = contrast_ratio(colour, WHITE)
        with_black = contrast_ratio(colour, BLACK)
        text, ratio = (WHITE, with_white) if with_white >= MIN_TEXT_CONTRAST or with_white >= with_black \
            else (BLACK, with_black)
        checks.append(ContrastCheck(str(level.get("label", "")), colour, _two_places_down(with_white),
                                    with_white >= MIN_TEXT_CONTRAST, text, _two_places_down(ratio)))
    return checks


def _two_places_down(ratio: float) -> float:
    """Shown ratios are cut, not rounded, so 4.497 reads 4.49 and never looks like a pass it is not."""
    return math.floor(ratio * 100) / 100


@dataclass(frozen=True)
class ScaleInput:
    """Validated levels (highest points first) and the mastery threshold."""

    levels: list[dict[str, Any]]
    mastery_points: float
    contrast: list[ContrastCheck]


def validate_scale(levels: Any, mastery_points: Any) -> ScaleInput:
    """Check levels (points, label, description, colour) and the threshold; raise ServiceError listing problems."""
    problems: list[str] = []
    if not isinstance(levels, list) or not levels:
        raise ServiceError("A scale needs at least one level.")
    if len(levels) > MAX_LEVELS:
        raise ServiceError(f"A scale has at most {MAX_LEVELS} levels.")
    cleaned: list[dict[str, Any]] = []
    for number, raw in enumerate(levels, start=1):
        if not isinstance(raw, Mapping):
            problems.append(f"level {number}: must be an object")
            continue
        unknown = set(raw) - {"points", "label", "description", "colour", "color"}
        if unknown:
            problems.append(f"level {number}: unknown field {', '.join(sorted(unknown))}")
        points = _number(raw.get("points"))
        if points is None:
            problems.append(f"level {number}: points must be a number")
        label = str(raw.get("label") or "").strip()
        if not label:
            problems.append(f"level {number}: a label is required")
        colour_text = str(raw.get("colour") or raw.get("color") or "").strip()
        colour = ""
        if colour_text:
            try:
                colour = normalise_colour(colour_text)
            except ServiceError as error:
                problems.append(f"level {number}: {error}")
        cleaned.append({"points": points, "label": label, "description": str(raw.get("description") or "").strip(),
                        "colour": colour})
    points_seen = [level["points"] for level in cleaned if level["points"] is not None]
    if len(set(points_seen)) != len(points_seen):
        problems.append("two levels have the same points; each level needs its own points")
    labels = [level["label"].lower() for level in cleaned if level["label"]]
    if len(set(labels)) != len(labels):
        problems.append("two levels have the same label")
    threshold = _number(mastery_points)
    if threshold is None:
        problems.append("the mastery threshold must be a number")
    elif points_seen and not min(points_seen) <= threshold <= max(points_seen):
        problems.append(f"the mastery threshold {threshold:g} must lie between the lowest ({min(points_seen):g}) "
                        f"and highest ({max(points_seen):g}) level points")
    if problems:
        raise ServiceError("The scale is not valid: " + "; ".join(problems) + ".")
    ordered = sorted(cleaned, key=lambda level: -level["points"])
    assert threshold is not None
    return ScaleInput(ordered, threshold, check_contrast(ordered))


def _number(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _snapshot(scale: ProficiencyScaleRecord) -> dict[str, Any]:
    return {"name": scale.name, "levels": copy.deepcopy(scale.levels), "mastery_points": scale.mastery_points}


def _refuse_low_contrast(checks: list[ContrastCheck], accept_low_contrast: bool) -> None:
    failing = [check for check in checks if not check.passes]
    if failing and not accept_low_contrast:
        raise ServiceError("Some colours are hard to read: " + "; ".join(check.message() for check in failing)
                           + ". Or confirm that you keep them.")


def list_scales(session: Session, district_id: int) -> list[ProficiencyScaleRecord]:
    """The district's scales by name."""
    return list(session.scalars(select(ProficiencyScaleRecord).where(ProficiencyScaleRecord.district_id == district_id)
                                .order_by(ProficiencyScaleRecord.name)))


def get_scale(session: Session, district_id: int, scale_id: int) -> ProficiencyScaleRecord:
    """A scale of this district (NotFound for another district's id)."""
    scale = session.get(ProficiencyScaleRecord, scale_id)
    if scale is None or scale.district_id != district_id:
        raise NotFound(f"No scale {scale_id} in this district.")
    return scale


def save_scale(session: Session, district_id: int, *, name: str, levels: Any, mastery_points: Any, actor: str,
               scale_id: int | None = None, accept_low_contrast: bool = False) -> ProficiencyScaleRecord:
    """Create a scale, or replace one's name and levels; refuse low-contrast colours unless accepted; audited."""
    name = name.strip()
    if not name:
        raise ServiceError("A scale needs a name.")
    checked = validate_scale(levels, mastery_points)
    _refuse_low_contrast(checked.contrast, accept_low_contrast)
    scale = get_scale(session, district_id, scale_id) if scale_id is not None else None
    clash = session.scalar(select(ProficiencyScaleRecord.id).where(
        ProficiencyScaleRecord.district_id == district_id, ProficiencyScaleRecord.name == name))
    if clash is not None and (scale is None or clash != scale.id):
        raise ServiceError(f"A scale named {name!r} already exists in this district.")
    before = _snapshot(scale) if scale is not None else None
    if scale is None:
        scale = ProficiencyScaleRecord(district_id=district_id)
        session.add(scale)
    scale.name = name
    scale.levels = checked.levels
    scale.mastery_points = checked.mastery_points
    session.flush()
    audit.record(session, district_id=district_id, actor=actor, action="update" if before else "create",
                 entity="scale", entity_id=scale.id, before=before,
                 after={**_snapshot(scale), "low_contrast_accepted": [c.label for c in checked.contrast
                                                                      if not c.passes]})
    return scale


def delete_scale(session: Session, district_id: int, scale_id: int, *, actor: str) -> None:
    """Delete a scale no policy uses."""
    scale = get_scale(session, district_id, scale_id)
    used = session.scalar(select(GradingPolicyRecord.id).where(GradingPolicyRecord.scale_id == scale.id).limit(1))
    if used is not None:
        raise ServiceError(f"The scale {scale.name!r} is used by a grading policy; choose another scale there first.")
    audit.record(session, district_id=district_id, actor=actor, action="delete", entity="scale", entity_id=scale.id,
                 before=_snapshot(scale))
    session.delete(scale)


def describe_scale(scale: ProficiencyScaleRecord) -> dict[str, Any]:
    """A JSON-ready scale with its contrast checks."""
    return {"id": scale.id, "name": scale.name, "levels": scale.levels, "mastery_points": scale.mastery_points,
            "contrast": [asdict(check) for check in check_contrast(scale.levels)]}
