"""Neighbours of the engine faults in the regression cases: the rule behind each, in nearby forms."""

from __future__ import annotations

import time

from heaviside.engine import DispatchTask, Enter, Fail, Fork, FunctionFailed, ScheduleDelay, Succeed, TaskFailed, TaskSucceeded, advance
from heaviside.local import FAILED, SUCCEEDED, run

from tests.test_engine import NOW, begin, machine, only

FAST = 0.001


# Null paths: InputPath null gives {}, OutputPath null gives {}, ResultPath applies to the raw input.


def test_null_output_path_inside_map_iterations():
    raw = machine(
        (
            "M",
            {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "OutputPath": None, "End": True}}},
            },
        )
    )
    _, _, actions = begin(raw, [1, 2])
    assert only(actions, Succeed).output == [{}, {}]


def test_null_input_path_result_goes_into_raw_input():
    raw = machine(("P", {"Type": "Pass", "InputPath": None, "ResultPath": "$.r"}))
    _, _, actions = begin(raw, {"keep": 1})
    assert only(actions, Succeed).output == {"keep": 1, "r": {}}


def test_null_result_path_on_lambda_invoke():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"},
                "ResultPath": None,
            },
        )
    )
    program, execution, actions = begin(raw, {"orderId": "A-1"})
    output = only(advance(program, execution, actions[0].cursor, TaskSucceeded({"x": 1}), NOW), Succeed).output
    assert output == {"orderId": "A-1"}


def test_result_path_places_any_json_value():
    for result in (0, None, [1, 2], "text", {"nested": True}):
        raw = machine(("T", {"Type": "Task", "Resource": "f", "ResultPath": "$.deep.value"}))
        program, execution, actions = begin(raw, {"first": "alpha"})
        output = only(advance(program, execution, actions[0].cursor, TaskSucceeded(result), NOW), Succeed).output
        assert output == {"first": "alpha", "deep": {"value": result}}, result


# Function errors and retriers: a retrier matches the error name, nothing wider.


def test_lambda_service_retrier_matches_service_error():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 1}],
            },
        )
    )
    program, execution, actions = begin(raw)
    delay = advance(program, execution, actions[0].cursor, TaskFailed("Lambda.ServiceException", "busy"), NOW)
    assert only(delay, ScheduleDelay).seconds == 1
    error_payload = {"errorMessage": "m", "errorType": "ValidationError", "requestId": "r", "stackTrace": []}
    failed = advance(program, execution, actions[0].cursor, FunctionFailed(error_payload), NOW)
    assert only(failed, Fail).error == "ValidationError"


def test_catch_with_null_result_path_keeps_raw_input():
    raw = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": "f",
                "ResultSelector": {"never.$": "$.missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "H"}],
                "End": True,
            },
        ),
        ("H", {"Type": "Pass"}),
    )
    program, execution, actions = begin(raw, {"raw": True})
    output = only(advance(program, execution, actions[0].cursor, TaskFailed("E", "c"), NOW), Succeed).output
    assert output == {"raw": True}


# Parallel: branch order, Parameters as the branches' input, a failing branch fails the state.


def test_parallel_failure_does_not_wait_for_slow_branch():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 1000, "End": True}}},
                    {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "BranchFailed", "Cause": "b"}}},
                ],
                "End": True,
            }
        },
    }
    started = time.monotonic()
    execution = run(definition, {}, time_scale=0.01)
    assert execution.status == FAILED
    assert (execution.error, execution.cause) == ("BranchFailed", "b")
    assert time.monotonic() - started < 5


def test_map_output_keeps_item_order():
    def work(event, context):
        time.sleep(0.005 * (5 - event))
        return event

    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "work", "End": True}}},
                "End": True,
            }
        },
    }
    execution = run(definition, [0, 1, 2, 3, 4], functions={"work": work}, time_scale=FAST)
    assert execution.output == [0, 1, 2, 3, 4]


def test_parallel_parameters_are_branch_input():
    raw = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Parameters": {"state.$": "$$.State.Name", "value.$": "$.v"},
                "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
            },
        )
    )
    _, _, actions = begin(raw, {"v": 3, "other": 0})
    assert only(actions, Succeed).output == [{"state": "P", "value": 3}]


def test_parallel_with_tasks_dispatches_parameters():
    raw = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Parameters": {"value.$": "$.v"},
                "Branches": [{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "f", "End": True}}}],
            },
        )
    )
    program, execution, actions = begin(raw, {"v": 3})
    fork = only(actions, Fork)
    child = fork.children[0]
    assert child.input == {"value": 3}
    dispatch = only(advance(program, execution, child.cursor, Enter(child.input), NOW), DispatchTask)
    assert dispatch.payload == {"value": 3}


# Choice on the whole input, Result literal keys, variables read before Assign.


def test_choice_on_whole_input_with_falsy_values():
    raw = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "IsString": True, "Next": "S"}], "Default": "N"},
            "S": {"Type": "Pass", "Result": "string", "End": True},
            "N": {"Type": "Pass", "Result": "other", "End": True},
        },
    }
    for value, expected in (("", "string"), (0, "other"), (False, "other"), ([], "other")):
        _, _, actions = begin(raw, value)
        assert only(actions, Succeed).output == expected, value


def test_result_keys_ending_in_dollar_are_literal():
    raw = machine(("P", {"Type": "Pass", "Result": {"path.$": "$.x", "nested": {"also.$": "$$"}}}))
    _, _, actions = begin(raw, {"x": 1})
    assert only(actions, Succeed).output == {"path.$": "$.x", "nested": {"also.$": "$$"}}


def test_output_path_reads_value_before_assign():
    raw = machine(
        ("Init", {"Type": "Pass", "Result": {"v": "old"}, "Assign": {"v": "old"}}),
        ("Change", {"Type": "Pass", "Assign": {"v": "new"}, "Parameters": {"seen.$": "$v"}}),
        ("Show", {"Type": "Pass", "Parameters": {"before.$": "$.seen", "after.$": "$v"}}),
    )
    _, _, actions = begin(raw)
    assert only(actions, Succeed).output == {"before": "old", "after": "new"}


def test_jsonata_choice_output_of_default_and_rule():
    raw = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.flag %}", "Output": {"from": "rule"}, "Next": "A"}],
                "Default": "B",
                "Output": {"from": "default"},
            },
            "A": {"Type": "Succeed"},
            "B": {"Type": "Succeed"},
        },
    }
    _, _, actions = begin(raw, {"flag": True})
    assert only(actions, Succeed).output == {"from": "rule"}
    _, _, actions = begin(raw, {"flag": False})
    assert only(actions, Succeed).output == {"from": "default"}


def test_query_evaluation_error_is_catchable():
    raw = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "f",
                "Output": "{% $states.result.missing %}",
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Pass", "End": True},
        },
    }
    program, execution, actions = begin(raw)
    output = only(advance(program, execution, actions[0].cursor, TaskSucceeded({}), NOW), Succeed).output
    assert output["Error"] == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in output["Cause"]


def test_runner_null_paths_chain():
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "InputPath": None, "ResultPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "OutputPath": None, "End": True},
        },
    }
    execution = run(definition, {"x": 1}, time_scale=FAST)
    assert execution.status == SUCCEEDED
    assert execution.output == {}
