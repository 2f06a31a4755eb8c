"""Tests of payload templates (heaviside.asl.templates), including the corpus's
single-state Pass machines whose output is the evaluated Parameters."""

from __future__ import annotations

import json
import re

import pytest

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.templates import compile_payload_template
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS


def _pass_parameter_cases() -> list:
    """Collect corpus cases that are one Pass state with Parameters and no other paths."""
    cases = []
    for case_file in sorted(CONFORMANCE_CASES.glob("*.json")):
        case = json.loads(case_file.read_text())
        states = case["definition"]["States"]
        if len(states) != 1:
            continue
        (state,) = states.values()
        if state["Type"] != "Pass" or "Parameters" not in state:
            continue
        if any(field in state for field in ("InputPath", "ResultPath", "OutputPath")):
            continue
        cases.append(pytest.param(case, id=case["id"]))
    return cases


def _context_for(case: dict) -> dict:
    names = case.get("context_names") or {}
    machine = names.get("state_machine") or "machine"
    return {
        "Execution": {"Input": case["input"], "Name": names.get("execution") or "execution"},
        "StateMachine": {
            "Id": f"arn:<partition>:states:<region>:111111111111:stateMachine:{machine}",
            "Name": machine,
        },
    }


def _matches_placeholder(expected, actual, placeholders) -> bool:
    """Compare, letting a runtime placeholder (generated-uuid ...) match any scalar."""
    if isinstance(expected, str) and expected in placeholders:
        return isinstance(actual, (str, int, float))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _matches_placeholder(expected[key], actual[key], placeholders) for key in expected
        )
    return expected == actual


@pytest.mark.parametrize("case", _pass_parameter_cases())
def test_corpus_pass_parameters(case):
    (state,) = case["definition"]["States"].values()
    template = compile_payload_template(state["Parameters"], "Parameters")
    expected = case["expected"]

    if expected["status"] == "FAILED":
        with pytest.raises(StatesError) as caught:
            template.evaluate(case["input"], _context_for(case), {})
        assert caught.value.error == expected["error"]
        return

    output = template.evaluate(case["input"], _context_for(case), {})
    placeholders = set(case.get("runtime_value_placeholders") or []) | {"RandomNumberGenerated"}
    assert _matches_placeholder(expected["output"], output, placeholders), output


def _regression(case_id: str) -> dict:
    return json.loads((REGRESSIONS / f"{case_id}.json").read_text())


@pytest.mark.parametrize("case_id", ["bug-006", "bug-024", "bug-025", "bug-026", "bug-029"])
def test_regression_pass_parameters(case_id):
    case = _regression(case_id)
    (state,) = case["definition"]["States"].values()
    context = {"Execution": {"Input": case["input"]}}

    output = compile_payload_template(state["Parameters"], "Parameters").evaluate(case["input"], context, {})

    assert output == case["expected"]["output"]


def test_regression_wildcard_single_match_list():
    case = _regression("bug-012")
    selector = case["definition"]["States"]["Fan"]["ResultSelector"]
    parallel_result = [{"message": "hello from one"}, {}]

    output = compile_payload_template(selector, "ResultSelector").evaluate(parallel_result, {}, {})

    assert output == case["expected"]["output"]


def test_constant_template_returned_as_is():
    template = {"a": [1, {"b": "c"}], "d": None}

    compiled = compile_payload_template(template, "Parameters")

    assert compiled.is_constant
    assert compiled.evaluate({"x": 1}) is template


def test_nested_keys_and_arrays_evaluated():
    template = {"outer": {"inner.$": "$.x"}, "list": [{"item.$": "$$.Map.Item.Index"}, "plain", [{"v.$": "$v"}]]}
    context = {"Map": {"Item": {"Index": 3}}}

    output = compile_payload_template(template, "Parameters").evaluate({"x": 1}, context, {"v": "var"})

    assert output == {"outer": {"inner": 1}, "list": [{"item": 3}, "plain", [{"v": "var"}]]}


def test_literal_values_shared_not_copied():
    shared = {"deep": [1, 2]}
    template = {"keep": shared, "dynamic.$": "$.x"}

    output = compile_payload_template(template, "Parameters").evaluate({"x": 1})

    assert output["keep"] is shared


def test_missing_path_message():
    template = compile_payload_template({"value.$": "$.no_such_jsonpath"}, "Parameters")

    with pytest.raises(StatesError) as caught:
        template.evaluate({"int-literal": 0}, {}, {})

    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
        "could not be found in the input '{\"int-literal\":0}'"
    )


def test_missing_context_path_message():
    template = compile_payload_template({"value.$": "$$.Execution.Input.no_such_jsonpath"}, "Parameters")

    with pytest.raises(StatesError) as caught:
        template.evaluate({"int-literal": 0}, {"Execution": {"Input": {"int-literal": 0}}}, {})

    assert caught.value.error == "States.Runtime"
    assert re.fullmatch(
        r"The JSONPath '\$\$\.Execution\.Input\.no_such_jsonpath' specified for the field 'value\.\$' "
        r"could not be found in the input '.*'",
        caught.value.cause,
    )


def test_missing_intrinsic_argument_message():
    template = compile_payload_template({"value.$": "States.Array($.nope)"}, "Parameters")

    with pytest.raises(StatesError) as caught:
        template.evaluate({}, {}, {})

    assert caught.value.error == "States.Runtime"
    assert "'$.nope'" in caught.value.cause


def test_intrinsic_failure_propagates():
    template = compile_payload_template({"value.$": "States.ArrayGetItem($.a, 5)"}, "Parameters")

    with pytest.raises(StatesError) as caught:
        template.evaluate({"a": [1]}, {}, {})

    assert caught.value.error == "States.IntrinsicFailure"


@pytest.mark.parametrize(
    "template",
    [
        {"a.$": 1},
        {"a.$": None},
        {"a.$": ["$.x"]},
        {"a.$": "plain text"},
        {"a.$": "$.x y"},
        {"a.$": "States.Nope()"},
        {"nested": [{"a.$": {"b": 1}}]},
        {"a": 1, "a.$": "$.x"},
    ],
)
def test_invalid_template_rejected(template):
    with pytest.raises(DefinitionSyntaxError):
        compile_payload_template(template, "Parameters")
