"""Evaluation against human grades, simulated candidates (personas) and the benchmarks (bench/)."""
