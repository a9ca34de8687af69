"""Rounding half away from zero and noise-free number text."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.engine.numbers import format_number, round_half_away, round_half_away_array, snap, tidy


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (4.125, 2, 4.13), (2.675, 2, 2.68), (1.005, 2, 1.01), (3.475, 2, 3.48), (4.46975, 2, 4.47),
    (2.5, 0, 3.0), (3.4999, 0, 3.0), (-1.5, 0, -2.0), (0.1 + 0.2, 1, 0.3), (3.0, 2, 3.0),
])
def test_round_half_away_rounds_halves_up_as_canvas_does(value, digits, expected):
    assert round_half_away(value, digits) == expected


def test_python_round_differs_on_the_canvas_example():
    assert round(4.125, 2) == 4.12
    assert round_half_away(4.125, 2) == 4.13


@given(st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), max_size=30), st.integers(0, 4))
def test_vector_rounding_equals_scalar_rounding(values, digits):
    vector = round_half_away_array(np.array(values, dtype=np.float64), digits)
    assert list(vector) == [round_half_away(value, digits) for value in values]


def test_vector_rounding_keeps_nan():
    assert np.isnan(round_half_away_array(np.array([np.nan]), 2)[0])


def test_snap_removes_binary_noise():
    assert snap(0.1 + 0.2) == 0.3
    assert snap(0.57 * 100) == 57.0


@pytest.mark.parametrize(("value", "text"), [
    (3.4800000001, "3.48"), (4.0, "4"), (0.65, "0.65"), (2.5275, "2.5275"), (80.00000000000001, "80"),
    (4.46975, "4.4698"), (0, "0"), (-0.0, "0"),
])
def test_format_number_has_no_float_noise(value, text):
    assert format_number(value) == text


def test_tidy_turns_whole_floats_into_ints():
    assert tidy(3.0) == 3 and isinstance(tidy(3.0), int)
    assert tidy(3.6500000000000004) == 3.65
    assert tidy(None) is None
