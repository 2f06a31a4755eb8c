"""Tests of when the local runner calls a Task's handler on the caller's thread, and that results stay the same."""

from __future__ import annotations

import json
import threading
import time

from heaviside.local import FAILED, SUCCEEDED, TIMED_OUT, run
from tests.engine_support import failing_parallel

FAST = 0.001


def chain(count: int, **task_fields) -> dict:
    names = [f"T{index}" for index in range(count)]
    states = {}
    for position, name in enumerate(names):
        state = {"Type": "Task", "Resource": "work", "ResultPath": f"$.r{position}", **task_fields}
        if position + 1 < len(names):
            state["Next"] = names[position + 1]
        else:
            state["End"] = True
        states[name] = state
    return {"StartAt": names[0], "States": states}


class ThreadRecorder:
    """A handler that records the thread of each call and returns its event's `n` plus one."""

    def __init__(self):
        self.threads = []

    def __call__(self, event, context):
        self.threads.append(threading.current_thread())
        return event["n"] + 1


def test_plain_chain_runs_on_caller_thread():
    handler = ThreadRecorder()
    execution = run(chain(3), {"n": 1}, functions={"work": handler})
    assert execution.status == SUCCEEDED
    assert execution.output == {"n": 1, "r0": 2, "r1": 2, "r2": 2}
    assert handler.threads == [threading.current_thread()] * 3


def test_task_timeout_uses_pool_thread():
    handler = ThreadRecorder()
    execution = run(chain(2, TimeoutSeconds=30), {"n": 1}, functions={"work": handler}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output == {"n": 1, "r0": 2, "r1": 2}
    assert threading.current_thread() not in handler.threads


def test_task_timeout_still_enforced():
    def slow(event, context):
        context.sleep(100)
        return event

    definition = chain(1, TimeoutSeconds=5)
    execution = run(definition, {"n": 1}, functions={"work": slow}, time_scale=FAST)
    assert execution.status == FAILED
    assert execution.error == "States.Timeout"


def test_execution_timeout_still_enforced():
    def slow(event, context):
        context.sleep(100)
        return event

    definition = {**chain(1), "TimeoutSeconds": 5}
    execution = run(definition, {"n": 1}, functions={"work": slow}, time_scale=FAST)
    assert execution.status == TIMED_OUT


def test_parallel_branches_still_concurrent():
    # Each branch waits for the other at the barrier, so running one inline would time out.
    barrier = threading.Barrier(2, timeout=5)

    def meet(event, context):
        barrier.wait()
        return event

    branches = [
        {"StartAt": name, "States": {name: {"Type": "Task", "Resource": "meet", "End": True}}} for name in ("A", "B")
    ]
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": branches, "End": True}}}
    execution = run(definition, {"n": 1}, functions={"meet": meet})
    assert execution.status == SUCCEEDED
    assert execution.output == [{"n": 1}, {"n": 1}]


class FlakyError(Exception):
    pass


def test_inline_retry_then_catch():
    calls = []

    def flaky(event, context):
        calls.append(event)
        raise FlakyError("try again")

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "Retry": [{"ErrorEquals": ["FlakyError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    execution = run(definition, {"n": 1}, functions={"work": flaky}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert len(calls) == 3
    assert execution.output["n"] == 1
    assert execution.output["error"]["Error"] == "FlakyError"
    assert "try again" in execution.output["error"]["Cause"]


def test_inline_result_not_json():
    execution = run(chain(1), {"n": 1}, functions={"work": lambda event, context: {1, 2}})
    assert execution.status == FAILED
    assert execution.error == "Runtime.MarshalError"


def test_inline_result_is_copied():
    returned = {"items": [1]}
    execution = run(chain(1), {"n": 1}, functions={"work": lambda event, context: returned})
    returned["items"].append(2)
    assert execution.status == SUCCEEDED
    assert execution.output["r0"] == {"items": [1]}


def test_inline_function_not_found():
    execution = run(chain(1), {"n": 1}, functions={"other": ThreadRecorder()})
    assert execution.status == FAILED
    assert execution.error == "Lambda.ResourceNotFoundException"


# With an observer the runner dispatches Tasks as actions; without one it calls them within the engine.
PATHS = {"engine_inline": {}, "dispatched": {"observe": lambda record: None}}


def test_handler_event_changes_stay_local():
    def marks_event(event, context):
        event["status"] = "seen"
        event["order"]["lines"].append("extra")
        return {"done": True}

    for path, options in PATHS.items():
        execution_input = {"order": {"lines": ["a"]}}
        execution = run(chain(2), execution_input, functions={"work": marks_event}, **options)
        assert execution.status == SUCCEEDED, path
        assert execution.output == {"order": {"lines": ["a"]}, "r0": {"done": True}, "r1": {"done": True}}, path
        assert execution_input == {"order": {"lines": ["a"]}}, path


def test_handler_reusing_result_object_keeps_results():
    shared = {"calls": 0}

    def returns_shared_object(event, context):
        shared["calls"] += 1
        return shared

    for path, options in PATHS.items():
        shared["calls"] = 0
        execution = run(chain(2), {}, functions={"work": returns_shared_object}, **options)
        assert execution.output == {"r0": {"calls": 1}, "r1": {"calls": 2}}, path


def test_handler_non_json_result_fails_marshal():
    for path, options in PATHS.items():
        execution = run(chain(1), {}, functions={"work": lambda event, context: {"when": threading}}, **options)
        assert execution.status == FAILED, path
        assert execution.error == "Runtime.MarshalError", path


def _nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_stack_trace_has_no_caret_lines():
    def divides(event, context):
        return {"ratio": event["a"] / event["b"]}

    for path, options in PATHS.items():
        execution = run(chain(1), {"a": 1, "b": 0}, functions={"work": divides}, **options)
        assert execution.error == "ZeroDivisionError", path
        frames = json.loads(execution.cause)["stackTrace"]
        assert frames[-1].endswith('return {"ratio": event["a"] / event["b"]}\n'), path
        assert not any("^" in frame or "~" in frame for frame in frames), path


def test_catch_result_path_failure_fails_execution():
    def fails(event, context):
        raise ValueError("no")

    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "work",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "B"}],
                "End": True,
            },
            "B": {"Type": "Pass", "End": True},
        },
    }
    for path, options in PATHS.items():
        execution = run(definition, [1, 2], functions={"work": fails}, **options)
        assert execution.status == FAILED, path
        assert execution.error == "States.ResultPathMatchFailure", path
        assert "(entered at the event id #2)" in execution.cause, path


