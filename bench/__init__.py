"""Benchmarks for claimwire (`make bench`): figures as ratios to the raw encoder plus milliseconds."""
