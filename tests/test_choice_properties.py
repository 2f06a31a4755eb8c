"""Property tests: Choice rules and timestamps raise only their defined errors."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside.asl.choice import COMPARISON_OPERATORS, TYPE_TESTS, compile_choice_rule
from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.timestamps import format_timestamp, parse_timestamp, timestamp_sort_key

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "v"]), children, max_size=3),
    max_leaves=8,
)
OPERATORS = sorted(
    [*COMPARISON_OPERATORS, *(name + "Path" for name in COMPARISON_OPERATORS), *TYPE_TESTS, "IsPresent", "StringMatches"]
)
PATHS = st.sampled_from(["$", "$.a", "$.b", "$.v", "$.a.b", "$.a[0]", "$..v", "$.a[*]", "$$.Execution.Name", "$var", "a", "$["])
OPERANDS = JSON_VALUES | PATHS | st.sampled_from(["2012-10-09T19:00:55Z", "2012-10-09T19:00:55+01:00", "a*b\\*"])

COMPARISONS = st.builds(
    lambda variable, operator, operand: {"Variable": variable, operator: operand},
    PATHS,
    st.sampled_from(OPERATORS),
    OPERANDS,
)
RULES = st.recursive(
    COMPARISONS | st.dictionaries(st.sampled_from(["Variable", "Next", "And", "Extra"]), JSON_VALUES, max_size=2),
    lambda children: (
        st.builds(lambda rules: {"And": rules}, st.lists(children, max_size=3))
        | st.builds(lambda rules: {"Or": rules}, st.lists(children, max_size=3))
        | st.builds(lambda rule: {"Not": rule}, children)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, value=JSON_VALUES)
def test_rules_raise_only_defined_errors(rule, value):
    try:
        compiled = compile_choice_rule(rule)
    except DefinitionSyntaxError:
        return
    try:
        result = compiled.matches(value, {"Execution": {"Name": "run"}}, {"var": value})
    except StatesError as error:
        assert error.error == "States.Runtime"
        return
    assert isinstance(result, bool)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40) | st.from_regex(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{0,10})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?", fullmatch=True))
def test_parse_raises_only_value_error(text):
    try:
        moment = parse_timestamp(text)
    except ValueError:
        return
    assert moment.tzinfo is not None


MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(timezone.utc)
)


@settings(max_examples=100, deadline=None)
@given(moment=MOMENTS)
def test_format_parses_back_to_milliseconds(moment):
    parsed = parse_timestamp(format_timestamp(moment))
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@settings(max_examples=100, deadline=None)
@given(first=MOMENTS, second=MOMENTS)
def test_timestamp_order_follows_instants(first, second):
    first_text, second_text = format_timestamp(first), format_timestamp(second)
    rule = compile_choice_rule({"Variable": "$.a", "TimestampLessThanPath": "$.b"})
    expected = timestamp_sort_key(first_text) < timestamp_sort_key(second_text)
    assert rule.matches({"a": first_text, "b": second_text}, {}, {}) is expected
    assert expected is (parse_timestamp(first_text) < parse_timestamp(second_text))
