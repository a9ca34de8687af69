"""Evidence: one score (or rubric rating) of one student on one standard, with its flags and time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import EvidenceError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

#: Sort key for evidence without any timestamp: Canvas treats a missing time as 0, so it sorts first.
UNDATED = -(2**63)


def as_utc(moment: datetime) -> datetime:
    """The same instant with UTC tzinfo; naive datetimes are taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def time_key(moment: datetime | None) -> int:
    """Integer microseconds since 1970 (exact, used by both paths for ordering); UNDATED for None."""
    if moment is None:
        return UNDATED
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class Evidence:
    """One assessment of a student on a standard.

    Give either ``score`` and ``max_score`` (converted through the policy's cut scores) or ``points``
    (a rubric rating already in scale points). Excused and missing items may carry neither.
    Time order uses ``submitted_at``, falling back to ``graded_at``. ``weight`` (above 0, default 1) is how
    much the item counts in the methods that take a mean; the others ignore it.
    """

    student: str
    standard: str
    assignment: str
    score: float | None = None
    max_score: float | None = None
    points: float | None = None
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    assignment_id: str | None = None
    id: str | None = None
    replaces: str | None = None
    excused: bool = False
    missing: bool = False
    late: bool = False
    weight: float = 1.0

    def __post_init__(self) -> None:
        _check_number("score", self.score)
        _check_number("max", self.max_score)
        _check_number("points", self.points)
        _check_number("weight", self.weight)
        if self.weight <= 0:
            raise EvidenceError("weight", "must be greater than 0")
        if self.max_score is not None and self.max_score <= 0:
            raise EvidenceError("max", "must be greater than 0")
        if self.points is not None and (self.score is not None or self.max_score is not None):
            raise EvidenceError("points", "give either points or score and max, not both")
        if (self.score is None) != (self.max_score is None):
            raise EvidenceError("max" if self.max_score is None else "score", "score and max go together")
        if self.points is None and self.score is None and not (self.excused or self.missing):
            raise EvidenceError("score", "needs score and max, or points, unless excused or missing")
        if self.replaces is not None and self.replaces == self.id:
            raise EvidenceError("replaces", "an item cannot replace itself")

    @property
    def at(self) -> datetime | None:
        """When the evidence happened: submission time, falling back to grading time."""
        return self.submitted_at if self.submitted_at is not None else self.graded_at

    @property
    def order_key(self) -> int:
        """Integer time key for sorting (equal keys keep input order)."""
        return time_key(self.at)

    @property
    def label(self) -> str:
        """Name for people: the assignment title, else its id."""
        return self.assignment or self.assignment_id or self.id or ""


def _check_number(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EvidenceError(name, "must be a number")
    if not math.isfinite(value) or value < 0:
        raise EvidenceError(name, "must be a finite number at or above 0")
