"""The specialised evaluators of paths, Choice rules, intrinsic calls and payload
templates return the same results and raise the same errors as the general ones.

Paths, Choice comparisons, intrinsic calls and templates are compiled into
functions specialised for their shape (a `$.field` lookup read inline, a
MathAdd of a path and a literal added directly). Each test here runs the
specialised form and a general one on many inputs, including the inputs
that make the specialised form fall back.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heaviside.asl.choice import COMPARISON_OPERATORS, TYPE_TESTS, compile_choice_rule
from heaviside.asl.errors import StatesError
from heaviside.asl.intrinsics import parse_intrinsic, to_json_text
from heaviside.asl.paths import PathNotFound, compile_path, compile_reference_path
from heaviside.asl.templates import compile_payload_template

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.sampled_from([0, 1, -1, 999, 1000, 1001, INT32_MAX, INT32_MAX + 1, INT32_MIN, INT32_MIN - 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.5, -0.5, 999.5, 1000.0, -0.0, 1e300])
    | st.text(max_size=6)
    | st.sampled_from(["2016-03-14T01:59:00Z", "2016-03-14T02:00:00Z", "a*b", "1000"])
)
KEYS = st.sampled_from(["a", "b", "v", "count"])
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=10,
)
# Inputs of a Choice or template: mostly objects with the fields the rules read.
INPUTS = st.dictionaries(KEYS, VALUES, max_size=4) | VALUES

FIELD_PATHS = ["$", "$.a", "$.v", "$['v']", "$.a.b", "$.a.v", "$.a.b.v", "$.count"]


def outcome(function, *arguments):
    """Return ("value", result) or ("error", type, text) for one call, so two forms can be compared."""
    try:
        return ("value", function(*arguments))
    except PathNotFound as error:
        return ("error", "PathNotFound", error.path, error.reason)
    except StatesError as error:
        return ("error", error.error, str(error))


def same(left, right) -> bool:
    """Compare two outcomes, with NaN equal to itself and -0.0 distinct from 0.0."""
    return _normal(left) == _normal(right)


def _normal(value):
    if isinstance(value, float):
        if math.isnan(value):
            return ("nan",)
        return ("float", value, math.copysign(1.0, value))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_normal(item) for item in value])
    if isinstance(value, dict):
        return ("dict", [(key, _normal(item)) for key, item in value.items()])
    return (type(value).__name__, value)


# -- paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [("$", ()), ("$.a", ("a",)), ("$['v']", ("v",)), ("$.a.b", ("a", "b")), ("$.a.b.v", ("a", "b", "v"))],
)
def test_field_path_has_field_names(text, names):
    path = compile_path(text)

    assert path.field_names == names
    assert path.get != path._get


@pytest.mark.parametrize("text", ["$$.Execution.Id", "$var.a", "$.a[0]", "$.a[*]", "$..v", "$.a.length()", "$.a['b','v']"])
def test_other_paths_use_general_get(text):
    path = compile_path(text)

    assert path.field_names is None
    assert path.get == path._get


@SETTINGS
@given(st.sampled_from(FIELD_PATHS), INPUTS)
def test_field_path_get_matches_general(text, value):
    path = compile_path(text)

    assert same(outcome(path.get, value), outcome(path._get, value))


@SETTINGS
@given(st.sampled_from(["$", "$.a", "$.a.b", "$.a.b.v"]), INPUTS)
def test_reference_path_get_matches_general(text, value):
    path = compile_reference_path(text)

    assert same(outcome(path.get, value), outcome(path._get, value))


@SETTINGS
@given(st.sampled_from(["$.a", "$.v", "$.a.b", "$.a.b.v", "$['a']['v']"]), INPUTS, VALUES)
def test_reference_path_set_matches_general(text, value, new_value):
    path = compile_reference_path(text)
    before = repr(value)

    assert same(outcome(path.set, value, new_value), outcome(path._set, value, new_value))
    assert repr(value) == before


@pytest.mark.parametrize("text", ["$", "$.a[0]", "$.a[0].b"])
def test_reference_path_with_index_uses_general_set(text):
    path = compile_reference_path(text)

    assert path.set == path._set


def test_reference_path_set_shares_siblings():
    sibling = {"deep": [1, 2]}
    document = {"slots": {"s0": 1, "s1": sibling}, "user": {"id": 7}}

    output = compile_reference_path("$.slots.s0").set(document, {"step": 1})

    assert output == {"slots": {"s0": {"step": 1}, "s1": sibling}, "user": {"id": 7}}
    assert output["slots"]["s1"] is sibling
    assert output["user"] is document["user"]
    assert document["slots"]["s0"] == 1


def test_reference_path_set_creates_missing_objects():
    output = compile_reference_path("$.a.b.c").set({"x": 1}, 5)

    assert output == {"x": 1, "a": {"b": {"c": 5}}}


def test_reference_path_set_null_on_the_way():
    result = outcome(compile_reference_path("$.a.b").set, {"a": None}, 5)

    assert result[:2] == ("error", "States.ResultPathMatchFailure")


def test_field_path_null_input_message():
    error = outcome(compile_path("$.a").get, None)

    assert error == ("error", "PathNotFound", "$.a", "Unable to apply Path transformation to null or empty input.")


def test_field_path_missing_inner_step_reason():
    error = outcome(compile_path("$.a.b.v").get, {"a": {"c": 1}})

    assert error == ("error", "PathNotFound", "$.a.b.v", "Missing property in path $['a']['b']")


# -- Choice rules --------------------------------------------------------------

NUMERIC_CONSTANTS = st.sampled_from([0, 1000, -5, 2.5, 1e300, -0.0]) | st.integers(-(2**40), 2**40)
STRING_CONSTANTS = st.sampled_from(["", "a", "loop", "1000", "é", "\U0001f600"])
TIMESTAMP_CONSTANTS = st.sampled_from(["2016-03-14T01:59:00Z", "2016-03-14T02:00:00+01:00"])
CONSTANT_OPERATORS = sorted(COMPARISON_OPERATORS)


def _operand_for(operator: str):
    if operator.startswith("Numeric"):
        return NUMERIC_CONSTANTS
    if operator.startswith("String"):
        return STRING_CONSTANTS
    if operator.startswith("Timestamp"):
        return TIMESTAMP_CONSTANTS
    return st.booleans()


comparisons = st.sampled_from(CONSTANT_OPERATORS).flatmap(
    lambda operator: st.tuples(st.just(operator), _operand_for(operator))
)


def expected_comparison(text: str, operator: str, operand, value):
    """Evaluate a comparison with a constant operand from the operator table and the path's general `get`."""
    if value is None:
        return ("error", "States.Runtime", "States.Runtime: Unable to apply Path transformation to null or empty input.")
    try:
        selected = compile_path(text)._get(value)
    except PathNotFound:
        return (
            "error",
            "States.Runtime",
            f"States.Runtime: Invalid path '{text}': The choice state's condition path references an invalid value.",
        )
    predicate, _check = COMPARISON_OPERATORS[operator]
    return ("value", predicate(selected, operand))


