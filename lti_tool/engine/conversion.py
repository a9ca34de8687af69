"""Conversion of raw scores to scale points: percent cut scores, highest matching cut wins."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .errors import PolicyError
from .numbers import snap


@dataclass(frozen=True, slots=True)
class CutScore:
    """A percent at or above which a raw score earns ``points``."""

    min_percent: float
    points: float


def percent_of(score: float, maximum: float) -> float:
    """Percent of the maximum, noise-free (8 out of 10 -> 80.0)."""
    # Multiply before dividing: 57 * 100 / 100 is exactly 57, while 57 / 100 * 100 is 56.99999999999999.
    return snap(score * 100 / maximum)


@dataclass(frozen=True)
class Conversion:
    """Cut scores from percent to points (a percent below every cut gets the scale's lowest points)."""

    cut_scores: tuple[CutScore, ...]
    _mins: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _ascending: tuple[CutScore, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.cut_scores, key=lambda cut: cut.min_percent))
        mins = tuple(cut.min_percent for cut in ordered)
        if len(set(mins)) != len(mins):
            raise PolicyError("conversion.cut_scores", "two cut scores have the same min_percent")
        object.__setattr__(self, "cut_scores", tuple(reversed(ordered)))
        object.__setattr__(self, "_mins", mins)
        object.__setattr__(self, "_ascending", ordered)

    @property
    def ascending(self) -> tuple[CutScore, ...]:
        """Cut scores from the lowest min_percent to the highest."""
        return self._ascending

    def cut_for(self, percent: float) -> CutScore | None:
        """The cut with the highest ``min_percent`` at or below ``percent``, or None if none matches."""
        index = bisect.bisect_right(self._mins, percent) - 1
        return self._ascending[index] if index >= 0 else None
