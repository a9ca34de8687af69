"""Geometry of the evidence chart: the scale's levels as horizontal bands, each counted score as a point in
time order, and the current result as a line. Drawn as SVG by the template; the data table is its text twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lti_tool.services.student_views import EvidenceLine, LevelView

WIDTH, HEIGHT = 680, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 12, 44


@dataclass(frozen=True)
class Band:
    """One level's band: from its points up to the next level's."""

    level: LevelView
    y: float
    height: float
    label_y: float


@dataclass(frozen=True)
class Point:
    """One counted score."""

    x: float
    y: float
    line: EvidenceLine


@dataclass(frozen=True)
class Chart:
    """Everything the SVG needs, in pixels."""

    width: int
    height: int
    left: int
    plot_right: float
    bottom: float
    bands: list[Band]
    points: list[Point]
    result_y: float | None
    ticks: list[tuple[float, float]]  # (points, y)


def build_chart(levels: Sequence[LevelView], evidence: Sequence[EvidenceLine], score: float | None) -> Chart:
    """Lay out bands (levels highest first), counted evidence in time order, and the result line."""
    ascending = sorted(levels, key=lambda level: level.points)
    low = min(0.0, ascending[0].points)
    step = (ascending[-1].points - ascending[-2].points) if len(ascending) > 1 else 1.0
    high = ascending[-1].points + step / 2
    plot_right = WIDTH - RIGHT
    bottom = HEIGHT - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (bottom - TOP), 1)

    bands = []
    for index, level in enumerate(ascending):
        start = low if index == 0 else level.points
        end = ascending[index + 1].points if index + 1 < len(ascending) else high
        top, base = y_of(end), y_of(start)
        bands.append(Band(level, top, round(base - top, 1), round((top + base) / 2 + 4, 1)))
    counted = [line for line in evidence if line.counted and line.points is not None]
    gap = (plot_right - LEFT) / (len(counted) + 1)
    points = [Point(round(LEFT + gap * (index + 1), 1), y_of(float(line.points or 0)), line)
              for index, line in enumerate(counted)]
    ticks = [(level.points, y_of(level.points)) for level in ascending]
    return Chart(WIDTH, HEIGHT, LEFT, plot_right, bottom, list(reversed(bands)), points,
                 y_of(score) if score is not None else None, ticks)
