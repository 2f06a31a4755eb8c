"""The benchmark harness computes what the plain-Python baseline computes.

These are correctness checks only: a faster engine that returns a different
output would make every benchmark number meaningless. No test here times
anything.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from bench import heaviside_harness
from tests.conftest import REPO, SHARED

BENCH = SHARED / "bench"
WORKLOADS = ["pass_chain_100", "choice_loop", "map_1000", "map_1000_iterator", "parallel_10", "lambda_chain_10"]


def _load_baseline():
    """Import the shared baseline module, whose `_harness` import needs its folder on sys.path."""
    peers = str(BENCH / "peers")
    sys.path.insert(0, peers)
    try:
        spec = importlib.util.spec_from_file_location("bench_baseline", BENCH / "peers" / "baseline.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(peers)
    return module


@pytest.fixture(scope="module")
def baseline():
    if not BENCH.is_dir():
        pytest.skip(f"the benchmark workloads are not at {BENCH}")
    return _load_baseline()


def _read(kind: str, workload: str):
    return json.loads((BENCH / kind / f"{workload}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["runner", "engine"])
@pytest.mark.parametrize("workload", WORKLOADS)
def test_harness_output_equals_baseline(baseline, workload, mode):
    definition = _read("defs", workload)
    execution_input = _read("inputs", workload)
    pristine = json.dumps(execution_input, sort_keys=True)

    run = heaviside_harness.prepare(definition, mode)
    first = run(execution_input)
    second = run(execution_input)

    expected = baseline.WORKLOADS[workload](execution_input)
    assert first == expected
    assert second == expected
    assert json.dumps(execution_input, sort_keys=True) == pristine


def test_harness_prints_result_line(baseline):
    definition = BENCH / "defs" / "choice_loop.json"
    execution_input = BENCH / "inputs" / "choice_loop.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "heaviside_harness.py"), str(definition), str(execution_input), "2"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    line = json.loads(completed.stdout)
    assert line["peer"] == "heaviside"
    assert line["definition"] == "choice_loop.json"
    assert line["runs"] == 2
    assert line["per_execution_us"] > 0
    assert line["output"] == {"count": 1000, "label": "loop"}


def _peer(best_us):
    return {"best_us": best_us}


def test_target_check_flags_each_missed_target():
    from bench.run import check_targets

    results = {
        "choice_loop": {"baseline": _peer(100.0), "heaviside": _peer(2600.0), "localstack": _peer(400_000.0)},
        "map_1000": {"baseline": _peer(200.0), "heaviside": _peer(1000.0), "localstack": _peer(3_000_000.0)},
    }
    extras = {
        "imports": {"ratio": 0.3, "unwanted_modules": ["boto3"]},
        "hop": {"cpu_us_per_hop": 80.0},
        "memory": {"runner_ratio": 4.5},
    }
    verdicts = {name: met for name, _measured, _limit, met in check_targets(results, extras)}
    assert verdicts == {
        "choice_loop: x baseline": False,
        "choice_loop: LocalStack / heaviside": False,
        "map_1000: x baseline": True,
        "map_1000: LocalStack / heaviside": True,
        "import of heaviside.task / import boto3": False,
        "CPU per Task hop, µs": True,
        "map_1000 peak memory / baseline": False,
    }


def test_target_check_skips_peers_not_run():
    from bench.run import check_targets

    checks = check_targets({"choice_loop": {"heaviside": _peer(1.0)}}, None)
    assert checks == []
