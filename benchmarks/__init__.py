"""Speed and latency measurements of optbook, printed as ratios: ``python -m benchmarks``."""
