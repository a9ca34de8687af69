"""Mastery policy (scale, conversion, method, rounding, missing and reassessment rules) and its parser."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .conversion import Conversion, CutScore
from .errors import PolicyError
from .methods import METHODS, MethodInfo
from .scale import Level, ProficiencyScale

MissingRule = Literal["exclude", "zero"]
ReassessmentRule = Literal["replace", "add"]
MAX_ROUNDING = 6


@dataclass(frozen=True)
class MethodSpec:
    """A method name with its (validated, defaulted) integer parameters."""

    name: str
    params: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        info = METHODS.get(self.name)
        if info is None:
            raise PolicyError("method.name", f"unknown method {self.name!r}; use one of {', '.join(METHODS)}")
        allowed = {param.name for param in info.params}
        for key in self.params:
            if key not in allowed:
                raise PolicyError(f"method.{key}", f"{self.name} has no parameter {key!r}")
        values = {}
        for param in info.params:
            value = self.params.get(param.name, param.default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyError(f"method.{param.name}", "must be a whole number")
            if not param.minimum <= value <= param.maximum:
                raise PolicyError(f"method.{param.name}",
                                  f"must be from {param.minimum} to {param.maximum} for {self.name}")
            values[param.name] = value
        object.__setattr__(self, "params", values)

    @property
    def info(self) -> MethodInfo:
        """The registry entry for this method."""
        return METHODS[self.name]


@dataclass(frozen=True)
class Policy:
    """Everything that decides how evidence becomes a mastery result."""

    scale: ProficiencyScale
    method: MethodSpec
    conversion: Conversion | None = None
    rounding: int = 2
    missing: MissingRule = "exclude"
    reassessment: ReassessmentRule = "replace"

    def __post_init__(self) -> None:
        if isinstance(self.rounding, bool) or not isinstance(self.rounding, int) \
                or not 0 <= self.rounding <= MAX_ROUNDING:
            raise PolicyError("rounding", f"must be a whole number from 0 to {MAX_ROUNDING}")
        if self.missing not in ("exclude", "zero"):
            raise PolicyError("missing", "must be 'exclude' or 'zero'")
        if self.reassessment not in ("replace", "add"):
            raise PolicyError("reassessment", "must be 'replace' or 'add'")
        if self.conversion is not None:
            for index, cut in enumerate(self.conversion.ascending):
                if not self.scale.lowest.points <= cut.points <= self.scale.highest.points:
                    raise PolicyError(f"conversion.cut_scores[{index}].points", "must lie within the scale")


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Build a Policy from plain data (the ``sbg compute`` input keys); raise PolicyError naming the bad field."""
    _require_mapping("policy", data)
    scale = parse_scale(_required(data, "scale"))
    conversion = parse_conversion(data["conversion"]) if data.get("conversion") is not None else None
    method = parse_method(_required(data, "method"))
    rounding = data.get("rounding", 2)
    if isinstance(rounding, float) and rounding.is_integer():
        rounding = int(rounding)
    return Policy(scale=scale, method=method, conversion=conversion, rounding=rounding,
                  missing=data.get("missing", "exclude"), reassessment=data.get("reassessment", "replace"))


def parse_scale(data: Any) -> ProficiencyScale:
    """Build a ProficiencyScale from ``{"levels": [...], "mastery_points": n}``."""
    _require_mapping("scale", data)
    raw_levels = _required(data, "levels", prefix="scale")
    if not isinstance(raw_levels, list):
        raise PolicyError("scale.levels", "must be a list")
    levels = []
    for index, raw in enumerate(raw_levels):
        where = f"scale.levels[{index}]"
        _require_mapping(where, raw)
        _reject_unknown(where, raw, {"points", "label", "description", "color"})
        label = _required(raw, "label", prefix=where)
        if not isinstance(label, str) or not label.strip():
            raise PolicyError(f"{where}.label", "must be non-empty text")
        levels.append(Level(points=_number(raw.get("points"), f"{where}.points"), label=label,
                            description=str(raw.get("description", "")), color=raw.get("color")))
    mastery = _number(_required(data, "mastery_points", prefix="scale"), "scale.mastery_points")
    _reject_unknown("scale", data, {"levels", "mastery_points"})
    return ProficiencyScale(tuple(levels), mastery)


def parse_conversion(data: Any) -> Conversion:
    """Build a Conversion from ``{"cut_scores": [{"min_percent": p, "points": n}, ...]}``."""
    _require_mapping("conversion", data)
    _reject_unknown("conversion", data, {"cut_scores"})
    raw_cuts = _required(data, "cut_scores", prefix="conversion")
    if not isinstance(raw_cuts, list) or not raw_cuts:
        raise PolicyError("conversion.cut_scores", "must be a non-empty list")
    cuts = []
    for index, raw in enumerate(raw_cuts):
        where = f"conversion.cut_scores[{index}]"
        _require_mapping(where, raw)
        _reject_unknown(where, raw, {"min_percent", "points"})
        cuts.append(CutScore(_number(raw.get("min_percent"), f"{where}.min_percent"),
                             _number(raw.get("points"), f"{where}.points")))
    return Conversion(tuple(cuts))


def parse_method(data: Any) -> MethodSpec:
    """Build a MethodSpec from ``{"name": ..., "weight"|"n": ...}`` or a bare method name."""
    if isinstance(data, str):
        return MethodSpec(data)
    _require_mapping("method", data)
    name = _required(data, "name", prefix="method")
    if not isinstance(name, str):
        raise PolicyError("method.name", "must be text")
    params = {}
    for key, value in data.items():
        if key == "name":
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        params[key] = value
    return MethodSpec(name, params)


def _required(data: Mapping[str, Any], key: str, prefix: str | None = None) -> Any:
    if key not in data or data[key] is None:
        raise PolicyError(f"{prefix}.{key}" if prefix else key, "is required")
    return data[key]


def _require_mapping(where: str, data: Any) -> None:
    if not isinstance(data, Mapping):
        raise PolicyError(where, "must be an object")


def _reject_unknown(where: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in data:
        if key not in known:
            raise PolicyError(f"{where}.{key}", "unknown field")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PolicyError(where, "must be a number")
    return value
