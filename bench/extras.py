#!/usr/bin/env python3
"""Measurements beside the workload table: imports, hops, memory, examples, envelopes.

Usage:
    .venv/bin/python bench/extras.py [NAME ...] [--json PATH]

NAME is any of: imports, hop, memory, examples, envelope, cache, lambda
(default: all). Each prints one small table; `--json` also writes the raw
numbers. Every number comes from this machine and run, so compare the
ratios printed beside them, not absolute times across machines.

- imports: `import heaviside; heaviside.task` against `import boto3`, each
  in fresh interpreters with bytecode cached (best of 7), and the optional
  libraries that the import pulled in.
- hop: heaviside's own CPU per Task hop inside a Lambda handler: envelope
  decode, the decorator, the engine and the envelope encode, with a
  dispatcher that serializes the payload as the real one does but sends
  nothing.
- memory: peak traced memory (tracemalloc) of one in-process run of
  map_1000, heaviside against the baseline, each in its own interpreter.
- examples: executions per second of the local runner on each example
  application (time scale 0.001, so Wait and retry delays are short).
- envelope: envelope size against the nesting depth of Parallel states.
- cache: the cost of a definition-cache miss (read, validate, compile)
  against a hit, per workload definition.
- lambda: latency per hop of the `--through lambda` path on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.run import SHARED_BENCH  # noqa: E402

EXAMPLES = {
    "order-processing": ("examples/order-processing/template.yaml", "examples/order-processing/events/order.json"),
    "transaction-import": (
        "examples/transaction-import/template.yaml",
        "examples/transaction-import/events/batch-300.json",
    ),
}
# Modules that a Lambda hop must not import: the CLI, its dependencies, and
# optional libraries that only some definitions need.
UNWANTED_MODULES = (
    "boto3",
    "botocore",
    "yaml",
    "samtranslator",
    "cfnlint",
    "cfn_flip",
    "jlens",
    "jsonpath_ng",
    "jsonpath",
    "heaviside.cli",
    "heaviside.commands",
    "heaviside.local",
)


def _python_env() -> dict:
    """Return an environment in which the interpreter reads and writes cached bytecode.

    A Lambda layer ships compiled bytecode, so import times are measured
    with it; PYTHONDONTWRITEBYTECODE would make every import compile source.
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "heaviside-bench-pycache")
    return environment


def measure_imports(rounds: int = 7) -> dict:
    programs = {
        "heaviside.task": (
            "import time, sys\n"
            "started = time.perf_counter()\n"
            "import heaviside\n"
            "heaviside.task\n"
            "seconds = time.perf_counter() - started\n"
            f"unwanted = sorted(m for m in sys.modules if m.startswith({UNWANTED_MODULES!r}))\n"
            "print(seconds, ' '.join(unwanted))\n"
        ),
        "boto3": "import time\nstarted = time.perf_counter()\nimport boto3\nprint(time.perf_counter() - started, '')\n",
    }
    environment = _python_env()
    for program in programs.values():  # the first run writes the bytecode cache
        subprocess.run([sys.executable, "-c", program], env=environment, capture_output=True, check=True)
    samples: dict[str, list[float]] = {name: [] for name in programs}
    unwanted = ""
    for _ in range(rounds):
        for name, program in programs.items():
            completed = subprocess.run(
                [sys.executable, "-c", program], env=environment, capture_output=True, text=True, check=True
            )
            seconds, _, modules = completed.stdout.strip().partition(" ")
            samples[name].append(float(seconds))
            if name == "heaviside.task":
                unwanted = modules.strip()
    best = {name: min(values) * 1000 for name, values in samples.items()}
    return {
        "heaviside_ms": best["heaviside.task"],
        "boto3_ms": best["boto3"],
        "ratio": best["heaviside.task"] / best["boto3"],
        "unwanted_modules": unwanted.split(),
    }


class _NullDispatcher:
    """Serializes each payload as the Lambda dispatcher does and keeps the last one, sending nothing."""

    def __init__(self):
        self.last = None
        self.last_bytes = 0

    def invoke_event(self, function, payload, *, execution_id, state):
        self.last_bytes = len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        self.last = payload


