#!/usr/bin/env python3
"""Run every benchmark workload on heaviside and its peers side by side, in one run.

Usage:
    .venv/bin/python bench/run.py [--peers NAMES] [--workloads NAMES] [--repeat R]
                                  [--seconds S] [--table PATH] [--json PATH]

Each (workload, peer) pair first runs once to estimate its cost, then R
times (default 3) with a run count chosen to take about S seconds
(default 0.5). The repeats are interleaved across peers, so load on a
shared machine slows every peer alike. The table reports the best of the
R measurements, because other load only ever adds time; the JSON file
has every measurement and the median too.
Ratios between peers measured in the same run are the numbers to compare.
Every peer's output is checked against the baseline's.

The peers LocalStack and moto run in the virtualenvs that
`bench/setup_peers.sh` creates (it is called when they are missing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# Resolved, because Python puts a script's real folder on sys.path: a peer
# harness reached through a symlink would otherwise import itself as its package.
SHARED_BENCH = Path(os.environ.get("SHARED_BENCH", REPO.parent / "shared" / "bench")).resolve()
PEERS_DIR = SHARED_BENCH / "peers"

WORKLOADS = ["pass_chain_100", "choice_loop", "map_1000", "parallel_10", "lambda_chain_10"]
# States entered per execution of each workload.
STATES = {"pass_chain_100": 100, "choice_loop": 2002, "map_1000": 3001, "parallel_10": 101, "lambda_chain_10": 10}
PEERS = ["baseline", "heaviside", "heaviside-engine", "localstack", "moto"]
# Upper bound of timed executions per measurement, so fast peers stay quick.
MAX_RUNS = 20_000


def peer_command(peer: str, peers_root: Path | None) -> list[str]:
    """Return the command line that runs `peer`'s harness, before its arguments."""
    if peer == "baseline":
        return [sys.executable, str(PEERS_DIR / "baseline.py")]
    if peer == "heaviside":
        return [sys.executable, str(BENCH / "heaviside_harness.py")]
    if peer == "heaviside-engine":
        return [sys.executable, str(BENCH / "heaviside_harness.py"), "--mode", "engine"]
    if peers_root is None:
        raise RuntimeError(f"the peer {peer} needs its virtualenv; run bench/setup_peers.sh")
    return [str(peers_root / peer / "venv" / "bin" / "python"), str(PEERS_DIR / f"{peer}.py")]


def measure(command: list[str], workload: str, runs: int, warmup: int) -> dict:
    """Run one harness process and return its result line."""
    arguments = [
        str(SHARED_BENCH / "defs" / f"{workload}.json"),
        str(SHARED_BENCH / "inputs" / f"{workload}.json"),
        str(runs),
        "--warmup",
        str(warmup),
    ]
    completed = subprocess.run(command + arguments, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} {workload} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def ensure_peers() -> Path:
    completed = subprocess.run([str(BENCH / "setup_peers.sh")], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"bench/setup_peers.sh failed:\n{completed.stderr[-2000:]}")
    return Path(completed.stdout.strip().splitlines()[-1])


