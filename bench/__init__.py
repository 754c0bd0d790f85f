"""Benchmarks run by hand, side by side with baselines; results go to bench/results and docs."""
