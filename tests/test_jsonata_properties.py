"""Property tests: random expressions fail only in the documented ways.

Compiling raises only DefinitionSyntaxError, and evaluating raises only
StatesError, whatever the text; a result is always a JSON value.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.jsonata import compile_jsonata, compile_jsonata_template
from heaviside.asl.variables import compile_assign

TOKENS = [
    "$states.input", "$states.input.items", "$states.context", "$states.result", "$x", "$list",
    "foo", "$", "$$", "1", "2.5", "-3", "'a'", '"b"', "true", "null", "[]", "{}",
    "+", "-", "*", "/", "%", "&", "=", "!=", "<", ">", "and", "or", "in", "?", ":", ":=", "~>",
    "(", ")", "[", "]", "{", "}", ",", ".", "..", ";", "**", "^(", "#$i", "@$j",
    "$partition(", "$range(", "$hash(", "$parse(", "$random(", "$uuid()", "$eval(",
    "$string(", "$number(", "$sum(", "$count(", "$map(", "$keys(", "$merge(", "$now()",
    "$unknown(", "function($v){", "$v", "'SHA-1'", "'{\"k\":1}'",
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False) | st.text(max_size=4),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "items"]), children, max_size=3),
    max_leaves=8,
)

expressions = st.one_of(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8).map(" ".join),
    st.text(max_size=20),
)


def _check_evaluation(compiled, states, variables):
    try:
        result = compiled.evaluate(states, variables)
    except StatesError as error:
        assert error.error.startswith("States.")
        return
    json.dumps(result)


@settings(max_examples=400, deadline=None)
@given(expressions, JSON_VALUES, JSON_VALUES)
def test_expression_fails_only_as_documented(text, data, variable):
    try:
        expression = compile_jsonata("{% " + text + " %}")
    except DefinitionSyntaxError as error:
        assert error.code in ("INVALID_JSONATA_EXPRESSION", "UNSUPPORTED_JSONATA_EXPRESSION")
        return
    states = {"input": data, "context": {"Execution": {"Id": "x"}}}
    _check_evaluation(expression, states, {"x": variable, "list": [1, 2, 3]})


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), expressions.map(lambda text: "{% " + text + " %}"), max_size=3), JSON_VALUES)
def test_template_and_assign_fail_only_as_documented(members, data):
    states = {"input": data}
    for compile_field in (lambda: compile_jsonata_template(members, "Output"), lambda: compile_assign(members, "JSONata")):
        try:
            compiled = compile_field()
        except DefinitionSyntaxError:
            continue
        try:
            if hasattr(compiled, "names"):
                result = compiled.evaluate({"x": 1}, states=states)
            else:
                result = compiled.evaluate(states, {"x": 1})
        except StatesError:
            continue
        json.dumps(result)
