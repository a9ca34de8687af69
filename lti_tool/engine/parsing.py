"""Plain-data parsers for evidence and overrides (the ``sbg compute`` JSON shapes), naming bad fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .errors import EvidenceError, InputError, PolicyError
from .evidence import Evidence, as_utc
from .result import Override
from .scale import ProficiencyScale

_EVIDENCE_FIELDS = {"student", "standard", "assignment", "assignment_id", "id", "score", "max", "points", "at",
                    "submitted_at", "graded_at", "excused", "missing", "late", "replaces",
                    "weight"}


def parse_datetime(value: Any, where: str) -> datetime | None:
    """An ISO 8601 timestamp ("2026-09-01T10:00:00Z") as an aware UTC datetime; naive input is taken as UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(where, "must be an ISO 8601 date-time text")
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise InputError(where, f"is not a valid ISO 8601 date-time: {value!r}") from None


def parse_evidence_list(items: Any) -> list[Evidence]:
    """Parse a list of evidence objects; check ids are unique and ``replaces`` points at an existing id."""
    if not isinstance(items, list):
        raise EvidenceError("evidence", "must be a list")
    parsed = [parse_evidence(item, f"evidence[{index}]") for index, item in enumerate(items)]
    known: set[tuple[str, str, str]] = set()
    for index, item in enumerate(parsed):
        if item.id is not None:
            key = (item.student, item.standard, item.id)
            if key in known:
                raise EvidenceError(f"evidence[{index}].id", "is used twice for the same student and standard")
            known.add(key)
    for index, item in enumerate(parsed):
        if item.replaces is not None and (item.student, item.standard, item.replaces) not in known:
            raise EvidenceError(f"evidence[{index}].replaces",
                                "must be the id of another item of the same student and standard")
    return parsed


def parse_evidence(data: Any, where: str = "evidence") -> Evidence:
    """Parse one evidence object; errors name ``<where>.<field>``."""
    if not isinstance(data, Mapping):
        raise EvidenceError(where, "must be an object")
    for key in data:
        if key not in _EVIDENCE_FIELDS:
            raise EvidenceError(f"{where}.{key}", "unknown field")
    if "at" in data and "submitted_at" in data:
        raise EvidenceError(f"{where}.at", "give at or submitted_at, not both")
    try:
        return Evidence(
            student=_identifier(data.get("student"), f"{where}.student", required=True),
            standard=_identifier(data.get("standard"), f"{where}.standard", required=True),
            assignment=_text(data.get("assignment"), f"{where}.assignment") or "",
            assignment_id=_identifier(data.get("assignment_id"), f"{where}.assignment_id"),
            id=_identifier(data.get("id"), f"{where}.id"),
            replaces=_identifier(data.get("replaces"), f"{where}.replaces"),
            score=data.get("score"),
            max_score=data.get("max"),
            points=data.get("points"),
            submitted_at=parse_datetime(data.get("at", data.get("submitted_at")),
                                        f"{where}.{'at' if 'at' in data else 'submitted_at'}"),
            graded_at=parse_datetime(data.get("graded_at"), f"{where}.graded_at"),
            excused=_flag(data.get("excused"), f"{where}.excused"),
            missing=_flag(data.get("missing"), f"{where}.missing"),
            late=_flag(data.get("late"), f"{where}.late"),
            weight=1.0 if data.get("weight") is None else data["weight"],
        )
    except EvidenceError as error:
        if error.field.startswith(where):
            raise
        raise EvidenceError(f"{where}.{error.field}", error.message) from None
    except InputError as error:
        raise EvidenceError(error.field, error.message) from None


def parse_overrides(items: Any, scale: ProficiencyScale) -> dict[tuple[str, str], Override]:
    """Parse teacher overrides ``[{"student", "standard", "level" (label or points), "reason", "by", "at"}]``."""
    if not isinstance(items, list):
        raise PolicyError("overrides", "must be a list")
    overrides: dict[tuple[str, str], Override] = {}
    for index, data in enumerate(items):
        where = f"overrides[{index}]"
        if not isinstance(data, Mapping):
            raise PolicyError(where, "must be an object")
        for key in data:
            if key not in {"student", "standard", "level", "reason", "by", "at"}:
                raise PolicyError(f"{where}.{key}", "unknown field")
        key = (_identifier(data.get("student"), f"{where}.student", required=True) or "",
               _identifier(data.get("standard"), f"{where}.standard", required=True) or "")
        overrides[key] = Override(points=_level_points(data.get("level"), scale, f"{where}.level"),
                                  reason=_text(data.get("reason"), f"{where}.reason") or "",
                                  by=_text(data.get("by"), f"{where}.by") or "",
                                  at=parse_datetime(data.get("at"), f"{where}.at"))
    return overrides


def _level_points(value: Any, scale: ProficiencyScale, where: str) -> float:
    for level in scale.levels:
        if value == level.label or (not isinstance(value, (bool, str)) and value == level.points):
            return level.points
    choices: Sequence[str] = [level.label for level in scale.levels]
    raise PolicyError(where, f"must be a level label or its points ({', '.join(choices)})")


def _identifier(value: Any, where: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InputError(where, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise InputError(where, "must be non-empty text or a whole number")
    return str(value)


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(where, "must be text")
    return value


def _flag(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(where, "must be true or false")
    return value
