"""Exact-enough arithmetic helpers: float-noise removal and half-away-from-zero rounding.

Every path (per student, batch, explanation) goes through these functions so that they agree to the last digit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import NDArray

#: Results are first snapped to this many decimals. Binary floats turn 4.125 into 4.12499999...; snapping at
#: 1e-9 restores the decimal value a person would compute by hand before the visible rounding happens.
SNAP_DIGITS = 9
_SNAP_SCALE = 10**SNAP_DIGITS


def snap(value: float) -> float:
    """Remove binary float noise below 1e-9 (``0.1 + 0.2`` becomes ``0.3``)."""
    # round() of a float with no digits rounds half to even, exactly like numpy.rint in snap_array.
    return round(value * _SNAP_SCALE) / _SNAP_SCALE


def snap_array(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Vectorised :func:`snap`, bit-for-bit equal to it."""
    return np.rint(values * _SNAP_SCALE) / _SNAP_SCALE


def round_half_away(value: float, digits: int) -> float:
    """Round to ``digits`` decimals, halves away from zero, after snapping noise.

    >>> round_half_away(4.125, 2), round(4.125, 2)
    (4.13, 4.12)
    >>> round_half_away(2.675, 2)
    2.68
    """
    nanos = round(value * _SNAP_SCALE)
    exact = Decimal(nanos).scaleb(-SNAP_DIGITS)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def round_half_away_array(values: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    """Vectorised :func:`round_half_away`, equal to it value for value (NaN stays NaN)."""
    finite = np.isfinite(values)
    nanos = np.rint(np.where(finite, values, 0.0) * _SNAP_SCALE).astype(np.int64)
    step = 10 ** (SNAP_DIGITS - digits)
    magnitude = (np.abs(nanos) + step // 2) // step
    rounded = np.sign(nanos) * magnitude / float(10**digits)
    return np.where(finite, rounded, np.nan)


def tidy(value: float | None) -> float | int | None:
    """A noise-free number for traces and JSON: integral values become ints (3.0 -> 3)."""
    if value is None:
        return None
    clean = snap(value)
    return int(clean) if clean.is_integer() else clean


def format_number(value: float | int, max_decimals: int = 4) -> str:
    """Plain decimal text without float noise or trailing zeros: 3.4800000001 -> '3.48', 4.0 -> '4'."""
    rounded = Decimal(round(value * _SNAP_SCALE)).scaleb(-SNAP_DIGITS)
    rounded = rounded.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP).normalize()
    text = format(rounded, "f")
    return "0" if text in ("-0", "") else text
