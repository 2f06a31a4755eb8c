"""Tests of the pure engine: start/advance over a cursor, with a fixed clock and no drivers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from heaviside.asl.model import build_definition
from heaviside.engine import (
    Arrive,
    Cursor,
    DelayElapsed,
    DispatchTask,
    EngineError,
    Enter,
    ExecutionInfo,
    Fail,
    Fork,
    FunctionFailed,
    FunctionNotFound,
    JoinCompleted,
    JoinFailed,
    ScheduleDelay,
    Succeed,
    TaskFailed,
    TaskSucceeded,
    TimedOut,
    advance,
    compile_program,
    start,
)

NOW = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=timezone.utc)
MACHINE_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:machine"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:worker"


def execution_for(execution_input, execution_type="STANDARD"):
    return ExecutionInfo(
        id="arn:aws:states:us-east-1:111111111111:execution:machine:run-1",
        name="run-1",
        input=execution_input,
        start_time=NOW,
        role_arn="arn:aws:iam::111111111111:role/sfn",
        state_machine_id=MACHINE_ARN,
        state_machine_name="machine",
        execution_type=execution_type,
    )


def begin(raw, execution_input=None, now=NOW):
    """Compile `raw` and start it; return (program, execution, actions)."""
    program = compile_program(build_definition(raw))
    execution = execution_for({} if execution_input is None else execution_input)
    return program, execution, start(program, execution, now)


def only(actions, action_type):
    assert len(actions) == 1, actions
    assert isinstance(actions[0], action_type), actions
    return actions[0]


def machine(*states, **top):
    """Build a definition whose states run in the order given, the last one ending."""
    names = [name for name, _ in states]
    built = {}
    for position, (name, state) in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in state and "End" not in state:
            if position + 1 < len(states):
                state["Next"] = names[position + 1]
            else:
                state["End"] = True
        built[name] = state
    return {"StartAt": names[0], "States": built, **top}


# --- Pass, paths and templates ---------------------------------------------


def test_pass_result_path_merges_result():
    raw = machine(("A", {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r"}))
    _, _, actions = begin(raw, {"in": True})
    assert only(actions, Succeed).output == {"in": True, "r": {"x": 1}}


def test_pass_null_result_path_keeps_input():
    raw = machine(("A", {"Type": "Pass", "Result": 5, "ResultPath": None}))
    _, _, actions = begin(raw, {"in": 1})
    assert only(actions, Succeed).output == {"in": 1}


def test_null_input_and_output_paths_give_empty_objects():
    raw = machine(("A", {"Type": "Pass", "InputPath": None}), ("B", {"Type": "Pass", "OutputPath": None}))
    _, _, actions = begin(raw, {"in": 1})
    assert only(actions, Succeed).output == {}

    raw = machine(("A", {"Type": "Pass", "InputPath": None}))
    _, _, actions = begin(raw, {"in": 1})
    assert only(actions, Succeed).output == {}


def test_parameters_read_context_object():
    raw = machine(
        ("A", {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name", "execution.$": "$$.Execution.Name"}})
    )
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == {"name": "A", "execution": "run-1"}


def test_context_object_shape():
    raw = machine(("A", {"Type": "Pass", "Parameters": {"c.$": "$$"}}))
    _, _, actions = begin(raw, {"k": "v"})
    context = only(actions, Succeed).output["c"]
    assert context["Execution"] == {
        "Id": "arn:aws:states:us-east-1:111111111111:execution:machine:run-1",
        "Input": {"k": "v"},
        "StartTime": "2024-05-01T10:00:00.123Z",
        "Name": "run-1",
        "RoleArn": "arn:aws:iam::111111111111:role/sfn",
        "RedriveCount": 0,
    }
    assert context["StateMachine"] == {"Id": MACHINE_ARN, "Name": "machine"}
    assert context["State"] == {"Name": "A", "EnteredTime": "2024-05-01T10:00:00.123Z"}


def test_express_context_has_no_redrive_count():
    program = compile_program(build_definition(machine(("A", {"Type": "Pass", "Parameters": {"c.$": "$$.Execution"}}))))
    actions = start(program, execution_for({}, "EXPRESS"), NOW)
    assert "RedriveCount" not in only(actions, Succeed).output["c"]


def test_missing_input_path_fails_with_states_runtime():
    raw = machine(("A", {"Type": "Pass", "InputPath": "$.missing"}))
    _, _, actions = begin(raw, {"present": 1})
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert failure.cause.startswith("An error occurred while executing the state 'A' (entered at the event id #2). ")
    assert "$.missing" in failure.cause


def test_result_over_256_kib_fails():
    raw = machine(("Big", {"Type": "Pass", "Result": {"data": "a" * (256 * 1024)}}))
    _, _, actions = begin(raw)
    failure = only(actions, Fail)
    assert failure.error == "States.DataLimitExceeded"
    assert failure.cause == (
        "The state/task 'Big' returned a result with a size exceeding the maximum number of bytes service limit."
    )


# --- Task ------------------------------------------------------------------


def test_task_dispatches_effective_input():
    raw = machine(
        ("T", {"Type": "Task", "Resource": FUNCTION_ARN, "InputPath": "$.job", "Parameters": {"id.$": "$.id"}})
    )
    _, _, actions = begin(raw, {"job": {"id": 7}, "other": 1})
    dispatch = only(actions, DispatchTask)
    assert dispatch.function == FUNCTION_ARN
    assert dispatch.payload == {"id": 7}
    assert dispatch.timeout_seconds is None
    assert dispatch.state == "T"


def test_task_result_selector_result_path_output_path():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "worker",
                "ResultSelector": {"value.$": "$.v"},
                "ResultPath": "$.out",
                "OutputPath": "$.out",
            },
        )
    )
    program, execution, actions = begin(raw, {"in": 1})
    cursor = only(actions, DispatchTask).cursor
    result = advance(program, execution, cursor, TaskSucceeded({"v": 42, "noise": 0}), NOW)
    assert only(result, Succeed).output == {"value": 42}


def test_cursor_survives_json_round_trip():
    raw = machine(("T", {"Type": "Task", "Resource": "worker", "ResultPath": "$.r"}))
    program, execution, actions = begin(raw, {"in": 1})
    data = json.loads(json.dumps(only(actions, DispatchTask).cursor.to_json()))
    cursor = Cursor.from_json(data)
    assert only(advance(program, execution, cursor, TaskSucceeded(2), NOW), Succeed).output == {"in": 1, "r": 2}


def test_cursor_from_malformed_json_raises_engine_error():
    with pytest.raises(EngineError):
        Cursor.from_json({"no-state": 1})


def test_lambda_invoke_shapes_result():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "worker", "Payload.$": "$"},
            },
        )
    )
    program, execution, actions = begin(raw, {"a": 1})
    dispatch = only(actions, DispatchTask)
    assert dispatch.function == "worker"
    assert dispatch.payload == {"a": 1}
    output = only(advance(program, execution, dispatch.cursor, TaskSucceeded({"b": 2}, "req-1"), NOW), Succeed).output
    assert output["Payload"] == {"b": 2}
    assert output["StatusCode"] == 200
    assert output["ExecutedVersion"] == "$LATEST"
    assert output["SdkResponseMetadata"] == {"RequestId": "req-1"}
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == str(len(json.dumps({"b": 2})))


@pytest.mark.parametrize(
    "payload, event",
    [(None, {}), ('{"a": 1}', {"a": 1}), ("0.0", 0.0), ("not json", "not json"), ([1], [1])],
)
def test_lambda_invoke_payload_forms(payload, event):
    raw = machine(
        (
            "T",
            {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$.p"}},
        )
    )
    _, _, actions = begin(raw, {"p": payload})
    assert only(actions, DispatchTask).payload == event


ERROR_PAYLOAD = {"errorMessage": "boom", "errorType": "BoomError", "requestId": "r-1", "stackTrace": []}


def test_function_error_cause_has_spaces_for_function_resource():
    raw = machine(("T", {"Type": "Task", "Resource": FUNCTION_ARN}))
    program, execution, actions = begin(raw)
    failure = only(advance(program, execution, actions[0].cursor, FunctionFailed(ERROR_PAYLOAD), NOW), Fail)
    assert failure.error == "BoomError"
    assert failure.cause == json.dumps(ERROR_PAYLOAD)


def test_function_error_cause_is_compact_for_lambda_invoke():
    raw = machine(
        ("T", {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}})
    )
    program, execution, actions = begin(raw)
    failure = only(advance(program, execution, actions[0].cursor, FunctionFailed(ERROR_PAYLOAD), NOW), Fail)
    assert failure.error == "BoomError"
    assert failure.cause == json.dumps(ERROR_PAYLOAD, separators=(",", ":"))


def test_function_not_found_names_qualified_arn():
    raw = machine(
        ("T", {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "ghost"}})
    )
    program, execution, actions = begin(raw)
    failure = only(advance(program, execution, actions[0].cursor, FunctionNotFound("ghost", "req-9"), NOW), Fail)
    assert failure.error == "Lambda.ResourceNotFoundException"
    assert failure.cause == (
        "Function not found: arn:aws:lambda:us-east-1:111111111111:function:ghost:$LATEST "
        "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
        "Request ID: req-9; Proxy: null)"
    )


def test_task_timeout_seconds_and_path():
    raw = machine(("T", {"Type": "Task", "Resource": "f", "TimeoutSeconds": 5}))
    _, _, actions = begin(raw)
    assert only(actions, DispatchTask).timeout_seconds == 5

    raw = machine(("T", {"Type": "Task", "Resource": "f", "TimeoutSecondsPath": "$.t"}))
    _, _, actions = begin(raw, {"t": 9})
    assert only(actions, DispatchTask).timeout_seconds == 9


def test_task_timeout_fails_without_cause():
    raw = machine(("T", {"Type": "Task", "Resource": "f", "TimeoutSeconds": 5}))
    program, execution, actions = begin(raw)
    failure = only(advance(program, execution, actions[0].cursor, TaskFailed("States.Timeout", ""), NOW), Fail)
    assert failure.error == "States.Timeout"
    assert failure.cause is None


def test_unsupported_resource_fails():
    raw = machine(("T", {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {}}))
    _, _, actions = begin(raw)
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert "sqs:sendMessage" in failure.cause


# --- Retry and Catch -------------------------------------------------------


def retrying_task(**retrier):
    return machine(("T", {"Type": "Task", "Resource": "f", "Retry": [{"ErrorEquals": ["States.ALL"], **retrier}]}))


def fail_once(program, execution, cursor, now=NOW):
    return advance(program, execution, cursor, FunctionFailed(ERROR_PAYLOAD), now)


def test_retry_backoff_intervals():
    program, execution, actions = begin(retrying_task(IntervalSeconds=2, BackoffRate=3, MaxAttempts=3))
    delays = []
    cursor = actions[0].cursor
    for _ in range(3):
        delay = only(fail_once(program, execution, cursor), ScheduleDelay)
        delays.append(delay.seconds)
        assert delay.until == NOW + timedelta(seconds=delay.seconds)
        cursor = only(advance(program, execution, delay.cursor, DelayElapsed(), NOW), DispatchTask).cursor
    assert delays == [2, 6, 18]
    assert only(fail_once(program, execution, cursor), Fail).error == "BoomError"


def test_retry_max_delay_caps_interval():
    program, execution, actions = begin(retrying_task(IntervalSeconds=4, BackoffRate=10, MaxAttempts=3, MaxDelaySeconds=5))
    first = only(fail_once(program, execution, actions[0].cursor), ScheduleDelay)
    cursor = only(advance(program, execution, first.cursor, DelayElapsed(), NOW), DispatchTask).cursor
    second = only(fail_once(program, execution, cursor), ScheduleDelay)
    assert first.seconds == 4
    assert second.seconds == 5


def test_retry_full_jitter_stays_within_backoff_and_repeats():
    program, execution, actions = begin(retrying_task(IntervalSeconds=10, JitterStrategy="FULL"))
    first = only(fail_once(program, execution, actions[0].cursor), ScheduleDelay)
    again = only(fail_once(program, execution, actions[0].cursor), ScheduleDelay)
    assert 0 <= first.seconds <= 10
    assert first.seconds == again.seconds


def test_retry_max_attempts_zero_never_retries():
    program, execution, actions = begin(retrying_task(MaxAttempts=0))
    assert only(fail_once(program, execution, actions[0].cursor), Fail).error == "BoomError"


def test_retry_count_in_context_object():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "Parameters": {"attempt.$": "$$.State.RetryCount"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
            },
        )
    )
    program, execution, actions = begin(raw)
    assert only(actions, DispatchTask).payload == {"attempt": 0}
    delay = only(fail_once(program, execution, actions[0].cursor), ScheduleDelay)
    retried = only(advance(program, execution, delay.cursor, DelayElapsed(), NOW), DispatchTask)
    assert retried.payload == {"attempt": 1}


def test_retriers_count_attempts_separately():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "Retry": [
                    {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
                    {"ErrorEquals": ["B"], "MaxAttempts": 1, "IntervalSeconds": 7},
                ],
            },
        )
    )
    program, execution, actions = begin(raw)
    cursor = actions[0].cursor
    first = only(advance(program, execution, cursor, TaskFailed("A"), NOW), ScheduleDelay)
    cursor = only(advance(program, execution, first.cursor, DelayElapsed(), NOW), DispatchTask).cursor
    second = only(advance(program, execution, cursor, TaskFailed("B"), NOW), ScheduleDelay)
    assert (first.seconds, second.seconds) == (1, 7)
    cursor = only(advance(program, execution, second.cursor, DelayElapsed(), NOW), DispatchTask).cursor
    assert only(advance(program, execution, cursor, TaskFailed("A"), NOW), Fail).error == "A"


def test_task_failed_matches_task_errors_but_not_timeout():
    raw = machine(
        ("T", {"Type": "Task", "Resource": "f", "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}], "End": True}),
        ("H", {"Type": "Pass"}),
    )
    program, execution, actions = begin(raw)
    caught = advance(program, execution, actions[0].cursor, FunctionFailed(ERROR_PAYLOAD), NOW)
    assert only(caught, Succeed).output["Error"] == "BoomError"
    timed_out = advance(program, execution, actions[0].cursor, TaskFailed("States.Timeout", ""), NOW)
    assert only(timed_out, Fail).error == "States.Timeout"


def test_catch_result_path_skips_output_path():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "OutputPath": "$.no.such.path",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "H"}],
                "End": True,
            },
        ),
        ("H", {"Type": "Pass"}),
    )
    program, execution, actions = begin(raw, {"in": 1})
    output = only(advance(program, execution, actions[0].cursor, TaskFailed("Oops", "why"), NOW), Succeed).output
    assert output == {"in": 1, "error": {"Error": "Oops", "Cause": "why"}}


def test_states_runtime_is_never_caught():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "OutputPath": "$.no.such.path",
                "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "H"}, {"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
        ),
        ("H", {"Type": "Pass"}),
    )
    program, execution, actions = begin(raw)
    failure = only(advance(program, execution, actions[0].cursor, TaskSucceeded({}), NOW), Fail)
    assert failure.error == "States.Runtime"
    assert "Invalid path '$.no.such.path'" in failure.cause


def test_data_limit_exceeded_is_caught_by_states_all():
    raw = machine(
        ("T", {"Type": "Task", "Resource": FUNCTION_ARN, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}], "End": True}),
        ("H", {"Type": "Pass"}),
    )
    program, execution, actions = begin(raw)
    output = only(advance(program, execution, actions[0].cursor, TaskSucceeded("a" * 262_145), NOW), Succeed).output
    assert output == {
        "Error": "States.DataLimitExceeded",
        "Cause": f"The state/task '{FUNCTION_ARN}' returned a result with a size exceeding "
        "the maximum number of bytes service limit.",
    }


# --- Choice, Wait, Fail, Succeed -------------------------------------------


def choice_machine(default=True):
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}]}
    if default:
        choice["Default"] = "Small"
    return {
        "StartAt": "C",
        "States": {
            "C": choice,
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
        },
    }


def test_choice_takes_matching_rule_and_default():
    _, _, actions = begin(choice_machine(), {"n": 5})
    assert only(actions, Succeed).output == "big"
    _, _, actions = begin(choice_machine(), {"n": 0})
    assert only(actions, Succeed).output == "small"


def test_choice_without_match_or_default_fails():
    _, _, actions = begin(choice_machine(default=False), {"n": 0})
    assert only(actions, Fail).error == "States.NoChoiceMatched"


def test_wait_seconds_schedules_delay_then_continues():
    raw = machine(("W", {"Type": "Wait", "Seconds": 30}), ("P", {"Type": "Pass", "Result": "done"}))
    program, execution, actions = begin(raw)
    delay = only(actions, ScheduleDelay)
    assert delay.seconds == 30
    assert delay.until == NOW + timedelta(seconds=30)
    later = NOW + timedelta(seconds=30)
    assert only(advance(program, execution, delay.cursor, DelayElapsed(), later), Succeed).output == "done"


def test_wait_timestamp_in_the_past_waits_zero():
    raw = machine(("W", {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z"}))
    _, _, actions = begin(raw)
    delay = only(actions, ScheduleDelay)
    assert delay.seconds == 0


def test_wait_seconds_path_rejects_fraction():
    raw = machine(("W", {"Type": "Wait", "SecondsPath": "$.s"}))
    _, _, actions = begin(raw, {"s": 1.5})
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert failure.cause.endswith("The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5")


def test_wait_timestamp_path_rejects_missing_zone():
    raw = machine(("W", {"Type": "Wait", "TimestampPath": "$.t"}))
    _, _, actions = begin(raw, {"t": "2016-12-05T21:29:29"})
    failure = only(actions, Fail)
    assert failure.cause.endswith(
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        "date-time format string: $.t == 2016-12-05T21:29:29"
    )


def test_fail_state_with_paths_and_without_fields():
    raw = machine(("F", {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}))
    _, _, actions = begin(raw, {"e": "E1", "c": "C1"})
    failure = only(actions, Fail)
    assert (failure.error, failure.cause) == ("E1", "C1")

    _, _, actions = begin(machine(("F", {"Type": "Fail"})))
    failure = only(actions, Fail)
    assert (failure.error, failure.cause) == (None, None)


def test_fail_error_path_missing():
    raw = machine(("F", {"Type": "Fail", "ErrorPath": "$.missing"}))
    _, _, actions = begin(raw, {"e": 1})
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert failure.cause.endswith(
        "The JSONPath '$.missing' specified for the field 'ErrorPath' could not be found in the input '{\"e\":1}'"
    )


def test_succeed_applies_paths():
    raw = machine(("S", {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}))
    _, _, actions = begin(raw, {"a": {"b": 3}})
    assert only(actions, Succeed).output == 3


def test_event_ids_in_cause_count_history_events():
    raw = machine(
        ("P1", {"Type": "Pass"}),
        ("T", {"Type": "Task", "Resource": "f"}),
        ("P2", {"Type": "Pass", "InputPath": "$.missing"}),
    )
    program, execution, actions = begin(raw, {})
    # ExecutionStarted 1, P1 entered 2 / exited 3, T entered 4, scheduled 5,
    # started 6, succeeded 7, exited 8, P2 entered 9.
    failure = only(advance(program, execution, actions[0].cursor, TaskSucceeded({}), NOW), Fail)
    assert "(entered at the event id #9)" in failure.cause


# --- Parallel and Map ------------------------------------------------------


def test_parallel_without_tasks_runs_inline_in_branch_order():
    raw = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": True}}},
                ],
            },
        )
    )
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == ["a", "b"]


def test_parallel_branch_failure_fails_the_state():
    raw = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "BranchError", "Cause": "b"}}},
                ],
            },
        )
    )
    _, _, actions = begin(raw)
    failure = only(actions, Fail)
    assert (failure.error, failure.cause) == ("BranchError", "b")


def test_map_inline_with_item_selector():
    raw = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
            },
        )
    )
    _, _, actions = begin(raw, {"items": ["a", "b"], "tag": "t"})
    assert only(actions, Succeed).output == [
        {"index": 0, "value": "a", "tag": "t"},
        {"index": 1, "value": "b", "tag": "t"},
    ]


def test_map_over_non_array_fails():
    raw = machine(
        ("M", {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}})
    )
    _, _, actions = begin(raw, {"not": "a list"})
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert failure.cause.endswith('Map state input must be an array but was: {"not":"a list"}')


def task_map(**fields):
    return machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ResultPath": "$.results",
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "f", "End": True}}},
                **fields,
            },
        )
    )


def test_map_with_task_forks_and_joins():
    program, execution, actions = begin(task_map(MaxConcurrency=2), {"items": [1, 2, 3]})
    fork = only(actions, Fork)
    assert fork.kind == "iteration"
    assert fork.max_concurrency == 2
    assert [child.input for child in fork.children] == [1, 2, 3]
    assert [child.index for child in fork.children] == [0, 1, 2]

    outputs = []
    for child in fork.children:
        dispatch = only(advance(program, execution, child.cursor, Enter(child.input), NOW), DispatchTask)
        assert dispatch.payload == child.input
        arrival = only(advance(program, execution, dispatch.cursor, TaskSucceeded(child.input * 10), NOW), Arrive)
        assert (arrival.join_id, arrival.index, arrival.failed) == (fork.join_id, child.index, False)
        outputs.append(arrival.output)

    done = advance(program, execution, fork.cursor, JoinCompleted(outputs), NOW)
    assert only(done, Succeed).output == {"items": [1, 2, 3], "results": [10, 20, 30]}


def test_child_failure_arrives_with_error():
    program, execution, actions = begin(task_map(), {"items": [1]})
    child = only(actions, Fork).children[0]
    dispatch = only(advance(program, execution, child.cursor, Enter(child.input), NOW), DispatchTask)
    arrival = only(advance(program, execution, dispatch.cursor, TaskFailed("E", "c"), NOW), Arrive)
    assert (arrival.failed, arrival.error, arrival.cause) == (True, "E", "c")


def test_join_failed_goes_to_catch():
    raw = task_map(Catch=[{"ErrorEquals": ["E"], "Next": "H"}], End=True)
    raw["States"]["H"] = {"Type": "Pass", "End": True}
    program, execution, actions = begin(raw, {"items": [1]})
    fork = only(actions, Fork)
    output = only(advance(program, execution, fork.cursor, JoinFailed("E", "c"), NOW), Succeed).output
    assert output == {"Error": "E", "Cause": "c"}


def test_fork_tolerance_rules():
    children = tuple(range(10))
    plain = Fork(cursor=None, join_id="j", kind="iteration", children=children)
    assert plain.exceeds_tolerance(1)
    by_count = Fork(None, "j", "iteration", children, tolerated_failure_count=2)
    assert not by_count.exceeds_tolerance(2)
    assert by_count.exceeds_tolerance(3)
    by_percentage = Fork(None, "j", "iteration", children, tolerated_failure_percentage=20)
    assert not by_percentage.exceeds_tolerance(2)
    assert by_percentage.exceeds_tolerance(3)
    assert not by_percentage.exceeds_tolerance(0)


def test_map_tolerated_failure_count_path_validation():
    raw = task_map(ToleratedFailureCountPath="$.tolerated")
    _, _, actions = begin(raw, {"items": [1], "tolerated": -1})
    assert only(actions, Fail).cause.endswith("ToleratedFailureCount cannot be negative.")
    _, _, actions = begin(raw, {"items": [1], "tolerated": "x"})
    assert only(actions, Fail).cause.endswith(
        'The ToleratedFailureCountPath field refers to value "x" which is not a valid integer: $.tolerated'
    )


def test_retried_map_forks_under_new_join_id():
    raw = task_map(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}])
    program, execution, actions = begin(raw, {"items": [1]})
    first = only(actions, Fork)
    child_cursor = first.children[0].cursor
    assert child_cursor.frames[-1].join_id == first.join_id
    assert child_cursor.scopes == ({}, {})

    delay = only(advance(program, execution, first.cursor, JoinFailed("E", "c"), NOW), ScheduleDelay)
    second = only(advance(program, execution, delay.cursor, DelayElapsed(), NOW), Fork)
    assert second.join_id != first.join_id


# --- Variables and timeouts ------------------------------------------------


def test_assign_sees_values_from_before_the_state():
    raw = machine(
        ("Init", {"Type": "Pass", "Assign": {"a": 1, "b": 2}}),
        ("Swap", {"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a"}}),
        ("Show", {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}}),
    )
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == {"a": 2, "b": 1}


def test_branch_variables_end_with_the_branch():
    raw = machine(
        ("Init", {"Type": "Pass", "Assign": {"outer": "o"}}),
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Set",
                        "States": {
                            "Set": {"Type": "Pass", "Assign": {"inner": 1}, "Next": "Read"},
                            "Read": {"Type": "Pass", "Parameters": {"outer.$": "$outer", "inner.$": "$inner"}, "End": True},
                        },
                    }
                ],
            },
        ),
    )
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == [{"outer": "o", "inner": 1}]


def test_execution_timeout():
    raw = machine(("W", {"Type": "Wait", "Seconds": 100}), TimeoutSeconds=10)
    program, execution, actions = begin(raw)
    delay = only(actions, ScheduleDelay)
    later = NOW + timedelta(seconds=11)
    assert only(advance(program, execution, delay.cursor, DelayElapsed(), later), TimedOut)


def test_unknown_state_in_cursor_raises_engine_error():
    program, execution, _ = begin(machine(("A", {"Type": "Pass"})))
    with pytest.raises(EngineError):
        advance(program, execution, Cursor(state="Nope"), DelayElapsed(), NOW)


def test_event_that_does_not_fit_raises_engine_error():
    program, execution, _ = begin(machine(("A", {"Type": "Pass"})))
    with pytest.raises(EngineError, match="TaskSucceeded"):
        advance(program, execution, Cursor(state="A"), TaskSucceeded({}), NOW)
    with pytest.raises(EngineError, match="unknown event"):
        advance(program, execution, Cursor(state="A"), object(), NOW)


def test_compile_program_caches_by_identity():
    definition = build_definition(machine(("A", {"Type": "Pass"})))
    assert compile_program(definition) is compile_program(definition)


# --- JSONata ---------------------------------------------------------------


def test_jsonata_now_is_the_engine_time():
    raw = machine(("A", {"Type": "Pass", "Output": "{% $now() %}"}), QueryLanguage="JSONata")
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == "2024-05-01T10:00:00.123Z"


def test_jsonata_task_arguments_output_and_assign():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "Arguments": {"n": "{% $states.input.n + 1 %}"},
                "Output": {"result": "{% $states.result %}", "input": "{% $states.input.n %}"},
                "Assign": {"last": "{% $states.result %}"},
            },
        ),
        ("Show", {"Type": "Pass", "Output": "{% $last %}"}),
        QueryLanguage="JSONata",
    )
    program, execution, actions = begin(raw, {"n": 1})
    dispatch = only(actions, DispatchTask)
    assert dispatch.payload == {"n": 2}
    assert only(advance(program, execution, dispatch.cursor, TaskSucceeded("r"), NOW), Succeed).output == "r"


def test_jsonata_catch_sees_error_output():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput.Error %}", "Next": "H"}],
                "End": True,
            },
        ),
        ("H", {"Type": "Pass"}),
        QueryLanguage="JSONata",
    )
    program, execution, actions = begin(raw)
    assert only(advance(program, execution, actions[0].cursor, TaskFailed("Nope", "x"), NOW), Succeed).output == "Nope"


def test_jsonata_undefined_output_names_field():
    raw = machine(("A", {"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}}), QueryLanguage="JSONata")
    _, _, actions = begin(raw, {})
    failure = only(actions, Fail)
    assert failure.error == "States.QueryEvaluationError"
    assert failure.cause == (
        "An error occurred while executing the state 'A' (entered at the event id #2). "
        "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined)."
    )


def test_jsonata_choice_condition_and_wait_seconds():
    raw = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.go %}", "Next": "W"}], "Default": "D"},
            "W": {"Type": "Wait", "Seconds": "{% $states.input.wait %}", "End": True},
            "D": {"Type": "Succeed"},
        },
    }
    _, _, actions = begin(raw, {"go": True, "wait": 7})
    assert only(actions, ScheduleDelay).seconds == 7
    _, _, actions = begin(raw, {"go": False, "wait": 7})
    assert only(actions, Succeed).output == {"go": False, "wait": 7}


def test_map_with_item_reader_fails_clearly():
    raw = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "X",
                    "States": {"X": {"Type": "Pass", "End": True}},
                },
            },
        )
    )
    _, _, actions = begin(raw, {})
    failure = only(actions, Fail)
    assert failure.error == "States.ItemReaderFailed"
    assert "ItemReader" in failure.cause


def test_function_not_found_without_name_resolves_it():
    raw = machine(
        ("T", {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}})
    )
    program, execution, actions = begin(raw, {"fn": "ghost"})
    failure = only(advance(program, execution, actions[0].cursor, FunctionNotFound("", "r"), NOW), Fail)
    assert "function:ghost:$LATEST" in failure.cause


def test_join_failure_error_depends_on_tolerance():
    plain = Fork(None, "j", "iteration", (None,))
    assert plain.join_failure("E", "c") == ("E", "c")
    tolerant = Fork(None, "j", "iteration", (None,), tolerated_failure_count=0)
    error, cause = tolerant.join_failure("E", "c")
    assert error == "States.ExceedToleratedFailureThreshold"
    assert "threshold" in cause


def test_distributed_map_children_start_fresh():
    raw = machine(
        ("Init", {"Type": "Pass", "Assign": {"outer": 1}}),
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "W",
                    "States": {"W": {"Type": "Task", "Resource": "f", "End": True}},
                },
            },
        ),
    )
    _, _, actions = begin(raw, [1])
    child = only(actions, Fork).children[0]
    assert child.cursor.scopes == ({},)
    assert child.cursor.event_id == 1


def test_endless_control_loop_hits_history_limit():
    raw = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
    }
    _, _, actions = begin(raw)
    failure = only(actions, Fail)
    assert failure.error == "States.Runtime"
    assert "25000 history events" in failure.cause


def test_event_ids_continue_after_inline_map_and_parallel():
    branch = {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}
    raw = machine(
        ("M", {"Type": "Map", "ItemProcessor": branch}),
        ("P", {"Type": "Parallel", "Branches": [branch, branch]}),
        ("Bad", {"Type": "Pass", "InputPath": "$.missing"}),
    )
    _, _, actions = begin(raw, [1, 2])
    # Map: entered 2, MapStateStarted 3, two iterations of 4 events (4-7, 8-11),
    # MapStateSucceeded 12, exited 13. Parallel: entered 14, started 15, two
    # branches of 2 events (16-19), succeeded 20, exited 21. Bad: entered 22.
    assert "(entered at the event id #22)" in only(actions, Fail).cause


def test_event_ids_continue_after_forked_map():
    raw = machine(
        ("M", {"Type": "Map", "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "f", "End": True}}}}),
        ("Bad", {"Type": "Pass", "InputPath": "$.missing"}),
    )
    program, execution, actions = begin(raw, [1])
    fork = only(actions, Fork)
    child = fork.children[0]
    dispatch = only(advance(program, execution, child.cursor, Enter(child.input), NOW), DispatchTask)
    arrival = only(advance(program, execution, dispatch.cursor, TaskSucceeded({}), NOW), Arrive)
    # Task entered 5, scheduled 6, started 7, succeeded 8, exited 9.
    assert arrival.events == 5
    failure = only(advance(program, execution, fork.cursor, JoinCompleted([{}], arrival.events), NOW), Fail)
    # MapIterationSucceeded 10, MapStateSucceeded 11, exited 12, Bad entered 13.
    assert "(entered at the event id #13)" in failure.cause


def test_on_enter_sees_every_state_entered():
    raw = machine(("A", {"Type": "Pass"}), ("B", {"Type": "Wait", "Seconds": 1}), ("C", {"Type": "Succeed"}))
    program = compile_program(build_definition(raw))
    execution = execution_for({})
    entered = []
    delay = only(start(program, execution, NOW, on_enter=lambda name, kind: entered.append((name, kind))), ScheduleDelay)
    advance(program, execution, delay.cursor, DelayElapsed(), NOW, on_enter=lambda name, kind: entered.append((name, kind)))
    assert entered == [("A", "Pass"), ("B", "Wait"), ("C", "Succeed")]
