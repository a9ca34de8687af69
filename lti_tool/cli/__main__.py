"""`python -m lti_tool.cli`: the same as the `sbg` console script."""

from . import main

main()
