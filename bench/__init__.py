"""PropDesk benchmarks: ``python -m bench.generate`` and ``python -m bench.run`` (see README.md)."""