def _driver(folder: Path, joins: bool = False):
    from heaviside.local.stores import DirectoryDefinitionStore, SQLiteStore
    from heaviside.runtime.config import RuntimeConfig
    from heaviside.runtime.driver import Driver
    from heaviside.runtime.stores.base import Stores

    stores = Stores(definitions=DirectoryDefinitionStore(folder))
    if joins:
        stores.joins = SQLiteStore(folder / "joins.sqlite")
    config = RuntimeConfig(sleep_threshold_seconds=1.0, account="111111111111")
    return Driver(config, stores, dispatcher=_NullDispatcher(), sleep=lambda seconds: None)


class _LambdaContext:
    aws_request_id = "bench"
    function_name = "echo"
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:echo"
    client_context = None

    def get_remaining_time_in_millis(self):
        return 900_000


def _start(driver, definition, execution_input, name):
    from heaviside.runtime import invoker

    context = _LambdaContext()
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:invoker"
    return invoker.start_execution(
        driver, {"definition": definition, "input": execution_input, "name": name, "stateMachine": "bench"}, context
    )


def measure_hop(executions: int = 200) -> dict:
    """Run lambda_chain_10 hop by hop through the decorator and return CPU µs per hop."""
    import heaviside
    from heaviside.runtime import driver as driver_module

    definition = json.loads((SHARED_BENCH / "defs" / "lambda_chain_10.json").read_text())
    execution_input = json.loads((SHARED_BENCH / "inputs" / "lambda_chain_10.json").read_text())

    @heaviside.task
    def echo(event, context):
        return event

    with tempfile.TemporaryDirectory() as folder:
        driver = _driver(Path(folder))
        previous = driver_module._driver
        driver_module._driver = driver
        try:
            hops = 0
            cpu = 0.0
            wall = 0.0
            sizes = []
            for number in range(executions + 1):
                _start(driver, definition, execution_input, f"hop-{number}")
                envelope = driver.dispatcher.last
                timed = number > 0  # the first execution warms the caches
                while envelope is not None:
                    driver.dispatcher.last = None
                    sizes.append(driver.dispatcher.last_bytes)
                    cpu_started, wall_started = time.process_time(), time.perf_counter()
                    echo(envelope, _LambdaContext())
                    if timed:
                        cpu += time.process_time() - cpu_started
                        wall += time.perf_counter() - wall_started
                        hops += 1
                    envelope = driver.dispatcher.last
        finally:
            driver_module._driver = previous
    return {"hops": hops, "cpu_us_per_hop": cpu / hops * 1e6, "wall_us_per_hop": wall / hops * 1e6,
            "envelope_bytes": statistics.median(sizes)}


_MEMORY_PROGRAM = """
import json, sys, tracemalloc, importlib.util
mode, definition_path, input_path, bench_dir, peers_dir = sys.argv[1:6]
definition = json.load(open(definition_path))
execution_input = json.load(open(input_path))
if mode == "baseline":
    sys.path.insert(0, peers_dir)
    spec = importlib.util.spec_from_file_location("baseline", peers_dir + "/baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.WORKLOADS["map_1000"]
else:
    sys.path.insert(0, bench_dir)
    from bench import heaviside_harness
    run = heaviside_harness.prepare(definition, mode)
run(execution_input)
tracemalloc.start()
output = run(execution_input)
current, peak = tracemalloc.get_traced_memory()
print(peak)
"""


def measure_memory() -> dict:
    definition = SHARED_BENCH / "defs" / "map_1000.json"
    execution_input = SHARED_BENCH / "inputs" / "map_1000.json"
    peaks = {}
    for mode in ("baseline", "engine", "runner"):
        completed = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROGRAM, mode, str(definition), str(execution_input), str(REPO),
             str(SHARED_BENCH / "peers")],
            capture_output=True, text=True, check=True, env=_python_env(),
        )
        peaks[mode] = int(completed.stdout.strip())
    return {
        "baseline_bytes": peaks["baseline"],
        "engine_bytes": peaks["engine"],
        "runner_bytes": peaks["runner"],
        "runner_ratio": peaks["runner"] / peaks["baseline"],
        "engine_ratio": peaks["engine"] / peaks["baseline"],
    }


