"""Workflow variables: Assign in both query languages, names, limits and scopes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.variables import (
    MAX_ASSIGN_BYTES,
    MAX_EXECUTION_VARIABLES_BYTES,
    MAX_VARIABLE_BYTES,
    VariableScopes,
    check_assign_size,
    compile_assign,
    is_valid_variable_name,
    variable_name_problem,
)

# --- names ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x", "_private", "camelCase", "snake_case_2", "ünïcode", "a" * 80])
def test_valid_variable_names(name):
    assert is_valid_variable_name(name)
    assert variable_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("states", "reserved"),
        ("x.y", "part of a variable"),
        ("x[2]", "part of a variable"),
        ("2fast", "invalid"),
        ("has space", "invalid"),
        ("dash-name", "invalid"),
        ("", "invalid"),
        ("a" * 81, "maximum is 80"),
        (5, "must be a string"),
    ],
)
def test_invalid_variable_names(name, fragment):
    assert not is_valid_variable_name(name)
    assert fragment in variable_name_problem(name)


def test_sub_path_problem_names_whole_variable():
    assert "assign the whole variable 'x'" in variable_name_problem("x.y[0]")


# --- compile_assign ---------------------------------------------------------------


def test_jsonpath_assign_paths_variables_and_intrinsics():
    assign = compile_assign(
        {
            "constant": "reset",
            "fromInput.$": "$.v",
            "fromContext.$": "$$.State.Name",
            "fromVariable.$": "$counter",
            "formatted.$": "States.Format('{}-{}', $counter, $.v)",
        },
        "JSONPath",
    )
    values = assign.evaluate({"counter": 7}, value={"v": 1}, context={"State": {"Name": "S"}})
    assert assign.names == ("constant", "fromInput", "fromContext", "fromVariable", "formatted")
    assert values == {"constant": "reset", "fromInput": 1, "fromContext": "S", "fromVariable": 7, "formatted": "7-1"}


def test_jsonata_assign_expressions_at_any_depth():
    assign = compile_assign({"a": "{% $states.input.q %}", "nested": {"list": ["{% $v + 1 %}", "plain"]}}, "JSONata")
    values = assign.evaluate({"v": 1}, states={"input": {"q": "Q"}})
    assert values == {"a": "Q", "nested": {"list": [2, "plain"]}}


def test_jsonata_assign_keeps_dollar_suffix_keys():
    # In JSONata states `.$` has no meaning, so the key is the name as written.
    with pytest.raises(DefinitionSyntaxError):
        compile_assign({"x.$": "$.a"}, "JSONata")


def test_assign_swap_reads_old_values():
    jsonata = compile_assign({"a": "{% $b %}", "b": "{% $a %}"}, "JSONata")
    assert jsonata.evaluate({"a": 1, "b": 2}, states={}) == {"a": 2, "b": 1}
    jsonpath = compile_assign({"a.$": "$b", "b.$": "$a"}, "JSONPath")
    assert jsonpath.evaluate({"a": 1, "b": 2}, value={}) == {"a": 2, "b": 1}


def test_jsonata_assign_undefined_names_field():
    assign = compile_assign({"result": "{% $doesNotExist %}"}, "JSONata")
    with pytest.raises(StatesError) as caught:
        assign.evaluate({}, states={})
    assert caught.value.error == "States.QueryEvaluationError"
    assert caught.value.cause == (
        "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."
    )


def test_jsonpath_assign_missing_variable_fails():
    assign = compile_assign({"x.$": "$missing"}, "JSONPath")
    with pytest.raises(StatesError):
        assign.evaluate({}, value={})


@pytest.mark.parametrize("obj", [[], "x", None, 1])
def test_assign_must_be_object(obj):
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_assign(obj, "JSONPath")
    assert "Assign must be an object" in str(caught.value)


@pytest.mark.parametrize(("key", "language"), [("states", "JSONata"), ("states.$", "JSONPath"), ("a.b", "JSONata"), ("1x", "JSONPath")])
def test_assign_rejects_invalid_names(key, language):
    value = "$.a" if key.endswith(".$") else 1
    with pytest.raises(DefinitionSyntaxError):
        compile_assign({key: value}, language)


def test_assign_rejects_invalid_jsonata():
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_assign({"x": "{% unqualified %}"}, "JSONata")
    assert caught.value.code == "UNSUPPORTED_JSONATA_EXPRESSION"


def test_assign_rejects_unknown_query_language():
    with pytest.raises(ValueError):
        compile_assign({}, "XPath")


def test_empty_assign_evaluates_to_empty():
    assert compile_assign({}, "JSONata").evaluate({}, states={}) == {}
    assert compile_assign({}, "JSONPath").evaluate({}, value={}) == {}


# --- limits ---------------------------------------------------------------------------


def _string_of_json_size(size: int) -> str:
    # A JSON string of n characters takes n + 2 bytes with its quotes.
    return "a" * (size - 2)


def test_variable_at_limit_accepted():
    check_assign_size({"x": _string_of_json_size(MAX_VARIABLE_BYTES)})


def test_variable_over_limit_rejected():
    with pytest.raises(StatesError) as caught:
        check_assign_size({"x": _string_of_json_size(MAX_VARIABLE_BYTES + 1)})
    assert caught.value.error == "States.DataLimitExceeded"
    assert "'x'" in caught.value.cause
    assert "262145 bytes" in caught.value.cause


def test_assign_total_over_limit_rejected():
    half = _string_of_json_size(MAX_ASSIGN_BYTES // 2 + 1)
    with pytest.raises(StatesError) as caught:
        check_assign_size({"a": half, "b": half})
    assert caught.value.error == "States.DataLimitExceeded"
    assert "per Assign" in caught.value.cause


def test_assign_evaluate_checks_size():
    assign = compile_assign({"big": "{% $pad('', 300000, 'x') %}"}, "JSONata")
    with pytest.raises(StatesError) as caught:
        assign.evaluate({}, states={})
    assert caught.value.error == "States.DataLimitExceeded"


def test_size_counts_utf8_bytes():
    # "é" is one character and two UTF-8 bytes.
    with pytest.raises(StatesError):
        check_assign_size({"x": "é" * (MAX_VARIABLE_BYTES // 2)})


def test_execution_total_over_limit_rejected():
    chunk = _string_of_json_size(MAX_VARIABLE_BYTES)
    scopes = VariableScopes()
    for index in range(MAX_EXECUTION_VARIABLES_BYTES // MAX_VARIABLE_BYTES):
        scopes = scopes.assign({f"v{index}": chunk})
    assert scopes.size() == MAX_EXECUTION_VARIABLES_BYTES
    with pytest.raises(StatesError) as caught:
        scopes.assign({"one_more": 1})
    assert caught.value.error == "States.DataLimitExceeded"
    assert "10 MiB" in caught.value.cause


def test_replacing_variable_frees_its_size():
    chunk = _string_of_json_size(MAX_VARIABLE_BYTES)
    scopes = VariableScopes()
    for index in range(MAX_EXECUTION_VARIABLES_BYTES // MAX_VARIABLE_BYTES):
        scopes = scopes.assign({f"v{index}": chunk})
    smaller = scopes.assign({"v0": 1})
    assert smaller.size() == MAX_EXECUTION_VARIABLES_BYTES - MAX_VARIABLE_BYTES + 1


# --- scopes ---------------------------------------------------------------------------


def test_new_scopes_are_empty():
    scopes = VariableScopes()
    assert scopes.depth == 1
    assert scopes.visible() == {}


def test_inner_scope_reads_outer():
    scopes = VariableScopes().assign({"outer": 1}).enter().assign({"inner": 2})
    assert scopes.depth == 2
    assert scopes.visible() == {"outer": 1, "inner": 2}


def test_inner_variables_end_with_scope():
    inner = VariableScopes().assign({"outer": 1}).enter().assign({"inner": 2})
    assert inner.leave().visible() == {"outer": 1}


def test_outer_name_set_in_outer_scope():
    # A catcher or Assign of a Parallel or Map state sets the outer variable.
    inner = VariableScopes().assign({"status": "running"}).enter()
    updated = inner.assign({"status": "failed"})
    assert updated.scopes == ({"status": "failed"}, {})
    assert updated.leave().visible() == {"status": "failed"}


def test_sibling_scopes_are_isolated():
    outer = VariableScopes().assign({"shared": 0})
    first = outer.enter().assign({"item": 1})
    second = outer.enter().assign({"item": 2})
    assert first.visible()["item"] == 1
    assert second.visible()["item"] == 2
    assert outer.visible() == {"shared": 0}


def test_scopes_are_immutable():
    scopes = VariableScopes().assign({"x": 1})
    scopes.assign({"x": 2})
    scopes.enter()
    assert scopes.visible() == {"x": 1}
    assert scopes.depth == 1


def test_leave_outermost_scope_fails():
    with pytest.raises(ValueError):
        VariableScopes().leave()


def test_scopes_round_trip_compact_json():
    scopes = VariableScopes().assign({"x": 1, "text": "é"}).enter().assign({"y": [1, {"z": None}]})
    text = json.dumps(scopes.to_json(), separators=(",", ":"), ensure_ascii=False)
    assert text == '[{"x":1,"text":"é"},{"y":[1,{"z":null}]}]'
    assert VariableScopes.from_json(json.loads(text)) == scopes


@pytest.mark.parametrize("data", [[], {}, [1], "x", None])
def test_from_json_rejects_other_data(data):
    with pytest.raises(ValueError):
        VariableScopes.from_json(data)


# --- evaluation order (variables are read from before the state's own Assign) ------------


def test_state_reads_variables_before_own_assign():
    """A Pass state with OutputPath `$counter` and Assign `counter: reset` outputs the old value."""
    from heaviside.asl.paths import compile_path

    scopes = VariableScopes().assign(compile_assign({"counter": 7}, "JSONPath").evaluate({}, value={}))
    entered = scopes.visible()

    output = compile_path("$counter").get({}, {}, entered)
    assigned = compile_assign({"counter": "reset"}, "JSONPath").evaluate(entered, value={})
    scopes = scopes.assign(assigned)

    next_parameters = compile_assign({"prev.$": "$", "now.$": "$counter"}, "JSONPath")
    assert next_parameters.evaluate(scopes.visible(), value=output) == {"prev": 7, "now": "reset"}


# --- properties of the scope stack -------------------------------------------------------

_NAMES = st.sampled_from(["a", "b", "c", "d"])
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=6,
)
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.dictionaries(_NAMES, _VALUES, max_size=3)),
        st.just(("enter",)),
        st.just(("leave",)),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(_OPERATIONS)
def test_scopes_size_and_round_trip(operations):
    scopes = VariableScopes()
    for operation in operations:
        if operation[0] == "assign":
            scopes = scopes.assign(operation[1])
        elif operation[0] == "enter":
            scopes = scopes.enter()
        elif scopes.depth > 1:
            scopes = scopes.leave()

        recomputed = VariableScopes(scopes.to_json()).size()
        assert scopes.size() == recomputed
        assert VariableScopes.from_json(json.loads(json.dumps(scopes.to_json()))) == scopes
        names = [name for scope in scopes.scopes for name in scope]
        assert len(names) == len(set(names))