@SETTINGS
@given(st.sampled_from(FIELD_PATHS), comparisons, INPUTS)
def test_constant_comparison_matches_operator_table(text, comparison, value):
    operator, operand = comparison
    rule = compile_choice_rule({"Variable": text, operator: operand, "Next": "X"})

    actual = outcome(rule.matches, value, {}, {})

    assert same(actual, expected_comparison(text, operator, operand, value))


@pytest.mark.parametrize(
    "selected",
    [True, False, None, "5", [5], {"v": 5}, 5, 5.0, -0.0, float("nan"), float("inf"), 2**70, 999, 1000, 1001],
)
@pytest.mark.parametrize("operator", ["NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals"])
def test_numeric_field_rule_on_each_type(operator, selected):
    rule = compile_choice_rule({"Variable": "$.v", operator: 1000, "Next": "X"})
    predicate, _check = COMPARISON_OPERATORS[operator]

    assert rule.matches({"v": selected}, {}, {}) is predicate(selected, 1000)


def test_numeric_field_rule_with_int_subclass():
    class Count(int):
        pass

    rule = compile_choice_rule({"Variable": "$.count", "NumericLessThan": 1000, "Next": "X"})

    assert rule.matches({"count": Count(3)}, {}, {}) is True
    assert rule.matches({"count": Count(3000)}, {}, {}) is False


