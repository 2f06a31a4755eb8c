"""Regression cases whose fake functions are described in words, not by a
behaviour code, so the conformance runner skips them. Each function here does
what the case's `functions` text describes, and each test compares with the case's
expected outcome."""

from __future__ import annotations

import json

import pytest

from heaviside.local import run
from tests.conftest import REGRESSIONS


def load_case(case_id: str) -> dict:
    return json.loads((REGRESSIONS / f"{case_id}.json").read_text())


def only_function(case: dict) -> str:
    (name,) = case["functions"]
    return name


class ValidationError(Exception):
    pass


class BoomError(Exception):
    pass


class TransientError(Exception):
    pass


def test_task_result_path_null_keeps_input():
    case = load_case("bug-003")
    calls = []

    def process_order(event, context):
        calls.append(event)
        return {"status": "done"}

    execution = run(case["definition"], case["input"], functions={only_function(case): process_order})

    assert execution.status == "SUCCEEDED"
    assert execution.output == case["expected"]["output"]
    assert calls == [case["input"]]


def test_bare_string_result_lands_at_result_path():
    case = load_case("bug-004")

    def lookup(event, context):
        return "beta"

    execution = run(case["definition"], case["input"], functions={only_function(case): lookup})

    assert execution.status == "SUCCEEDED"
    assert execution.output == case["expected"]["output"]


def test_function_error_skips_lambda_service_retrier():
    case = load_case("bug-007")
    calls = []

    def validate_file(event, context):
        calls.append(event)
        raise ValidationError("record 7 is malformed")

    execution = run(case["definition"], case["input"], functions={only_function(case): validate_file}, time_scale=0.001)

    assert execution.status == "SUCCEEDED"
    assert execution.output == case["expected"]["output"]
    assert len(calls) == 1


def test_caught_error_skips_result_and_output_paths():
    case = load_case("bug-008")

    def may_fail(event, context):
        raise BoomError("boom")

    execution = run(case["definition"], case["input"], functions={only_function(case): may_fail})

    assert execution.status == "SUCCEEDED"
    assert execution.output == case["expected"]["output"]


def test_max_attempts_zero_never_retries():
    case = load_case("bug-015")
    calls = []

    def flaky(event, context):
        calls.append(event)
        raise TransientError("try later")

    execution = run(case["definition"], case["input"], functions={only_function(case): flaky}, time_scale=0.001)

    assert execution.status == "FAILED"
    assert execution.error == "TransientError"
    cause = json.loads(execution.cause)
    expected_cause = json.loads(case["expected"]["cause"])
    assert cause["errorType"] == expected_cause["errorType"]
    assert cause["errorMessage"] == expected_cause["errorMessage"]
    assert len(calls) == 1


@pytest.mark.parametrize("max_attempts", [1, 2])
def test_max_attempts_counts_retries(max_attempts):
    case = load_case("bug-015")
    definition = json.loads(json.dumps(case["definition"]))
    definition["States"]["Call"]["Retry"][0]["MaxAttempts"] = max_attempts
    calls = []

    def flaky(event, context):
        calls.append(event)
        raise TransientError("try later")

    execution = run(definition, case["input"], functions={only_function(case): flaky}, time_scale=0.0001)

    assert execution.status == "FAILED"
    assert len(calls) == 1 + max_attempts
