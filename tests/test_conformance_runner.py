"""Case loading, skip reasons, and running cases: verdicts, names, guards and results records."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from heaviside.conformance.cases import CaseFileError, load_case, load_cases
from heaviside.conformance.fakes import BEHAVIOURS, FUNCTION_ARN_PREFIX
from heaviside.conformance.runner import (
    DEFAULT_NAMES,
    FAILED,
    PASSED,
    SKIPPED,
    RunnerUnavailable,
    RunOptions,
    load_executor,
    run_case,
    run_cases,
)
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS

PASS_DEFINITION = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def write_case(directory: Path, name: str, **fields) -> Path:
    data = {"id": name, "definition": PASS_DEFINITION, "input": {"a": 1}, "expected": {"status": "SUCCEEDED", "output": {"a": 1}}}
    data.update(fields)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


class RecordingExecutor:
    """Stands in for heaviside.local.run: records its arguments and returns a fixed execution."""

    def __init__(self, **execution):
        self.execution = SimpleNamespace(**{"output": None, "error": None, "cause": None, **execution})
        self.calls = []

    def __call__(self, definition, input, **options):
        self.calls.append((definition, input, options))
        return self.execution


# Loading.


def test_load_directory_sorted_by_id(tmp_path):
    write_case(tmp_path, "b")
    write_case(tmp_path, "a")
    assert [case.id for case in load_cases([tmp_path])] == ["a", "b"]


def test_load_single_file(tmp_path):
    path = write_case(tmp_path, "only")
    assert [case.id for case in load_cases([path])] == ["only"]


def test_load_corpus_and_regressions():
    cases = load_cases([CONFORMANCE_CASES, REGRESSIONS])
    assert len([case for case in cases if case.path.parent == CONFORMANCE_CASES]) == 722
    assert any(case.kind == "template" for case in cases)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"definition": {}}', "missing 'expected'"),
        ('{"expected": {"status": "SUCCEEDED"}}', "missing 'definition'"),
    ],
)
def test_load_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CaseFileError, match=message):
        load_case(path)


def test_load_missing_location(tmp_path):
    with pytest.raises(CaseFileError, match="no such file or directory"):
        load_cases([tmp_path / "nowhere"])


def test_load_empty_directory(tmp_path):
    with pytest.raises(CaseFileError, match="no case files"):
        load_cases([tmp_path])


def test_features_derived_for_untagged_cases():
    cases = {case.id: case for case in load_cases([REGRESSIONS])}
    assert "QueryLanguage:JSONata" in cases["bug-034"].features
    assert "Choice" in cases["bug-034"].features
    assert "Variables" in cases["bug-034"].features
    assert cases["bug-034"].query_language == "JSONata"
    assert "Variables" in cases["bug-037"].features
    assert cases["bug-037"].query_language == "JSONPath with variables"
    assert set(cases["bug-001"].features) == {"Map", "Pass", "QueryLanguage:JSONPath"}
    assert cases["bug-001"].query_language == "JSONPath"


def test_mixed_languages_are_tagged_mixed(tmp_path):
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Next": "B"}, "B": {"Type": "Pass", "End": True}},
    }
    case = load_case(write_case(tmp_path, "mixed", definition=definition))
    assert case.query_language == "Mixed"


def test_corpus_tags_are_kept():
    case = load_case(CONFORMANCE_CASES / "base.wait.base_wait_seconds_path.0.json")
    assert "Wait:SecondsPath" in case.features


def test_skip_reasons(tmp_path):
    described = load_case(write_case(tmp_path, "words", functions={"f": "returns 1"}))
    unknown = load_case(write_case(tmp_path, "code", functions={"f": "x"}, behaviours={"f": "teleport"}))
    template = load_case(write_case(tmp_path, "template", kind="template", template={}))
    runnable = load_case(write_case(tmp_path, "runs", functions={"f": "x"}, behaviours={"f": "echo"}))
    assert "no behaviour code" in described.skip_reason(BEHAVIOURS)
    assert "unknown behaviour code 'teleport'" in unknown.skip_reason(BEHAVIOURS)
    assert "template case" in template.skip_reason(BEHAVIOURS)
    assert runnable.skip_reason(BEHAVIOURS) is None


# Running one case.


def test_passing_case(tmp_path):
    case = load_case(write_case(tmp_path, "ok"))
    executor = RecordingExecutor(status="SUCCEEDED", output={"a": 1})
    result = run_case(case, RunOptions(), executor=executor)
    assert result.verdict == PASSED
    assert result.difference is None
    assert result.actual == {"status": "SUCCEEDED", "output": {"a": 1}}


def test_failing_case_reports_difference(tmp_path):
    case = load_case(write_case(tmp_path, "bad"))
    result = run_case(case, RunOptions(), executor=RecordingExecutor(status="SUCCEEDED", output={"a": 2}))
    assert result.verdict == FAILED
    assert result.difference == "output.a: expected 1, got 2"


def test_executor_receives_case_settings(tmp_path):
    names = {"state_machine": "<ArnPart_0idx>", "execution": None, "role_arn": "snf_role_arn"}
    path = write_case(
        tmp_path,
        "settings",
        functions={"fn": "echo"},
        behaviours={"fn": "echo"},
        context_names=names,
        execution_type="EXPRESS",
    )
    executor = RecordingExecutor(status="SUCCEEDED", output={"a": 1})
    result = run_case(load_case(path), RunOptions(time_scale=0.25), executor=executor)

    (_definition, run_input, options), = executor.calls
    assert run_input == {"a": 1}
    assert options["time_scale"] == 0.25
    assert options["execution_type"] == "EXPRESS"
    assert options["names"] == {
        "state_machine": "<ArnPart_0idx>",
        "execution": DEFAULT_NAMES["execution"],
        "role_arn": "snf_role_arn",
    }
    assert set(options["functions"]) == {"fn", FUNCTION_ARN_PREFIX + "fn"}
    assert result.names == options["names"]


def test_executor_receives_loaded_definition(tmp_path):
    from heaviside.asl.model import Definition

    executor = RecordingExecutor(status="SUCCEEDED", output={"a": 1})
    run_case(load_case(write_case(tmp_path, "model")), RunOptions(), executor=executor)
    definition = executor.calls[0][0]
    assert isinstance(definition, Definition)


def test_runner_exception_fails_case(tmp_path):
    def broken(definition, input, **options):
        raise ZeroDivisionError("division by zero")

    result = run_case(load_case(write_case(tmp_path, "crash")), RunOptions(), executor=broken)
    assert result.verdict == FAILED
    assert result.difference.startswith("the runner raised ZeroDivisionError: division by zero at ")
    assert result.actual["status"] == "CRASHED"


def test_run_over_wall_clock_limit_fails_case(tmp_path):
    release = threading.Event()

    def slow(definition, input, **options):
        release.wait(10)

    started = time.perf_counter()
    result = run_case(load_case(write_case(tmp_path, "slow")), RunOptions(case_timeout_seconds=0.1), executor=slow)
    release.set()
    assert time.perf_counter() - started < 5
    assert result.verdict == FAILED
    assert result.difference == "the run did not finish within 0.1 s of wall-clock time"


def test_skipped_case_does_not_run(tmp_path):
    executor = RecordingExecutor(status="SUCCEEDED")
    result = run_case(load_case(write_case(tmp_path, "words", functions={"f": "x"})), RunOptions(), executor=executor)
    assert result.verdict == SKIPPED
    assert executor.calls == []
    assert result.to_json() == {"id": "words", "skipped": result.skip_reason}


def test_invalid_definition_case_passes_when_rejected():
    case = load_case(REGRESSIONS / "bug-039.json")
    executor = RecordingExecutor(status="SUCCEEDED")
    result = run_case(case, RunOptions(), executor=executor)
    assert result.verdict == PASSED
    assert result.actual["status"] == "INVALID_DEFINITION"
    assert result.actual["error"] == "MISSING_TRANSITION_TARGET"
    assert executor.calls == []


def test_invalid_definition_code_checked_unless_lenient(tmp_path):
    path = write_case(
        tmp_path,
        "code",
        definition={"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}},
        expected={"status": "INVALID_DEFINITION", "error": "NOT_THE_CODE"},
    )
    strict = run_case(load_case(path), RunOptions())
    lenient = run_case(load_case(path), RunOptions(lenient=True))
    assert strict.verdict == FAILED
    assert strict.difference.startswith("error: expected NOT_THE_CODE, got ")
    assert lenient.verdict == PASSED


def test_invalid_definition_case_fails_when_accepted(tmp_path):
    path = write_case(tmp_path, "accepted", expected={"status": "INVALID_DEFINITION", "error": "SCHEMA_VALIDATION_FAILED"})
    result = run_case(load_case(path), RunOptions(), executor=RecordingExecutor(status="SUCCEEDED"))
    assert result.verdict == FAILED
    assert "validation accepted the definition" in result.difference


def test_rejected_definition_fails_ordinary_case(tmp_path):
    path = write_case(tmp_path, "rejected", definition={"StartAt": "Nowhere", "States": {}})
    result = run_case(load_case(path), RunOptions(), executor=RecordingExecutor(status="SUCCEEDED"))
    assert result.verdict == FAILED
    assert result.difference.startswith("validation rejected the definition: ")
    assert result.to_json()["status"] == "INVALID_DEFINITION"


def test_results_record_shapes(tmp_path):
    succeeded = run_case(
        load_case(write_case(tmp_path, "s")), RunOptions(), executor=RecordingExecutor(status="SUCCEEDED", output={"a": 1})
    )
    failed = run_case(
        load_case(write_case(tmp_path, "f")),
        RunOptions(),
        executor=RecordingExecutor(status="FAILED", error="States.Runtime", cause="boom"),
    )
    assert succeeded.to_json() == {
        "id": "s",
        "status": "SUCCEEDED",
        "output": {"a": 1},
        "names": DEFAULT_NAMES,
        "passed": True,
    }
    assert failed.to_json() == {
        "id": "f",
        "status": "FAILED",
        "error": "States.Runtime",
        "cause": "boom",
        "names": DEFAULT_NAMES,
        "passed": False,
    }


# Drivers and many cases.


def test_lambda_driver_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "heaviside.runtime.testing", None)
    with pytest.raises(RunnerUnavailable, match="use --through inprocess"):
        load_executor("lambda")


def test_unknown_driver():
    with pytest.raises(RunnerUnavailable, match="invalid --through value"):
        load_executor("carrier-pigeon")


def test_run_cases_in_processes_keeps_order():
    paths = sorted(CONFORMANCE_CASES.glob("choice_operators.string_operators.*.json"))[:6]
    cases = load_cases(paths)
    seen = []
    results = run_cases(cases, RunOptions(), jobs=2, on_result=lambda result: seen.append(result.case_id))
    assert [result.case_id for result in results] == [case.id for case in cases]
    assert seen == [case.id for case in cases]
    assert all(result.verdict == PASSED for result in results), [result.difference for result in results]


def test_timeouts_run_fast_with_time_scale():
    case = load_case(CONFORMANCE_CASES / "timeouts.timeouts.global_timeout.json")
    started = time.perf_counter()
    result = run_case(case, RunOptions())
    assert result.actual["status"] == "TIMED_OUT"
    assert time.perf_counter() - started < 2.5
