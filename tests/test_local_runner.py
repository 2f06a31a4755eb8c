"""Tests of the in-process runner: whole executions with Python handlers, threads and a scaled clock."""

from __future__ import annotations

import json
import threading
import time

import pytest

from heaviside import InvalidDefinition
from heaviside.local import FAILED, SUCCEEDED, TIMED_OUT, run

from tests.conftest import REGRESSIONS

FAST = 0.001


def regression(case_id: str) -> dict:
    return json.loads((REGRESSIONS / f"{case_id}.json").read_text())


class CountingHandler:
    """A handler that records its calls and returns or raises what it is given."""

    def __init__(self, result=None, error: Exception | None = None):
        self.result = result
        self.error = error
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, event, context):
        with self.lock:
            self.events.append(event)
        if self.error is not None:
            raise self.error
        return self.result


class BoomError(Exception):
    pass


def test_result_path_null_keeps_input_for_task():
    case = regression("bug-003")
    handler = CountingHandler({"status": "done"})
    [function] = case["functions"]
    execution = run(case["definition"], case["input"], functions={function: handler}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output == case["expected"]["output"]


def test_result_path_adds_string_result():
    case = regression("bug-004")
    [function] = case["functions"]
    execution = run(case["definition"], case["input"], functions={function: CountingHandler("beta")}, time_scale=FAST)
    assert execution.output == case["expected"]["output"]


class ValidationError(Exception):
    pass


def test_service_retrier_skips_function_error():
    case = regression("bug-007")
    [function] = case["functions"]
    handler = CountingHandler(error=ValidationError("record 7 is malformed"))
    execution = run(case["definition"], case["input"], functions={function: handler}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output == case["expected"]["output"]
    assert len(handler.events) == 1


def test_catch_ignores_failed_state_output_path():
    case = regression("bug-008")
    [function] = case["functions"]
    execution = run(case["definition"], case["input"], functions={function: CountingHandler(error=BoomError("boom"))}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output == case["expected"]["output"]


class TransientError(Exception):
    pass


def test_max_attempts_zero_invokes_once():
    case = regression("bug-015")
    [function] = case["functions"]
    handler = CountingHandler(error=TransientError("try later"))
    execution = run(case["definition"], case["input"], functions={function: handler}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "TransientError"
    cause = json.loads(execution.cause)
    assert cause["errorType"] == "TransientError"
    assert cause["errorMessage"] == "try later"
    assert cause["requestId"]
    assert isinstance(cause["stackTrace"], list)
    assert len(handler.events) == 1


def test_retries_then_succeeds():
    calls = []

    def flaky(event, context):
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise TransientError("again")
        return "ok"

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "flaky",
                "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                "End": True,
            }
        },
    }
    execution = run(definition, {}, functions={"flaky": flaky}, time_scale=0.01)
    assert execution.status == SUCCEEDED
    assert execution.output == "ok"
    assert len(calls) == 3
    # Intervals of 1 s and 2 s at scale 0.01: at least 30 ms in total.
    assert calls[2] - calls[0] >= 0.03


def test_functions_found_by_name_or_arn():
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:one", "Next": "B"},
            "B": {"Type": "Task", "Resource": "two", "End": True},
        },
    }
    functions = {"one": lambda event, context: {"step": 1}, "arn:aws:lambda:eu-west-1:123:function:two": lambda e, c: [e]}
    execution = run(definition, {}, functions=functions, time_scale=FAST)
    assert execution.output == [{"step": 1}]


def test_lambda_context_object():
    seen = {}

    def handler(event, context):
        seen["name"] = context.function_name
        seen["arn"] = context.invoked_function_arn
        seen["request"] = context.aws_request_id
        seen["remaining"] = context.get_remaining_time_in_millis()
        return None

    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "worker", "TimeoutSeconds": 30, "End": True}}}
    execution = run(definition, {}, functions={"worker": handler}, time_scale=1.0)
    assert execution.status == SUCCEEDED
    assert seen["name"] == "worker"
    assert seen["arn"].endswith(":function:worker")
    assert seen["request"]
    assert 0 < seen["remaining"] <= 30_000


def test_unknown_function_fails_with_resource_not_found():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "missing", "End": True}}}
    execution = run(definition, {}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "Lambda.ResourceNotFoundException"


def test_task_timeout():
    def slow(event, context):
        context.sleep(60)
        return event

    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 5, "End": True}}}
    started = time.monotonic()
    execution = run(definition, {}, functions={"slow": slow}, time_scale=0.01)
    assert execution.status == FAILED
    assert execution.error == "States.Timeout"
    assert execution.cause is None
    assert time.monotonic() - started < 0.5