def test_string_matches_on_field():
    rule = compile_choice_rule({"Variable": "$.v", "StringMatches": "log-*.txt", "Next": "X"})

    assert rule.matches({"v": "log-1.txt"}, {}, {}) is True
    assert rule.matches({"v": "log-1.csv"}, {}, {}) is False
    assert rule.matches({"v": 1}, {}, {}) is False


@SETTINGS
@given(st.sampled_from(FIELD_PATHS), st.sampled_from(sorted(TYPE_TESTS)), st.booleans(), INPUTS)
def test_type_test_matches_table(text, operator, expected, value):
    rule = compile_choice_rule({"Variable": text, operator: expected, "Next": "X"})
    reference = expected_comparison(text, "BooleanEquals", True, value)

    actual = outcome(rule.matches, value, {}, {})

    if reference[0] == "error":
        assert actual == reference
    else:
        selected = compile_path(text)._get(value)
        assert actual == ("value", TYPE_TESTS[operator](selected) == expected)


@SETTINGS
@given(st.sampled_from(FIELD_PATHS), st.booleans(), INPUTS)
def test_is_present_matches_general_get(text, expected, value):
    rule = compile_choice_rule({"Variable": text, "IsPresent": expected, "Next": "X"})

    actual = outcome(rule.matches, value, {}, {})

    general = outcome(compile_path(text)._get, value)
    if value is None:
        assert actual[0] == "error"
    elif general[0] == "value":
        assert actual == ("value", expected)
    else:
        assert actual == ("value", not expected)


@SETTINGS
@given(
    st.sampled_from(["NumericLessThanPath", "StringEqualsPath", "NumericEqualsPath", "BooleanEqualsPath"]),
    st.sampled_from(FIELD_PATHS),
    st.sampled_from(FIELD_PATHS),
    INPUTS,
)
def test_path_operand_comparison(operator, text, operand_text, value):
    rule = compile_choice_rule({"Variable": text, operator: operand_text, "Next": "X"})

    actual = outcome(rule.matches, value, {}, {})

    first = expected_comparison(text, "BooleanEquals", True, value)
    second = expected_comparison(operand_text, "BooleanEquals", True, value)
    if first[0] == "error":
        assert actual == first
    elif second[0] == "error":
        assert actual == second[:2] + (second[2].replace(f"'{text}'", f"'{operand_text}'"),)
    else:
        predicate, _check = COMPARISON_OPERATORS[operator[: -len("Path")]]
        selected = compile_path(text)._get(value)
        operand = compile_path(operand_text)._get(value)
        assert actual == ("value", predicate(selected, operand))


SIMPLE_RULES = [
    {"Variable": "$.v", "NumericLessThan": 10},
    {"Variable": "$.a", "IsPresent": True},
    {"Variable": "$.a.b", "StringEquals": "x"},
    {"Variable": "$.count", "NumericGreaterThanEquals": 0},
]


@SETTINGS
@given(st.sampled_from(["And", "Or"]), st.lists(st.sampled_from(SIMPLE_RULES), min_size=1, max_size=3), INPUTS)
def test_and_or_stop_at_deciding_rule(combinator, rules, value):
    rule = compile_choice_rule({combinator: rules, "Next": "X"})

    expected = ("value", combinator == "And")
    for nested in rules:
        result = outcome(compile_choice_rule(nested).matches, value, {}, {})
        if result[0] == "error":
            expected = result
            break
        if result[1] is not (combinator == "And"):
            expected = result
            break

    assert outcome(rule.matches, value, {}, {}) == expected


