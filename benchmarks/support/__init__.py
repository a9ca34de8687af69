"""Helpers of the production-like benchmarks and tests: TLS certificates, the running stack, latency statistics."""
