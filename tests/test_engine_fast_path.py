"""The fast path for Pass, Choice and Succeed states returns exactly what the general path returns.

Each case runs `start` twice on the same program: once with its fast steps
and once with them removed, and compares the actions, cursors included.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.engine_support import execution_info
from heaviside.asl.model import build_definition
from heaviside.engine import Fail, Succeed, compile_program, start
from heaviside.engine import interpreter

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def _execution(execution_input, execution_type="STANDARD"):
    return execution_info(execution_input, NOW, execution_type)


def _both_paths(definition, execution_input, execution_type="STANDARD", observe=True):
    """Run `definition` with and without fast steps; `observe` passes an on_enter callback."""
    program = compile_program(build_definition(definition))
    execution = _execution(execution_input, execution_type)
    entered_fast: list = []
    entered_general: list = []
    fast_observer = (lambda *state: entered_fast.append(state)) if observe else None
    general_observer = (lambda *state: entered_general.append(state)) if observe else None
    fast = start(program, execution, NOW, on_enter=fast_observer)
    steps = program.fast_steps
    program.fast_steps = {}
    try:
        general = start(program, execution, NOW, on_enter=general_observer)
    finally:
        program.fast_steps = steps
    return steps, fast, general, entered_fast, entered_general


def _chain(*states):
    names = [f"S{index}" for index in range(len(states))]
    body = {}
    for index, state in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Choice", "Succeed", "Fail") and "End" not in state:
            if index + 1 < len(states):
                state["Next"] = names[index + 1]
            else:
                state["End"] = True
        body[names[index]] = state
    return {"StartAt": names[0], "States": body}


CASES = {
    "pass_parameters_result_path": _chain(
        {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": 1}, "ResultPath": "$.r"},
        {"Type": "Pass", "InputPath": "$.r", "OutputPath": "$.a"},
    ),
    "pass_result_and_null_paths": _chain(
        {"Type": "Pass", "Result": {"fixed": True}, "ResultPath": None},
        {"Type": "Pass", "InputPath": None, "ResultPath": "$.kept"},
        {"Type": "Pass", "OutputPath": None},
    ),
    "choice_default_and_succeed": {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "NumericGreaterThan": 5, "Next": "Big"}],
                "Default": "Small",
                "OutputPath": "$",
            },
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Pass", "Result": "small", "Next": "Done"},
            "Done": {"Type": "Succeed", "InputPath": "$"},
        },
    },
    "missing_path_fails_with_cause": _chain(
        {"Type": "Pass"},
        {"Type": "Pass", "Parameters": {"a.$": "$.missing"}},
    ),
    "no_choice_matched": {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": "y", "Next": "P"}]},
        },
    },
    "intrinsic_failure": _chain(
        {"Type": "Pass"},
        {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.x, 'a')"}},
    ),
    "context_and_variables_stay_general": _chain(
        {"Type": "Pass", "Assign": {"seen.$": "$.x"}},
        {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name", "seen.$": "$seen"}},
        {"Type": "Pass", "Parameters": {"again.$": "$.seen"}},
    ),
    "over_data_limit": _chain(
        {"Type": "Pass", "Parameters": {"a.$": "$.big", "b.$": "$.big"}, "ResultPath": "$.r"},
        {"Type": "Pass", "Parameters": {"c.$": "$.big"}, "ResultPath": "$.s"},
    ),
    "bound_over_limit_but_size_under": _chain(
        {"Type": "Pass", "Parameters": {"a.$": "$.big"}, "ResultPath": "$.r"},
        {"Type": "Pass", "Parameters": {"a.$": "$.big"}, "ResultPath": "$.r"},
        {"Type": "Pass", "Parameters": {"a.$": "$.big"}, "ResultPath": "$.r"},
        {"Type": "Pass", "ResultPath": None, "OutputPath": "$.r"},
    ),
    "loop_to_history_limit": {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
    },
    "inline_map_and_parallel": _chain(
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {"Type": "Pass", "Parameters": {"v.$": "$"}, "Next": "Route"},
                    "Route": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.v", "NumericEquals": 2, "Next": "Two"}],
                        "Default": "Other",
                    },
                    "Two": {"Type": "Pass", "Result": "two", "End": True},
                    "Other": {"Type": "Succeed"},
                },
            },
            "ResultPath": "$.mapped",
        },
        {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "InputPath": "$.mapped", "End": True}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Succeed", "OutputPath": "$.x"}}},
            ],
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_matches_general_path(case):
    steps, fast, general, entered_fast, entered_general = _both_paths(
        CASES[case], {"x": 3, "items": [1, 2, 3], "big": "b" * 90_000}
    )

    assert steps, "the case has no state that takes the fast path"
    assert fast == general
    assert entered_fast == entered_general


MAP_CASES = {
    "all_items_fast": CASES["inline_map_and_parallel"],
    "item_without_match_fails": {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Route",
                    "States": {
                        "Route": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericLessThan": 3, "Next": "Ok"}]},
                        "Ok": {"Type": "Succeed"},
                    },
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"}],
                "Next": "After",
            },
            "After": {"Type": "Pass", "End": True},
        },
    },
    "tolerated_failure": {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ToleratedFailureCount": 1,
                "ItemProcessor": {
                    "StartAt": "Check",
                    "States": {
                        "Check": {"Type": "Pass", "Parameters": {"v.$": "$.missing"}, "End": True},
                        "Unused": {"Type": "Succeed"},
                    },
                },
                "End": True,
            },
        },
    },
    "body_with_context_reader": {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Name",
                    "States": {"Name": {"Type": "Pass", "Parameters": {"n.$": "$$.State.Name"}, "End": True}},
                },
                "End": True,
            },
        },
    },
}


@pytest.mark.parametrize("case", sorted(MAP_CASES))
def test_fast_map_matches_general_path(case):
    _, fast, general, _, _ = _both_paths(MAP_CASES[case], {"x": 3, "items": [1, 2, 3]}, observe=False)

    assert fast == general


def test_fast_path_reaches_history_limit():
    _, fast, general, _, _ = _both_paths(CASES["loop_to_history_limit"], {})

    assert isinstance(fast[0], Fail)
    assert fast == general


def test_fast_path_skips_context_and_variable_readers():
    program = compile_program(build_definition(CASES["context_and_variables_stay_general"]))

    assert sorted(program.fast_steps) == ["S2"]


def test_fast_path_failure_names_entered_event():
    _, fast, _, _, _ = _both_paths(CASES["missing_path_fails_with_cause"], {"x": 1})

    (failure,) = fast
    assert isinstance(failure, Fail)
    assert failure.error == "States.Runtime"
    assert "'S1' (entered at the event id #4)" in failure.cause


def test_fast_path_off_while_debug_logging(caplog):
    caplog.set_level("DEBUG", logger=interpreter.__name__)
    program = compile_program(build_definition(CASES["pass_parameters_result_path"]))

    (succeeded,) = start(program, _execution({"x": 3}), NOW)

    assert isinstance(succeeded, Succeed)
    assert succeeded.output == 3
    assert "enters state S1" in caplog.text


def test_fast_path_data_limit_fails():
    _, fast, _, _, _ = _both_paths(CASES["over_data_limit"], {"big": "b" * 90_000})

    (failure,) = fast
    assert isinstance(failure, Fail)
    assert failure.error == "States.DataLimitExceeded"


def test_fast_path_size_bound_rechecks():
    _, fast, _, _, _ = _both_paths(CASES["bound_over_limit_but_size_under"], {"big": "b" * 90_000})

    (succeeded,) = fast
    assert isinstance(succeeded, Succeed)
    assert succeeded.output == {"a": "b" * 90_000}