def test_execution_timeout():
    definition = {"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}}
    execution = run(definition, {}, time_scale=0.01)
    assert execution.status == TIMED_OUT
    assert execution.output is None


def test_wait_takes_scaled_time():
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    started = time.monotonic()
    execution = run(definition, {"k": 1}, time_scale=0.01)
    elapsed = time.monotonic() - started
    assert execution.output == {"k": 1}
    assert 0.09 <= elapsed < 1.0


def map_definition(max_concurrency: int) -> dict:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "work", "End": True}}},
                "End": True,
            }
        },
    }


def concurrency_probe():
    state = {"running": 0, "max": 0}
    lock = threading.Lock()

    def work(event, context):
        with lock:
            state["running"] += 1
            state["max"] = max(state["max"], state["running"])
        time.sleep(0.02)
        with lock:
            state["running"] -= 1
        return event * 2

    return state, work


def test_map_respects_max_concurrency():
    state, work = concurrency_probe()
    execution = run(map_definition(2), list(range(8)), functions={"work": work}, time_scale=FAST)
    assert execution.output == [item * 2 for item in range(8)]
    assert state["max"] == 2


def test_map_runs_iterations_concurrently_without_limit():
    state, work = concurrency_probe()
    execution = run(map_definition(0), list(range(6)), functions={"work": work}, time_scale=FAST)
    assert execution.output == [item * 2 for item in range(6)]
    assert state["max"] > 1


def test_parallel_with_tasks_keeps_branch_order():
    def slow(event, context):
        time.sleep(0.03)
        return "slow"

    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": "slow", "End": True}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "fast", "End": True}}},
                ],
                "End": True,
            }
        },
    }
    execution = run(definition, {}, functions={"slow": slow, "fast": lambda e, c: "fast"}, time_scale=FAST)
    assert execution.output == ["slow", "fast"]


def test_map_iteration_failure_fails_execution():
    definition = map_definition(1)
    execution = run(definition, [1, 2], functions={"work": CountingHandler(error=BoomError("no"))}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "BoomError"


def test_map_tolerated_failures():
    calls = []

    def sometimes(event, context):
        calls.append(event)
        if event == 1:
            raise BoomError("one")
        return event

    definition = map_definition(1)
    definition["States"]["M"]["ToleratedFailureCount"] = 1
    execution = run(definition, [0, 1, 2], functions={"work": sometimes}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output[0] == 0
    assert execution.output[1]["Error"] == "BoomError"
    assert execution.output[2] == 2

    definition["States"]["M"]["ToleratedFailureCount"] = 0
    execution = run(definition, [0, 1, 2], functions={"work": sometimes}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "States.ExceedToleratedFailureThreshold"


def test_bytes_result_is_parsed_as_json():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "b", "End": True}}}
    execution = run(definition, {}, functions={"b": lambda e, c: b'"HelloWorld!"'}, time_scale=FAST)
    assert execution.output == "HelloWorld!"


def test_names_set_context_object():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": True}}}
    names = {"state_machine": "sm", "execution": "ex", "role_arn": "role"}
    context = run(definition, {}, names=names, time_scale=FAST).output["c"]
    assert context["Execution"]["Name"] == "ex"
    assert context["Execution"]["Id"] == "arn:aws:states:us-east-1:111111111111:execution:sm:ex"
    assert context["Execution"]["RoleArn"] == "role"
    assert context["StateMachine"]["Name"] == "sm"


def test_trace_lines_per_state():
    lines = []
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}},
    }
    run(definition, {}, trace=lines.append, time_scale=FAST)
    assert [line.split()[1:] for line in lines] == [["Pass", "A"], ["Succeed", "B"]]
    assert all(line.split()[0].endswith("s") for line in lines)


def test_definition_as_json_text_and_file(tmp_path):
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}}
    assert run(json.dumps(definition), {}).output == 1
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(definition))
    assert run(str(path), {}).output == 1


def test_invalid_definition_raises():
    with pytest.raises(InvalidDefinition):
        run({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}}, {})


def test_time_scale_must_be_positive():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    with pytest.raises(ValueError, match="time_scale"):
        run(definition, {}, time_scale=0)


def test_unserialisable_result_is_marshal_error():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "s", "End": True}}}
    execution = run(definition, {}, functions={"s": lambda e, c: {1, 2}}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "Runtime.MarshalError"
    assert "Unable to marshal response" in json.loads(execution.cause)["errorMessage"]