def test_handler_lone_surrogate_result_succeeds():
    for path, options in PATHS.items():
        execution = run(chain(1), {}, functions={"work": lambda event, context: {"s": "a\ud800b"}}, **options)
        assert execution.status == SUCCEEDED, path
        assert execution.output == {"r0": {"s": "a\ud800b"}}, path


def test_handler_deeply_nested_result_fails_marshal():
    parallel = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "work", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
                ],
                "End": True,
            }
        },
    }
    for definition in (chain(1), parallel):
        execution = run(definition, {}, functions={"work": lambda event, context: _nested(3000)})
        assert execution.status == FAILED
        assert execution.error == "Runtime.MarshalError"


def test_deeply_nested_state_data_fails_runtime():
    definition = {
        "StartAt": "Wrap",
        "States": {
            "Wrap": {"Type": "Pass", "Parameters": {"inner.$": "$", "n": 0}, "Next": "Again"},
            "Again": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 1, "Next": "Wrap"}], "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    execution = run(definition, {})
    assert execution.status == FAILED
    assert execution.error == "States.Runtime"
    assert "nested more deeply" in execution.cause


def test_tuple_in_input_is_copied_for_handler():
    def changes_nested(event, context):
        event["t"][0]["k"] = 99
        return None

    for path, options in PATHS.items():
        execution_input = {"t": ({"k": 1},)}
        execution = run(chain(1), execution_input, functions={"work": changes_nested}, **options)
        assert execution.status == SUCCEEDED, path
        assert execution_input == {"t": ({"k": 1},)}, path


def test_forked_process_draws_new_id_prefix():
    import multiprocessing

    from heaviside.local.runner import _new_id

    parent = _new_id()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply(_new_id)
    assert child[:24] != parent[:24]


def test_failed_parallel_stops_other_branches():
    """A branch that fails stops its siblings: a Task already running ends, and nothing after it runs."""
    calls = []

    def fails(event, context):
        raise ValueError("out of stock")

    def slow(event, context):
        time.sleep(0.1)
        calls.append("slow")
        return {}

    def after(event, context):
        calls.append("after")
        return {}

    definition = failing_parallel(1)
    for path, options in PATHS.items():
        calls.clear()
        functions = {"fails": fails, "slow": slow, "after": after}
        execution = run(definition, {}, functions=functions, time_scale=0.5, **options)
        assert execution.status == SUCCEEDED, path
        assert calls == ["slow"], path
