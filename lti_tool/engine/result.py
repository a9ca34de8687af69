"""Result value objects: the trace Step, teacher Override, NextStep guidance and MasteryResult."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .numbers import tidy
from .scale import Level

NextStepKind = Literal["raise", "mastery_reached", "out_of_reach", "overridden"]


def json_ready(value: Any) -> Any:
    """Recursively turn trace data into JSON-safe values with noise-free numbers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return tidy(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    raise TypeError(f"trace value of type {type(value).__name__} is not serialisable")


@dataclass(frozen=True, slots=True)
class Step:
    """One trace step: a kind (e.g. ``evidence``, ``dropped``, ``method``) and its data."""

    kind: str
    data: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ``{"step": kind, **data}``."""
        return {"step": self.kind, **json_ready(self.data)}


@dataclass(frozen=True, slots=True)
class Override:
    """A teacher's decision that replaces the calculated level."""

    points: float
    reason: str
    by: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NextStep:
    """What would raise the level next: ``count`` more score(s) of ``points`` lift it to ``new_label``.

    For ``mastery_reached`` the raise fields describe how to reach a higher level, when there is one.
    """

    kind: NextStepKind
    points: float | None = None
    label: str | None = None
    count: int | None = None
    new_label: str | None = None
    new_points: float | None = None
    or_better: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return json_ready({"kind": self.kind, "points": self.points, "label": self.label, "count": self.count,
                           "new_label": self.new_label, "new_points": self.new_points,
                           "or_better": self.or_better})


@dataclass(frozen=True)
class MasteryResult:
    """The mastery result of one student on one standard, with its full trace."""

    student: str
    standard: str
    method: str
    score: float | None
    level: Level | None
    mastered: bool
    evidence_count: int
    next_step: NextStep
    trace: tuple[Step, ...] = field(default=())
    calculated_score: float | None = None
    override: Override | None = None

    def trace_dicts(self) -> list[dict[str, Any]]:
        """The trace as a JSON-safe list of step dicts."""
        return [step.to_dict() for step in self.trace]