@SETTINGS
@given(st.sampled_from(SIMPLE_RULES), INPUTS)
def test_not_negates(nested, value):
    rule = compile_choice_rule({"Not": nested, "Next": "X"})
    inner = outcome(compile_choice_rule(nested).matches, value, {}, {})

    actual = outcome(rule.matches, value, {}, {})

    if inner[0] == "error":
        assert actual == inner
    else:
        assert actual == ("value", not inner[1])


def test_context_path_comparison_reads_context():
    rule = compile_choice_rule({"Variable": "$$.Execution.Name", "StringEquals": "run", "Next": "X"})

    assert rule.matches(None, {"Execution": {"Name": "run"}}, {}) is True
    assert outcome(rule.matches, {}, {}, {})[1] == "States.Runtime"


# -- intrinsic functions -------------------------------------------------------

CALLS = [
    "States.MathAdd($.v, 1)",
    "States.MathAdd(1, $.v)",
    "States.MathAdd($.v, -1)",
    "States.MathAdd($.v, 2147483647)",
    "States.MathAdd($.v, -2147483648)",
    "States.MathAdd($.v, 2147483648)",
    "States.MathAdd($.v, 1.5)",
    "States.MathAdd($.v, $.count)",
    "States.MathAdd($.a.v, 3)",
    "States.ArrayLength($.v)",
    "States.JsonToString($.v)",
    "States.JsonToString('x')",
    "States.Array($.v, 1)",
    "States.Array($.v, $.a)",
    "States.Array($.v, 1, 'x')",
    "States.Array()",
    "States.Format('{} and {}', $.v, $.a)",
    "States.ArrayGetItem($.v, 0)",
    "States.StringSplit($.v, ',')",
    "States.MathAdd(States.ArrayLength($.v), 1)",
]


@SETTINGS
@given(st.sampled_from(CALLS), INPUTS)
def test_intrinsic_evaluate_matches_general(text, value):
    call = parse_intrinsic(text)

    assert same(outcome(call.evaluate, value, None, None), outcome(call._evaluate, value, None, None))


@pytest.mark.parametrize(
    "count",
    [0, 1, -1, INT32_MAX - 1, INT32_MAX, INT32_MIN, INT32_MIN - 1, INT32_MAX + 1, 2.0, 2.5, -0.5, True, None, "1", [1]],
)
@pytest.mark.parametrize(
    "text",
    [
        "States.MathAdd($.v, 1)",
        "States.MathAdd(1, $.v)",
        "States.MathAdd($.v, -1)",
        "States.MathAdd($.v, 2147483648)",
        "States.MathAdd(-2147483649, $.v)",
    ],
)
def test_math_add_constant_at_limits(text, count):
    call = parse_intrinsic(text)

    assert same(outcome(call.evaluate, {"v": count}), outcome(call._evaluate, {"v": count}))


def test_array_call_returns_new_list_each_time():
    call = parse_intrinsic("States.Array($.v, 1)")

    first = call.evaluate({"v": 0})
    second = call.evaluate({"v": 0})

    assert first == second == [0, 1]
    assert first is not second


# -- payload templates ---------------------------------------------------------


def test_template_keeps_key_order_with_constants_between():
    template = compile_payload_template(
        {"first": 1, "count.$": "States.MathAdd($.count, 1)", "middle": [1, 2], "label.$": "$.label", "last": "z"},
        "Parameters",
    )

    output = template.evaluate({"count": 1, "label": "loop"})

    assert list(output.items()) == [("first", 1), ("count", 2), ("middle", [1, 2]), ("label", "loop"), ("last", "z")]