def run_all(workloads: list[str], peers: list[str], repeat: int, seconds: float, log) -> dict:
    peers_root = ensure_peers() if {"localstack", "moto"} & set(peers) else None
    commands = {peer: peer_command(peer, peers_root) for peer in peers}
    results: dict = {}
    for workload in workloads:
        runs: dict[str, int] = {}
        samples: dict[str, list[float]] = {peer: [] for peer in peers}
        outputs: dict = {}
        for peer in peers:
            probe = measure(commands[peer], workload, 1, 1)
            estimate = probe["per_execution_us"] / 1e6
            runs[peer] = max(1, min(MAX_RUNS, int(seconds / max(estimate, 1e-9))))
            outputs[peer] = probe["output"]
        for round_number in range(repeat):
            for peer in peers:
                line = measure(commands[peer], workload, runs[peer], 1 if runs[peer] > 1 else 0)
                samples[peer].append(line["per_execution_us"])
                outputs[peer] = line["output"]
                log(f"{workload:16} {peer:17} round {round_number + 1}: {line['per_execution_us']:>14,.1f} us")
        reference = outputs.get("baseline")
        results[workload] = {
            peer: {
                "best_us": min(samples[peer]),
                "median_us": statistics.median(samples[peer]),
                "samples_us": samples[peer],
                "runs": runs[peer],
                "output_matches_baseline": None if reference is None else outputs[peer] == reference,
            }
            for peer in peers
        }
    return results


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def format_table(results: dict, peers: list[str]) -> str:
    """Return the Markdown tables: best µs per execution, then the ratios that the targets use."""
    lines = ["| workload | " + " | ".join(peers) + " |", "| --- |" + " --- |" * len(peers)]
    for workload, by_peer in results.items():
        cells = [f"{by_peer[peer]['best_us']:,.1f}" for peer in peers]
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")

    lines += ["", "| workload | states | heaviside µs/state | x baseline | LocalStack / heaviside | moto / heaviside | engine x baseline | outputs equal |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for workload, by_peer in results.items():
        heaviside = by_peer.get("heaviside", {}).get("best_us")
        baseline = by_peer.get("baseline", {}).get("best_us")
        engine = by_peer.get("heaviside-engine", {}).get("best_us")

        def ratio(numerator, denominator):
            if numerator is None or denominator is None:
                return "-"
            return f"{numerator / denominator:,.1f}"

        matches = all(entry["output_matches_baseline"] is not False for entry in by_peer.values())
        per_state = "-" if heaviside is None else f"{heaviside / STATES[workload]:.2f}"
        lines.append(
            f"| {workload} | {STATES[workload]:,} | {per_state} | {ratio(heaviside, baseline)} | "
            f"{ratio(by_peer.get('localstack', {}).get('best_us'), heaviside)} | "
            f"{ratio(by_peer.get('moto', {}).get('best_us'), heaviside)} | {ratio(engine, baseline)} | "
            f"{'yes' if matches else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


# The performance targets: at most 25x the baseline and at least 200x faster
# than LocalStack per workload, and the limits of bench/extras.py's measurements.
MAX_TIMES_BASELINE = 25
MIN_TIMES_LOCALSTACK = 200
MAX_IMPORT_RATIO = 0.5
MAX_CPU_US_PER_HOP = 1000
MAX_MEMORY_RATIO = 4


def check_targets(results: dict, extras: dict | None) -> list[tuple[str, str, str, bool]]:
    """Return (target, measured, limit, met) for each target that this run measured."""
    checks = []
    for workload, by_peer in results.items():
        heaviside = by_peer.get("heaviside", {}).get("best_us")
        baseline = by_peer.get("baseline", {}).get("best_us")
        localstack = by_peer.get("localstack", {}).get("best_us")
        if heaviside is not None and baseline is not None:
            times = heaviside / baseline
            checks.append(
                (f"{workload}: x baseline", f"{times:.1f}", f"<= {MAX_TIMES_BASELINE}", times <= MAX_TIMES_BASELINE)
            )
        if heaviside is not None and localstack is not None:
            faster = localstack / heaviside
            checks.append(
                (f"{workload}: LocalStack / heaviside", f"{faster:,.0f}", f">= {MIN_TIMES_LOCALSTACK}", faster >= MIN_TIMES_LOCALSTACK)
            )
    if extras:
        imports = extras["imports"]
        import_met = imports["ratio"] <= MAX_IMPORT_RATIO and not imports["unwanted_modules"]
        checks.append(("import of heaviside.task / import boto3", f"{imports['ratio']:.2f}", f"<= {MAX_IMPORT_RATIO}, nothing optional", import_met))
        cpu = extras["hop"]["cpu_us_per_hop"]
        checks.append(("CPU per Task hop, µs", f"{cpu:,.0f}", f"< {MAX_CPU_US_PER_HOP}", cpu < MAX_CPU_US_PER_HOP))
        memory = extras["memory"]["runner_ratio"]
        checks.append(("map_1000 peak memory / baseline", f"{memory:.1f}", f"<= {MAX_MEMORY_RATIO}", memory <= MAX_MEMORY_RATIO))
    return checks


def format_targets(checks: list[tuple[str, str, str, bool]]) -> str:
    lines = ["| target | measured | limit | met |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {measured} | {limit} | {'yes' if met else 'NO'} |" for name, measured, limit, met in checks]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated peers (default {','.join(PEERS)})")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated workloads (default all five)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per peer and workload (default 3)")
    parser.add_argument("--seconds", type=float, default=0.5, help="target duration of one measurement in seconds (default 0.5)")
    parser.add_argument(
        "--table",
        type=Path,
        help="Markdown file the tables are written to (default: bench/results/latest.md for a complete run, "
        "none for a run of some peers, workloads or without extras)",
    )
    parser.add_argument(
        "--json", type=Path, help="JSON file the raw results are written to (default: as --table, latest.json)"
    )
    parser.add_argument(
        "--no-extras", action="store_true", help="skip bench/extras.py (imports, hops, memory, examples, envelopes)"
    )
    args = parser.parse_args(argv)

    peers = [peer for peer in args.peers.split(",") if peer]
    workloads = [workload for workload in args.workloads.split(",") if workload]
    unknown = sorted(set(peers) - set(PEERS)) + sorted(set(workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown peer or workload: {', '.join(unknown)}; choose from {PEERS} and {WORKLOADS}")
    if not SHARED_BENCH.is_dir():
        parser.error(f"the workloads are not at {SHARED_BENCH}; set SHARED_BENCH to the folder with defs/ and inputs/")

    started = time.monotonic()
    results = run_all(workloads, peers, args.repeat, args.seconds, lambda message: print(message, file=sys.stderr))
    table = format_table(results, peers)
    about = machine()
    header = (
        f"Measured {about['date']} with bench/run.py --repeat {args.repeat} --seconds {args.seconds}; "
        f"Python {about['python']} for heaviside and the baseline; {about['cpus']} CPUs, "
        f"load average {about['load_average'][0]:.1f} at the end; {time.monotonic() - started:.0f} s in all. "
        f"Best of {args.repeat} measurements, µs per execution.\n\n"
    )
    # Only a complete run replaces the recorded results by default.
    complete = set(peers) == set(PEERS) and set(workloads) == set(WORKLOADS) and not args.no_extras
    table_path = args.table or (BENCH / "results" / "latest.md" if complete else None)
    json_path = args.json or (BENCH / "results" / "latest.json" if complete else None)
    extras = None
    with tempfile.TemporaryDirectory() as scratch:
        if not args.no_extras:
            base = table_path or Path(scratch) / "run.md"
            extras_markdown = base.with_name(base.stem + "-extras.md")
            json_base = json_path or Path(scratch) / "run.json"
            extras_json = json_base.with_name(json_base.stem + "-extras.json")
            subprocess.run(
                [sys.executable, str(BENCH / "extras.py"), "--json", str(extras_json), "--markdown", str(extras_markdown)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            table += "\n" + extras_markdown.read_text(encoding="utf-8")
            extras = json.loads(extras_json.read_text(encoding="utf-8"))
    checks = check_targets(results, extras)
    table += "\n" + format_targets(checks)
    if table_path is not None:
        table_path.parent.mkdir(parents=True, exist_ok=True)
        table_path.write_text(header + table, encoding="utf-8")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"machine": about, "results": results}, indent=1) + "\n", encoding="utf-8")
    print(header + table)
    if table_path is None and json_path is None:
        print("Not a complete run, so nothing was written; pass --table and --json to keep the results.", file=sys.stderr)
    missed = [name for name, _measured, _limit, met in checks if not met]
    if missed:
        print(f"Targets missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
