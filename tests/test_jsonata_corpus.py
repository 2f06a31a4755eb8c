"""JSONata and variables evaluation against outcomes recorded on AWS.

The conformance cases whose machines use only JSONata Pass, Choice, Succeed
and Fail states run here through a small state walker. The walker uses the
evaluation layer alone (no engine), so a wrong JSONata result shows up here
before it reaches the interpreter. The regression cases on JSONata and
variables are checked at the same level.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heaviside.asl.errors import StatesError
from heaviside.asl.jsonata import check_field_value, compile_jsonata, compile_jsonata_template, is_jsonata
from heaviside.asl.variables import VariableScopes, compile_assign
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS

JSONATA_TAGS = {"QueryLanguage:JSONata", "QueryLanguage:Mixed", "Variables"}
WALKABLE_TYPES = {"Pass", "Choice", "Succeed", "Fail"}


class Failed(Exception):
    def __init__(self, error, cause):
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


def run_jsonata_machine(definition: dict, execution_input):
    """Walk a machine of JSONata Pass, Choice, Succeed and Fail states; return its output."""
    states = definition["States"]
    name = definition["StartAt"]
    value = execution_input
    scopes = VariableScopes()
    while True:
        state = states[name]
        bound = {"input": value, "context": {}}
        variables = scopes.visible()
        try:
            if state["Type"] == "Fail":
                raise Failed(_fail_field(state, "Error", bound, variables), _fail_field(state, "Cause", bound, variables))
            if state["Type"] == "Succeed":
                return _output(state, bound, variables, value)
            if state["Type"] == "Choice":
                chosen, name = _choose(state, bound, variables)
            else:
                chosen, name = state, state.get("Next")
            output = _output(chosen, bound, variables, value)
            assigned = compile_assign(chosen.get("Assign", {}), "JSONata").evaluate(variables, states=bound)
        except StatesError as error:
            raise Failed(error.error, error.cause) from None
        scopes = scopes.assign(assigned)
        value = output
        if state.get("End"):
            return value


def _choose(state, bound, variables):
    for rule in state["Choices"]:
        if compile_jsonata(rule["Condition"]).evaluate(bound, variables, field="Condition") is True:
            return rule, rule["Next"]
    if "Default" not in state:
        raise Failed("States.NoChoiceMatched", None)
    return state, state["Default"]


def _output(holder, bound, variables, value):
    if "Output" not in holder:
        return value
    return compile_jsonata_template(holder["Output"], "Output").evaluate(bound, variables)


def _fail_field(state, field, bound, variables):
    value = state.get(field)
    if not is_jsonata(value):
        return value
    expression = compile_jsonata(value)
    return check_field_value(field, expression.evaluate(bound, variables, field=field), expression.body)


def _walkable(definition: dict) -> bool:
    language = definition.get("QueryLanguage", "JSONPath")
    return all(
        state["Type"] in WALKABLE_TYPES and state.get("QueryLanguage", language) == "JSONata"
        for state in definition["States"].values()
    )


def _walkable_cases():
    cases = []
    for path in sorted(CONFORMANCE_CASES.glob("*.json")):
        case = json.loads(path.read_text())
        if JSONATA_TAGS & set(case["features"]) and _walkable(case["definition"]):
            cases.append(pytest.param(case, id=case["id"]))
    return cases


def _same_json(actual, expected) -> bool:
    """Compare JSON values, with an int equal to a float of the same value, and booleans strict."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(map(_same_json, actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_same_json(actual[key], expected[key]) for key in actual)
    return actual == expected


def _cause_body(cause):
    """Drop AWS's state prefix ("An error occurred while executing the state ... ). "), which the engine adds."""
    if isinstance(cause, str) and cause.startswith("An error occurred while executing the state"):
        return cause.split("). ", 1)[1]
    return cause


WALKABLE_CASES = _walkable_cases()


def test_corpus_has_walkable_cases():
    assert len(WALKABLE_CASES) >= 40