def measure_examples(seconds: float = 3.0, through: str = "inprocess") -> dict:
    from heaviside.local.app import load_template, run_machine

    results = {}
    for name, (template, event) in EXAMPLES.items():
        app = load_template(REPO / template)
        execution_input = json.loads((REPO / event).read_text())
        first = run_machine(app, execution_input, time_scale=0.001, through=through)
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            run_machine(app, execution_input, time_scale=0.001, through=through)
            count += 1
        elapsed = time.perf_counter() - started
        results[name] = {"status": first.status, "executions_per_second": count / elapsed,
                         "states_entered": len(first.states_entered or ())}
    return results


def _nested_parallel(depth: int) -> dict:
    task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:echo", "End": True}
    body = {"StartAt": "Work", "States": {"Work": task}}
    for level in range(depth):
        body = {"StartAt": f"Fan{level}", "States": {f"Fan{level}": {"Type": "Parallel", "Branches": [body], "End": True}}}
    return body


def measure_envelopes(max_depth: int = 6) -> dict:
    """Return the size of the first Task's envelope for Parallel nesting depths 0 to `max_depth`."""
    execution_input = {"order": {"id": 7, "items": ["a", "b"]}}
    sizes = {}
    with tempfile.TemporaryDirectory() as folder:
        driver = _driver(Path(folder), joins=True)
        for depth in range(max_depth + 1):
            _start(driver, _nested_parallel(depth), execution_input, f"depth-{depth}")
            envelope = driver.dispatcher.last
            sizes[depth] = {
                "envelope_bytes": driver.dispatcher.last_bytes,
                "cursor_bytes": len(json.dumps(envelope.get("c"), separators=(",", ":"))),
            }
    return sizes


