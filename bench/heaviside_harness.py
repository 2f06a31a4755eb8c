#!/usr/bin/env python3
"""Benchmark harness for heaviside, with the contract of the peer harnesses.

Usage:
    python bench/heaviside_harness.py DEFINITION.json INPUT.json N [--warmup K] [--mode MODE]

The definition is loaded and validated once (not timed), then K warm-up
executions run (default 1, not timed), then N executions are timed with
`time.perf_counter()` around the whole loop. One JSON line is printed:
{"peer", "definition", "runs", "seconds", "per_execution_us", "output"}.

Modes:
    runner  `heaviside.local.run` with the loaded model, the public in-process
            entry point: its Task handlers run on a thread pool (default).
    engine  the engine driven directly in this thread: `start` and `advance`
            with Task handlers called inline and Fork children run depth
            first. This is the interpreter's own cost without the runner's
            queue and threads.

A Task whose Resource names the function `echo` returns its payload, as the
peers' mock Lambda does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from bench.engine_driver import run_inline  # noqa: E402


def echo(event, context):
    return event


FUNCTIONS = {"echo": echo}


def prepare(definition_obj, mode):
    """Load `definition_obj` once and return a callable that runs one execution of it."""
    import heaviside
    from heaviside.local import SUCCEEDED, run

    model = heaviside.load_definition(definition_obj)

    if mode == "engine":
        return lambda execution_input: run_inline(model, execution_input, FUNCTIONS)

    def run_local(execution_input):
        execution = run(model, execution_input, functions=FUNCTIONS)
        if execution.status != SUCCEEDED:
            raise RuntimeError(f"execution ended {execution.status}: {execution.error}: {execution.cause}")
        return execution.output

    return run_local


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="ASL benchmark harness for heaviside")
    parser.add_argument("definition", help="path of the state machine definition (JSON)")
    parser.add_argument("input", help="path of the execution input (JSON)")
    parser.add_argument("runs", type=int, help="number of timed executions")
    parser.add_argument("--warmup", type=int, default=1, help="untimed executions before the timed ones (default 1)")
    parser.add_argument(
        "--mode", choices=("runner", "engine"), default="runner", help="what runs the definition (default runner)"
    )
    args = parser.parse_args(argv)

    with open(args.definition, encoding="utf-8") as file:
        definition_obj = json.load(file)
    with open(args.input, encoding="utf-8") as file:
        input_obj = json.load(file)
    pristine = json.dumps(input_obj, sort_keys=True)

    run = prepare(definition_obj, args.mode)
    output = None
    for _ in range(args.warmup):
        output = run(input_obj)

    started = time.perf_counter()
    for _ in range(args.runs):
        output = run(input_obj)
    seconds = time.perf_counter() - started

    if json.dumps(input_obj, sort_keys=True) != pristine:
        sys.exit("heaviside: an execution modified the input object in place")

    peer = "heaviside" if args.mode == "runner" else "heaviside-engine"
    line = {
        "peer": peer,
        "definition": os.path.basename(args.definition),
        "runs": args.runs,
        "seconds": round(seconds, 6),
        "per_execution_us": round(seconds / args.runs * 1e6, 3) if args.runs else None,
        "output": output,
    }
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
