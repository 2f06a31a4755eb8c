"""Choice rules: operators, type tests, combinators, path errors and compile errors."""

from __future__ import annotations

import json

import pytest

from heaviside.asl.choice import compile_choice_rule, compile_string_matches_pattern
from heaviside.asl.errors import DefinitionSyntaxError, StatesError

INVALID_PATH = "Invalid path '{}': The choice state's condition path references an invalid value."
NULL_INPUT = "Unable to apply Path transformation to null or empty input."


def matches(rule: dict, value, context=None, variables=None) -> bool:
    return compile_choice_rule(rule).matches(value, context or {}, variables or {})


def compare(operator: str, variable, operand) -> bool:
    return matches({"Variable": "$.v", operator: operand}, {"v": variable})


def compare_paths(operator: str, variable, operand) -> bool:
    return matches({"Variable": "$.v", operator + "Path": "$.w"}, {"v": variable, "w": operand})


# Values of every JSON type, for the wrong-type rows.
ALL_TYPES = [None, 0, 0.0, 1, 1.5, "", " ", "HelloWorld", "2012-10-09T19:00:55Z", True, False, [], [""], {}, {"A": 0}]


@pytest.mark.parametrize(
    ("operator", "variable", "operand", "expected"),
    [
        ("StringEquals", "Hello", "Hello", True),
        ("StringEquals", " ", "     ", False),
        ("StringEquals", "\t\n", "\t\r\n", False),
        ("StringLessThan", "A", "AB", True),
        ("StringLessThan", "AB", "A", False),
        ("StringLessThan", "", "", False),
        ("StringGreaterThan", "A", "A ", False),
        ("StringGreaterThan", "b", "a", True),
        ("StringGreaterThan", "a", "B", True),
        ("StringLessThanEquals", "", "", True),
        ("StringLessThanEquals", "AB", "A", False),
        ("StringGreaterThanEquals", "A", "AB", False),
        ("StringGreaterThanEquals", "AB", "AB", True),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 2.22, 2.22, True),
        ("NumericEquals", 1.1, 1, False),
        ("NumericLessThan", 0, 1, True),
        ("NumericLessThan", 1, 1, False),
        ("NumericGreaterThan", 1, 0, True),
        ("NumericGreaterThan", 0.0, 0, False),
        ("NumericLessThanEquals", 0.0, 0, True),
        ("NumericLessThanEquals", 1, 0, False),
        ("NumericGreaterThanEquals", 1, 1, True),
        ("NumericGreaterThanEquals", 0, 1, False),
        ("NumericEquals", 10**20, 10**20, True),
        ("BooleanEquals", True, True, True),
        ("BooleanEquals", False, False, True),
        ("BooleanEquals", False, True, False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T20:00:55+01:00", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.000Z", "2012-10-09T19:00:55Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:55.000000001Z", "2012-10-09T19:00:55.000000002Z", True),
        ("TimestampGreaterThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", False),
        ("TimestampGreaterThan", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", True),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:56Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", False),
    ],
)
def test_comparison(operator, variable, operand, expected):
    assert compare(operator, variable, operand) is expected
    assert compare_paths(operator, variable, operand) is expected