def measure_cache(rounds: int = 20) -> dict:
    """Return µs per definition load on a cache miss and on a hit, per workload definition."""
    from heaviside.runtime.driver import Driver

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        driver = _driver(Path(folder))
        for path in sorted((SHARED_BENCH / "defs").glob("*.json")):
            digest = driver.stores.definitions.put_definition(path.read_text())
            misses = []
            for _ in range(rounds):
                fresh = Driver(driver.config, driver.stores, dispatcher=driver.dispatcher)
                started = time.perf_counter()
                fresh.program(digest)
                misses.append(time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(1000):
                fresh.program(digest)
            hit = (time.perf_counter() - started) / 1000
            results[path.stem] = {"miss_us": min(misses) * 1e6, "hit_us": hit * 1e6,
                                  "bytes": path.stat().st_size}
    return results


def measure_lambda_path(hops: int = 20, executions: int = 3) -> dict:
    """Return wall time per hop of a chain of Tasks through the local Lambda endpoint and moto.

    The chain's last handler writes the time it ran to a file, so the
    result polling of the test bed does not count: a hop is the time from
    the start request to that handler, divided by the number of Tasks.
    """
    from heaviside.runtime.testing import LambdaTestBed

    arn = "arn:aws:lambda:us-east-1:111111111111:function:"
    states = {f"T{index}": {"Type": "Task", "Resource": arn + "echo", "Next": f"T{index + 1}"} for index in range(hops - 1)}
    states[f"T{hops - 1}"] = {"Type": "Task", "Resource": arn + "stamp", "End": True}
    definition = {"StartAt": "T0", "States": states}
    samples = []
    with tempfile.TemporaryDirectory() as folder, LambdaTestBed({"echo": echo_handler, "stamp": stamp_handler}) as bed:
        for number in range(executions + 1):
            stamp_file = str(Path(folder) / f"stamp-{number}")
            started = time.time()
            execution_id = bed.start(definition, {"stamp_file": stamp_file})
            outcome = bed.wait(execution_id, timeout=120)
            if outcome.status != "SUCCEEDED":
                raise RuntimeError(f"the Lambda path ended {outcome.status}: {outcome.error}: {outcome.cause}")
            if number > 0:  # the first execution warms the workers
                samples.append(float(Path(stamp_file).read_text()) - started)
    best = min(samples)
    return {"hops": hops, "ms_to_last_handler": best * 1000, "ms_per_hop": best * 1000 / hops,
            "executions": executions}


def echo_handler(event, context):
    return event


def stamp_handler(event, context):
    Path(event["stamp_file"]).write_text(repr(time.time()))
    return event


MEASUREMENTS = {
    "imports": measure_imports,
    "hop": measure_hop,
    "memory": measure_memory,
    "examples": measure_examples,
    "envelope": measure_envelopes,
    "cache": measure_cache,
    "lambda": measure_lambda_path,
}


def format_markdown(results: dict) -> str:
    """Return the measurements in `results` as Markdown lines, one short section each."""
    lines = []
    if "imports" in results:
        found = results["imports"]
        unwanted = ", ".join(found["unwanted_modules"]) or "none"
        lines += [
            f"- Import of `heaviside.task`: {found['heaviside_ms']:.1f} ms against {found['boto3_ms']:.1f} ms for "
            f"`import boto3`, ratio {found['ratio']:.2f} (target <= 0.5); CLI or optional modules imported: {unwanted}.",
        ]
    if "hop" in results:
        found = results["hop"]
        lines.append(
            f"- CPU per Task hop inside the decorator (decode, handler call, engine, encode): "
            f"{found['cpu_us_per_hop']:.0f} µs (target < 1,000 µs), wall {found['wall_us_per_hop']:.0f} µs, "
            f"envelope {found['envelope_bytes']:.0f} bytes, {found['hops']} hops."
        )
    if "memory" in results:
        found = results["memory"]
        lines.append(
            f"- Peak traced memory of one map_1000 run: local runner {found['runner_bytes'] / 1024:.0f} KiB, engine "
            f"{found['engine_bytes'] / 1024:.0f} KiB, baseline {found['baseline_bytes'] / 1024:.0f} KiB; "
            f"ratio {found['runner_ratio']:.1f} (target <= 4)."
        )
    if "lambda" in results:
        found = results["lambda"]
        lines.append(
            f"- `--through lambda` on loopback: {found['ms_per_hop']:.1f} ms per hop "
            f"({found['hops']} Tasks, start request to the last handler, best of {found['executions']})."
        )
    if "examples" in results:
        lines += ["", "| example | status | states entered | executions per second |", "| --- | --- | --- | --- |"]
        for name, found in results["examples"].items():
            lines.append(
                f"| {name} | {found['status']} | {found['states_entered']} | {found['executions_per_second']:.1f} |"
            )
    if "envelope" in results:
        lines += ["", "| Parallel nesting depth | envelope bytes | cursor bytes |", "| --- | --- | --- |"]
        for depth, found in results["envelope"].items():
            lines.append(f"| {depth} | {found['envelope_bytes']} | {found['cursor_bytes']} |")
    if "cache" in results:
        lines += ["", "| definition | bytes | cache miss µs | cache hit µs |", "| --- | --- | --- | --- |"]
        for name, found in results["cache"].items():
            lines.append(f"| {name} | {found['bytes']:,} | {found['miss_us']:,.0f} | {found['hit_us']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measurements beside the workload table")
    parser.add_argument("names", nargs="*", default=list(MEASUREMENTS), help=f"any of {', '.join(MEASUREMENTS)}")
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the numbers as Markdown to this file")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(MEASUREMENTS))
    if unknown:
        parser.error(f"unknown measurement {', '.join(unknown)}; choose from {', '.join(MEASUREMENTS)}")

    results = {}
    for name in args.names:
        started = time.perf_counter()
        results[name] = MEASUREMENTS[name]()
        print(f"{name} ({time.perf_counter() - started:.1f} s): {json.dumps(results[name], indent=1)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(format_markdown(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
