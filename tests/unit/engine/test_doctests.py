"""The worked examples in the engine's docstrings run and hold."""

import doctest

import pytest

from lti_tool.engine import methods, numbers


@pytest.mark.parametrize("module", [methods, numbers])
def test_docstring_examples_hold(module):
    outcome = doctest.testmod(module)
    assert outcome.attempted > 0 and outcome.failed == 0