@pytest.mark.parametrize(
    ("operator", "operand", "accepted"),
    [
        ("StringEquals", "HelloWorld", lambda v: v == "HelloWorld"),
        ("NumericEquals", 0, lambda v: v == 0 and not isinstance(v, bool)),
        ("BooleanEquals", False, lambda v: v is False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", lambda v: v == "2012-10-09T19:00:55Z"),
    ],
)
@pytest.mark.parametrize("variable", ALL_TYPES, ids=json.dumps)
def test_wrong_type_is_false(operator, operand, accepted, variable):
    assert compare(operator, variable, operand) is accepted(variable)


@pytest.mark.parametrize("operand", [None, "1", True, [1]], ids=json.dumps)
def test_path_operand_of_wrong_type_is_false(operand):
    assert compare_paths("NumericEquals", 1, operand) is False


def test_booleans_are_not_numbers():
    assert compare("NumericEquals", True, 1) is False
    assert compare_paths("NumericEquals", 1, True) is False


def test_unparsable_timestamp_is_false():
    for text in ["2012-10-09T19:00:55", "2012-10-09 19:00:55Z", "2023-02-24", "not a time"]:
        assert compare("TimestampEquals", text, "2012-10-09T19:00:55Z") is False
        assert compare("TimestampLessThan", text, "2099-10-09T19:00:55Z") is False


def test_string_order_uses_utf16_code_units():
    # U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D), before it by code point.
    assert compare("StringGreaterThan", "\uff5e", "\U0001f600") is True
    assert compare("StringLessThan", "\U0001f600", "\uff5e") is True


@pytest.mark.parametrize(
    ("test", "accepts"),
    [
        ("IsNull", lambda v: v is None),
        ("IsNumeric", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
        ("IsString", lambda v: isinstance(v, str)),
        ("IsBoolean", lambda v: isinstance(v, bool)),
        ("IsTimestamp", lambda v: v == "2012-10-09T19:00:55Z"),
    ],
)
@pytest.mark.parametrize("variable", ALL_TYPES, ids=json.dumps)
def test_type_tests(test, accepts, variable):
    assert compare(test, variable, True) is accepts(variable)
    assert compare(test, variable, False) is (not accepts(variable))


def test_is_timestamp_on_offset_string():
    assert compare("IsTimestamp", "2012-10-09T19:00:55+01:00", True) is True
    assert compare("IsTimestamp", "2012-10-09T19:00:55", True) is False


@pytest.mark.parametrize("variable", ALL_TYPES, ids=json.dumps)
def test_is_present_on_any_value(variable):
    assert compare("IsPresent", variable, True) is True
    assert compare("IsPresent", variable, False) is False


def test_is_present_on_missing_field():
    assert matches({"Variable": "$.missing", "IsPresent": True}, {"v": 1}) is False
    assert matches({"Variable": "$.missing", "IsPresent": False}, {"v": 1}) is True
    assert matches({"Variable": "$.a.b.c", "IsPresent": False}, {"a": 1}) is True


def test_is_present_on_undefined_variable():
    assert matches({"Variable": "$missing", "IsPresent": False}, {}, variables={"other": 1}) is True


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "StringEquals": "x"},
        {"Variable": "$.missing", "IsNull": True},
        {"Variable": "$.missing", "IsString": False},
        {"Variable": "$.missing", "NumericEqualsPath": "$.v"},
        {"Variable": "$.missing", "StringMatches": "*"},
    ],
    ids=lambda rule: [key for key in rule if key != "Variable"][0],
)
def test_missing_variable_raises(rule):
    with pytest.raises(StatesError) as caught:
        matches(rule, {"v": 1})
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == INVALID_PATH.format("$.missing")


def test_missing_operand_path_raises():
    with pytest.raises(StatesError) as caught:
        matches({"Variable": "$.v", "NumericEqualsPath": "$.nothing"}, {"v": 1})
    assert caught.value.cause == INVALID_PATH.format("$.nothing")


def test_undefined_variable_raises():
    with pytest.raises(StatesError) as caught:
        matches({"Variable": "$undefinedVariable", "StringEquals": "x"}, {}, variables={"other": 1})
    assert caught.value.cause == INVALID_PATH.format("$undefinedVariable")


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$", "IsString": True},
        {"Variable": "$.x", "IsNull": True},
        {"Variable": "$", "IsPresent": True},
        {"Variable": "$$.Execution.Name", "StringEqualsPath": "$.name"},
    ],
)
def test_null_input_raises(rule):
    with pytest.raises(StatesError) as caught:
        matches(rule, None, context={"Execution": {"Name": "run"}})
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == NULL_INPUT


@pytest.mark.parametrize("value", ["", 0, False, [], {}])
def test_falsy_input_evaluates(value):
    assert matches({"Variable": "$", "IsNull": False}, value) is True


def test_context_path_on_null_input():
    rule = {"Variable": "$$.Execution.Name", "StringEquals": "run"}
    assert matches(rule, None, context={"Execution": {"Name": "run"}}) is True


def test_variable_reference():
    rule = {"Variable": "$count", "NumericGreaterThan": 2}
    assert matches(rule, {}, variables={"count": 3}) is True
    assert matches(rule, {}, variables={"count": 2}) is False


def test_variable_compared_to_variable():
    rule = {"Variable": "$low", "NumericLessThanPath": "$high"}
    assert matches(rule, {}, variables={"low": 1, "high": 2}) is True


def test_indefinite_variable_path_selects_a_list():
    rule = {"Variable": "$.items[*].id", "IsString": True}
    assert matches(rule, {"items": [{"id": "a"}]}) is False


def test_aws_documentation_example():
    rules = [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        },
    ]
    compiled = [compile_choice_rule(rule) for rule in rules]
    value = {"type": "Private", "value": 22}
    assert [rule.matches(value, {}, {}) for rule in compiled] == [False, False, True]


def test_or_and_not():
    either = {"Or": [{"Variable": "$.a", "BooleanEquals": True}, {"Variable": "$.b", "BooleanEquals": True}]}
    assert matches(either, {"a": False, "b": True}) is True
    assert matches(either, {"a": False, "b": False}) is False
    assert matches({"Not": either}, {"a": False, "b": False}) is True


def test_singleton_and():
    rule = {"And": [{"Variable": "$.a", "IsPresent": True}]}
    assert matches(rule, {"a": 1}) is True


