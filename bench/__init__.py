"""Benchmarks of newsbot beside the tools users would pick instead; run `python -m bench`."""
