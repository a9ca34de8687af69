"""Local HTTP servers that answer like Canvas and Moodle, for contract tests and benchmarks."""