def test_template_outputs_are_separate_objects():
    template = compile_payload_template({"id.$": "$.id", "size": "big"}, "Parameters")

    first = template.evaluate({"id": 1})
    first["size"] = "changed"
    second = template.evaluate({"id": 2})

    assert second == {"id": 2, "size": "big"}


@pytest.mark.parametrize(
    ("template", "value", "message"),
    [
        (
            {"count.$": "States.MathAdd($.count, 1)", "label.$": "$.label"},
            {"count": 1},
            "The JSONPath '$.label' specified for the field 'label.$' could not be found in the input '{\"count\":1}'",
        ),
        (
            {"count.$": "States.MathAdd($.count, 1)", "label.$": "$.label"},
            {"label": "x"},
            "The JSONPath '$.count' specified for the field 'count.$' could not be found in the input '{\"label\":\"x\"}'",
        ),
        (
            {"a": {"b.$": "$.x"}, "c.$": "$.y"},
            {"y": 1},
            "The JSONPath '$.x' specified for the field 'b.$' could not be found in the input '{\"y\":1}'",
        ),
        (
            {"id.$": "$.id", "size": "big"},
            {"v": 1},
            "The JSONPath '$.id' specified for the field 'id.$' could not be found in the input '{\"v\":1}'",
        ),
        (
            {"a.$": "$.v", "b": 1, "c.$": "$.v", "d.$": "States.Format('{}', $.w)"},
            {"v": 1},
            "The JSONPath '$.w' specified for the field 'd.$' could not be found in the input '{\"v\":1}'",
        ),
        (
            {"items": [{"b.$": "$.x.length()"}]},
            {"y": 1},
            "The JSONPath '$.x.length()' specified for the field 'b.$' could not be found in the input '{\"y\":1}'",
        ),
    ],
)
def test_template_missing_path_names_key(template, value, message):
    compiled = compile_payload_template(template, "Parameters")

    result = outcome(compiled.evaluate, value)

    assert result == ("error", "States.Runtime", f"States.Runtime: {message}")


def test_template_path_function_in_array():
    compiled = compile_payload_template({"items": [{"b.$": "$.x.length()"}]}, "Parameters")

    assert compiled.evaluate({"x": [1, 2]}) == {"items": [{"b": 2}]}
    assert compiled.evaluate({"x": 1}) == {"items": [{"b": None}]}


TEMPLATES = [
    {"id.$": "$.v", "deep.$": "$.a.b", "sum.$": "States.MathAdd($.count, 1)", "src": "map"},
    {"count.$": "States.MathAdd($.count, 1)", "label.$": "$.a"},
    {"id.$": "$.v", "size": "big"},
    {"id.$": "$.v", "v.$": "$.count", "src": "map"},
    {"first": 0, "a.$": "$.a", "b.$": "$['b']", "v.$": "$.v", "last": [1]},
    {"whole.$": "$", "v.$": "$.v"},
]


@SETTINGS
@given(st.sampled_from(TEMPLATES), INPUTS)
def test_template_matches_each_expression(expressions, value):
    compiled = compile_payload_template(expressions, "Parameters")

    expected = {}
    for key, expression in expressions.items():
        if not key.endswith(".$"):
            expected[key] = expression
            continue
        reader = parse_intrinsic(expression)._evaluate if expression.startswith("States.") else compile_path(expression)._get
        result = outcome(reader, value, None, None)
        if result[0] == "error" and result[1] == "PathNotFound":
            message = (
                f"States.Runtime: The JSONPath '{result[2]}' specified for the field '{key}' could not be found "
                f"in the input '{to_json_text(value)}'"
            )
            assert outcome(compiled.evaluate, value) == ("error", "States.Runtime", message)
            return
        if result[0] == "error":
            assert outcome(compiled.evaluate, value) == result
            return
        expected[key[:-2]] = result[1]

    assert same(outcome(compiled.evaluate, value), ("value", expected))