@pytest.mark.parametrize("case", WALKABLE_CASES)
def test_recorded_outcome(case):
    expected = case["expected"]
    try:
        output = run_jsonata_machine(case["definition"], case["input"])
    except Failed as failure:
        assert expected["status"] == "FAILED", f"failed with {failure.error}: {failure.cause}"
        assert failure.error == expected.get("error")
        assert failure.cause == _cause_body(expected.get("cause"))
        return
    assert expected["status"] == "SUCCEEDED", f"succeeded with {output!r}"
    assert _same_json(output, expected["output"]), f"{output!r} != {expected['output']!r}"


# --- regression cases -----------------------------------------------------------------


def _regression(case_id: str) -> dict:
    return json.loads((REGRESSIONS / f"{case_id}.json").read_text())


@pytest.mark.parametrize("case_id", ["bug-034", "bug-035", "bug-036"])
def test_jsonata_regression(case_id):
    case = _regression(case_id)
    expected = case["expected"]
    try:
        output = run_jsonata_machine(case["definition"], case["input"])
    except Failed as failure:
        assert expected["status"] == "FAILED"
        assert failure.error == expected["error"]
        assert failure.cause == _cause_body(expected["cause"])
        return
    assert expected["status"] == "SUCCEEDED"
    assert output == expected["output"]


def test_choice_default_output_and_assign():
    # With the flag false the state's own (default) Output and Assign apply.
    case = _regression("bug-034")
    assert run_jsonata_machine(case["definition"], {"flag": False}) == {"from": "default", "who": "default"}


def test_choice_non_boolean_condition_is_no_match():
    definition = _regression("bug-034")["definition"]
    assert run_jsonata_machine(definition, {"flag": "yes"}) == {"from": "default", "who": "default"}


def test_undefined_member_in_nested_output():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "E",
        "States": {"E": {"Type": "Pass", "Output": {"outer": {"v": ["{% $states.input.missing %}"]}}, "End": True}},
    }
    with pytest.raises(Failed) as caught:
        run_jsonata_machine(definition, {})
    assert caught.value.cause == (
        "The JSONata expression '$states.input.missing' specified for the field 'Output/outer/v[0]' "
        "returned nothing (undefined)."
    )


def test_null_member_is_not_undefined():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "E",
        "States": {"E": {"Type": "Pass", "Output": {"v": "{% $states.input.present %}"}, "End": True}},
    }
    assert run_jsonata_machine(definition, {"present": None}) == {"v": None}


def test_functions_regression_neighbours():
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Fns",
        "States": {
            "Fns": {
                "Type": "Pass",
                "Output": {
                    "p": "{% $partition([1,2,3], 2) %}",
                    "r": "{% $range(0, 5, 2) %}",
                    "h": "{% $hash('input', 'SHA-512') %}",
                    "j": "{% $parse('[1,{\"b\":null}]') %}",
                },
                "End": True,
            }
        },
    }
    output = run_jsonata_machine(definition, {})
    assert output["p"] == [[1, 2], [3]]
    assert output["r"] == [0, 2, 4]
    assert output["h"] == (
        "dc6d6c30f2be9c976d6318c9a534d85e9a1c3f3608321a04b4678ef408124d45d7164f3e562e68c6c0b6c077340a78"
        "5824017032fddfa924f4cf400e6cbb6adc"
    )
    assert output["j"] == [1, {"b": None}]


def test_assign_sees_values_from_state_entry():
    """JSONata neighbour of the JSONPath evaluation-order regression: Output and Assign read old values."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"counter": 7, "other": 1}, "Next": "Reassign"},
            "Reassign": {
                "Type": "Pass",
                "Output": "{% $counter %}",
                "Assign": {"counter": "reset", "other": "{% $counter %}"},
                "Next": "Show",
            },
            "Show": {"Type": "Pass", "Output": {"prev": "{% $states.input %}", "now": "{% $counter %}", "other": "{% $other %}"}, "End": True},
        },
    }
    assert run_jsonata_machine(definition, {}) == {"prev": 7, "now": "reset", "other": 7}
