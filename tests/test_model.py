"""Tests of the definition model: every state type, defaults, null versus absent, nesting."""

from __future__ import annotations

import dataclasses
import json

import pytest

from heaviside.asl import model
from heaviside.asl.model import ABSENT, build_definition

from tests.conftest import CONFORMANCE_CASES


def test_pass_defaults():
    definition = build_definition({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    state = definition.states["A"]
    assert isinstance(state, model.PassState)
    assert state.input_path == "$"
    assert state.output_path == "$"
    assert state.result_path == "$"
    assert state.result is ABSENT
    assert state.parameters is ABSENT
    assert state.end is True
    assert state.next is None
    assert state.query_language == "JSONPath"


def test_null_paths_stay_none():
    raw = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "InputPath": None, "OutputPath": None, "ResultPath": None, "End": True}},
    }
    state = build_definition(raw).states["A"]
    assert state.input_path is None
    assert state.output_path is None
    assert state.result_path is None


def test_null_result_differs_from_absent():
    raw = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": None, "End": True}}}
    assert build_definition(raw).states["A"].result is None


def test_task_fields_and_retry_defaults():
    raw = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"},
                "ResultSelector": {"p.$": "$.Payload"},
                "TimeoutSeconds": 5,
                "HeartbeatSeconds": 2,
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "T", "ResultPath": "$.error"}],
                "End": True,
            }
        },
    }
    state = build_definition(raw).states["T"]
    assert isinstance(state, model.TaskState)
    assert state.resource == "arn:aws:states:::lambda:invoke"
    assert state.timeout_seconds == 5
    assert state.heartbeat_seconds == 2
    retrier = state.retry[0]
    assert retrier.error_equals == ("States.ALL",)
    assert retrier.interval_seconds == 1
    assert retrier.max_attempts == 3
    assert retrier.backoff_rate == 2.0
    assert retrier.max_delay_seconds is None
    assert retrier.jitter_strategy == "NONE"
    catcher = state.catch[0]
    assert catcher.next == "T"
    assert catcher.result_path == "$.error"
    assert catcher.output is ABSENT


def test_catcher_result_path_default_and_null():
    raw = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "f",
                "Catch": [
                    {"ErrorEquals": ["A"], "Next": "T"},
                    {"ErrorEquals": ["B"], "Next": "T", "ResultPath": None},
                ],
                "End": True,
            }
        },
    }
    first, second = build_definition(raw).states["T"].catch
    assert first.result_path == "$"
    assert second.result_path is None


def test_choice_rule_keeps_only_the_condition():
    raw = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.x",
                        "NumericEquals": 1,
                        "Next": "D",
                        "Comment": "one",
                        "Assign": {"seen": True},
                    }
                ],
                "Default": "D",
            },
            "D": {"Type": "Succeed"},
        },
    }
    state = build_definition(raw).states["C"]
    branch = state.choices[0]
    assert dict(branch.rule) == {"Variable": "$.x", "NumericEquals": 1}
    assert branch.next == "D"
    assert branch.assign == {"seen": True}
    assert branch.comment == "one"
    assert state.default == "D"


def test_wait_and_fail_fields():
    raw = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "F"},
            "F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "because"},
        },
    }
    definition = build_definition(raw)
    wait = definition.states["W"]
    assert wait.seconds is None
    assert wait.seconds_path == "$.s"
    fail = definition.states["F"]
    assert fail.error_path == "$.e"
    assert fail.cause == "because"
    assert fail.error is None


def test_map_legacy_iterator_and_parameters():
    raw = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "Parameters": {"v.$": "$$.Map.Item.Value"},
                "End": True,
            }
        },
    }
    state = build_definition(raw).states["M"]
    assert state.item_processor.start_at == "P"
    assert state.item_selector == {"v.$": "$$.Map.Item.Value"}
    assert state.max_concurrency == 0
    assert state.items_path == "$"


def test_map_distributed_config():
    raw = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "ToleratedFailurePercentage": 10,
                "Label": "run",
                "End": True,
            }
        },
    }
    state = build_definition(raw).states["M"]
    assert state.item_processor.processor_config == model.ProcessorConfig("DISTRIBUTED", "EXPRESS")
    assert state.tolerated_failure_percentage == 10
    assert state.label == "run"


def test_query_language_inherited_by_nested_states():
    raw = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "QueryLanguage": "JSONPath",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}],
                "End": True,
            }
        },
    }
    definition = build_definition(raw)
    parallel = definition.states["P"]
    assert parallel.query_language == "JSONPath"
    # Inner states take the machine's language, not the Parallel state's.
    assert parallel.branches[0].states["B"].query_language == "JSONata"


def test_iter_states_reaches_nested_states():
    raw = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
                                "End": True,
                            }
                        },
                    }
                ],
                "End": True,
            }
        },
    }
    names = [state.name for state in build_definition(raw).iter_states()]
    assert names == ["P", "M", "X"]


def test_model_is_frozen():
    definition = build_definition({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.states["A"].next = "B"
    with pytest.raises(TypeError):
        definition.states["B"] = definition.states["A"]


def test_absent_is_a_singleton():
    import copy
    import pickle

    assert copy.deepcopy(ABSENT) is ABSENT
    assert pickle.loads(pickle.dumps(ABSENT)) is ABSENT
    assert not ABSENT


def test_every_corpus_definition_builds():
    files = sorted(CONFORMANCE_CASES.glob("*.json"))
    assert files, "the conformance corpus is missing"
    for path in files:
        raw = json.loads(path.read_text())["definition"]
        definition = build_definition(raw)
        assert set(definition.states) == set(raw["States"]), path.name
