#!/usr/bin/env python3
"""Compare heaviside with the plain-Python baseline in one process, for before/after checks.

Usage: .venv/bin/python bench/quick.py [WORKLOAD ...] [--rounds R] [--seconds S]

Each round times the baseline, the engine driven inline and the local
runner once each, interleaved, for about S seconds each (default 0.2).
The best round of R (default 5) is reported, because on a shared machine
other load only ever adds time. This is quicker and less complete than
bench/run.py, which runs every peer in its own process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench import heaviside_harness  # noqa: E402
from bench.run import SHARED_BENCH, STATES, WORKLOADS  # noqa: E402


def load_baseline():
    peers = str(SHARED_BENCH / "peers")
    sys.path.insert(0, peers)
    spec = importlib.util.spec_from_file_location("bench_baseline", SHARED_BENCH / "peers" / "baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(peers)
    return module.WORKLOADS


def time_per_call(function, argument, seconds: float) -> float:
    """Return the seconds per call of `function(argument)`, calling it for about `seconds`."""
    function(argument)
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        function(argument)
        calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return (now - started) / calls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Compare heaviside with the baseline in one process")
    parser.add_argument("workloads", nargs="*", default=WORKLOADS, help="workloads to run (default all five)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the best one counts (default 5)")
    parser.add_argument("--seconds", type=float, default=0.2, help="seconds per measurement (default 0.2)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload: {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if not SHARED_BENCH.is_dir():
        parser.error(f"the workloads are not at {SHARED_BENCH}; set SHARED_BENCH to the folder with defs/ and inputs/")

    baselines = load_baseline()
    print(f"{'workload':16} {'baseline us':>12} {'engine us':>12} {'runner us':>12} {'engine x':>9} {'runner x':>9} {'us/state':>9}")
    for workload in args.workloads:
        definition = json.loads((SHARED_BENCH / "defs" / f"{workload}.json").read_text())
        execution_input = json.loads((SHARED_BENCH / "inputs" / f"{workload}.json").read_text())
        candidates = {
            "baseline": baselines[workload],
            "engine": heaviside_harness.prepare(definition, "engine"),
            "runner": heaviside_harness.prepare(definition, "runner"),
        }
        best = {name: float("inf") for name in candidates}
        for _ in range(args.rounds):
            for name, function in candidates.items():
                best[name] = min(best[name], time_per_call(function, execution_input, args.seconds))
        base = best["baseline"]
        print(
            f"{workload:16} {base * 1e6:12.1f} {best['engine'] * 1e6:12.1f} {best['runner'] * 1e6:12.1f} "
            f"{best['engine'] / base:9.1f} {best['runner'] / base:9.1f} {best['runner'] * 1e6 / STATES[workload]:9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
