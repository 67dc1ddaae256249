"""Tests of tools/benchmarks/: its modules import each other by name, as
the scripts there (and tools/analysis/benchmark.py) import them, so the
folder goes on sys.path."""
import os.path as osp
import sys

BENCHMARKS = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..',
                                  'tools', 'benchmarks'))
if BENCHMARKS not in sys.path:
    sys.path.insert(0, BENCHMARKS)
