"""Proficiency scales: ordered levels with points, and the mapping from a score to a level."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from .errors import PolicyError


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a proficiency scale, e.g. 3 points, "Meets"."""

    points: float
    label: str
    description: str = ""
    color: str | None = None


@dataclass(frozen=True)
class ProficiencyScale:
    """Levels from highest to lowest points, and the points at which mastery starts."""

    levels: tuple[Level, ...]
    mastery_points: float
    _ascending_points: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.levels:
            raise PolicyError("scale.levels", "needs at least one level")
        for index in range(1, len(self.levels)):
            if not self.levels[index].points < self.levels[index - 1].points:
                raise PolicyError(
                    f"scale.levels[{index}].points",
                    "levels must be listed from the highest points to the lowest, each lower than the one before",
                )
        labels = [level.label for level in self.levels]
        if len(set(labels)) != len(labels):
            raise PolicyError("scale.levels", "level labels must be unique")
        if not self.lowest.points <= self.mastery_points <= self.highest.points:
            raise PolicyError("scale.mastery_points", "must lie between the lowest and highest level points")
        object.__setattr__(self, "_ascending_points", tuple(level.points for level in reversed(self.levels)))

    @property
    def highest(self) -> Level:
        """The top level."""
        return self.levels[0]

    @property
    def lowest(self) -> Level:
        """The bottom level."""
        return self.levels[-1]

    @property
    def ascending_points(self) -> tuple[float, ...]:
        """Level points from lowest to highest (for searches and the batch path)."""
        return self._ascending_points

    def rank_of(self, score: float) -> int:
        """Index into ``ascending_points`` of the level for ``score``; below the scale counts as the lowest."""
        return max(bisect.bisect_right(self._ascending_points, score) - 1, 0)

    def level_for(self, score: float) -> Level:
        """The highest level whose points are at or below ``score`` (the lowest level if none is)."""
        return self.levels[len(self.levels) - 1 - self.rank_of(score)]

    def is_mastered(self, score: float) -> bool:
        """Whether ``score`` is at or above the mastery threshold."""
        return score >= self.mastery_points

    def level_with_points(self, points: float) -> Level | None:
        """The level with exactly these points, if any."""
        return next((level for level in self.levels if level.points == points), None)