def test_nested_combinators():
    rule = {
        "And": [
            {"Or": [{"Variable": "$.x", "NumericLessThan": 0}, {"Variable": "$.x", "NumericGreaterThan": 10}]},
            {"Not": {"Variable": "$.label", "StringMatches": "skip*"}},
        ]
    }
    assert matches(rule, {"x": 11, "label": "keep"}) is True
    assert matches(rule, {"x": 11, "label": "skip-this"}) is False
    assert matches(rule, {"x": 5, "label": "keep"}) is False


def test_and_stops_at_first_false_rule():
    rule = {"And": [{"Variable": "$.a", "BooleanEquals": True}, {"Variable": "$.missing", "IsNull": True}]}
    assert matches(rule, {"a": False}) is False
    with pytest.raises(StatesError):
        matches(rule, {"a": True})


def test_or_stops_at_first_true_rule():
    rule = {"Or": [{"Variable": "$.a", "BooleanEquals": True}, {"Variable": "$.missing", "IsNull": True}]}
    assert matches(rule, {"a": True}) is True


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("log-*.txt", "log-2024.txt", True),
        ("log-*.txt", "log-.txt", True),
        ("log-*.txt", "log-2024.csv", False),
        ("*", "", True),
        ("*", "line\nbreak", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
        ("exact", "inexact", False),
        (r"star\*", "star*", True),
        (r"star\*", "starlight", False),
        (r"back\\slash", "back\\slash", True),
        (r"back\\*", "back\\anything", True),
        ("a.b", "aXb", False),
        ("(x)+[y]?", "(x)+[y]?", True),
        (r"\d", "\\d", True),
    ],
)
def test_string_matches(pattern, text, expected):
    assert compare("StringMatches", text, pattern) is expected


def test_string_matches_on_non_string_is_false():
    for value in [None, 1, True, [], {}]:
        assert compare("StringMatches", value, "*") is False


def test_string_matches_pattern_compiles():
    assert compile_string_matches_pattern("a*").fullmatch("abc")


def test_next_and_assign_are_ignored():
    rule = {"Variable": "$.a", "IsNull": True, "Next": "X", "Assign": {"y": 1}, "Comment": "c"}
    assert matches(rule, {"a": None}) is True


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"Variable": "$.a"}, "exactly one comparison operator"),
        ({"Variable": "$.a", "StringEquals": "x", "IsNull": True}, "exactly one comparison operator"),
        ({"StringEquals": "x"}, "needs Variable"),
        ({"Variable": "$.a", "StringEquals": 1}, "StringEquals: expected a string"),
        ({"Variable": "$.a", "NumericEquals": "1"}, "NumericEquals: expected a number"),
        ({"Variable": "$.a", "NumericEquals": True}, "NumericEquals: expected a number"),
        ({"Variable": "$.a", "BooleanEquals": "true"}, "BooleanEquals: expected true or false"),
        ({"Variable": "$.a", "IsNull": "yes"}, "IsNull: expected true or false"),
        ({"Variable": "$.a", "TimestampEquals": "2012-10-09"}, "TimestampEquals: expected a timestamp"),
        ({"Variable": "$.a", "StringMatches": 3}, "StringMatches: expected a string pattern"),
        ({"Variable": "a", "IsNull": True}, "Variable"),
        ({"Variable": 5, "IsNull": True}, "Variable: expected a path string"),
        ({"Variable": "$.a", "StringEqualsPath": "b"}, "StringEqualsPath"),
        ({"And": []}, "And: And needs a non-empty array"),
        ({"Or": {}}, "Or: Or needs a non-empty array"),
        ({"And": [{"Variable": "$.a", "StringEquals": 1}]}, r"And\[0\].StringEquals"),
        ({"Not": {"Or": [{"Variable": "$.a"}]}}, r"Not.Or\[0\]"),
        ({"And": [{"Variable": "$.a", "IsNull": True, "Next": "X"}]}, r"And\[0\].Next: unknown field"),
        ({"Not": {"Variable": "$.a", "IsNull": True}, "Variable": "$.a"}, "exactly one of"),
        ({"Variable": "$.a", "StringEquals": "x", "Extra": 1}, "Extra: unknown field"),
        ({"Condition": "{% true %}"}, "Condition is a JSONata rule"),
        ("not a rule", "must be an object"),
    ],
)
def test_compile_errors(rule, message):
    with pytest.raises(DefinitionSyntaxError, match=message):
        compile_choice_rule(rule)


def test_corpus_choice_operator_cases(conformance_cases_dir):
    """Every choice_operators case of the corpus, evaluated rule by rule."""
    checked = 0
    for path in sorted(conformance_cases_dir.glob("choice_operators.*.json")):
        case = json.loads(path.read_text())
        state = next(state for state in case["definition"]["States"].values() if state["Type"] == "Choice")
        next_state = state.get("Default")
        for rule in state["Choices"]:
            if compile_choice_rule(rule).matches(case["input"], {}, {}):
                next_state = rule["Next"]
                break
        assert next_state == case["expected"]["output"]["TestResult.$"], case["id"]
        checked += 1
    assert checked > 300
