"""Property-based tests: compilers raise only DefinitionSyntaxError, and
evaluators raise only PathNotFound or StatesError, whatever they are given."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.intrinsics import parse_intrinsic
from heaviside.asl.paths import PathNotFound, compile_path, compile_reference_path
from heaviside.asl.templates import compile_payload_template

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["a", "b", "x", "0", "name"]), children, max_size=4),
    max_leaves=12,
)

# Path-like text: mostly built from JSONPath's own characters, so the parser
# gets past the first character often.
path_alphabet = st.sampled_from(
    list("$.[]*?()@'\"=<>!&|,:-0123abx /\\") + ["..", "[*]", "[0]", "[?(@.a", "$$", "[1:]", "=~", " in ", ".length()"]
)
path_texts = st.builds(lambda parts: "$" + "".join(parts), st.lists(path_alphabet, max_size=12))

intrinsic_alphabet = st.sampled_from(
    ["States.Format(", "States.Array(", "States.ArrayGetItem(", "States.MathAdd(", "States.StringSplit(", "States.JsonMerge(",
     "States.Hash(", "States.ArrayRange(", "'a'", "'{}'", "'\\''", "$.a", "$$.b", "$x", "1", "-2.5", "true", "null", ", ", ")", "(", "\\"]
)
intrinsic_texts = st.builds("".join, st.lists(intrinsic_alphabet, max_size=10))


@SETTINGS
@given(st.text(max_size=30) | path_texts)
def test_compile_path_raises_only_syntax_error(text):
    try:
        compile_path(text)
    except DefinitionSyntaxError:
        pass


@SETTINGS
@given(st.text(max_size=30) | path_texts)
def test_compile_reference_path_raises_only_syntax_error(text):
    try:
        compile_reference_path(text)
    except DefinitionSyntaxError:
        pass


@SETTINGS
@given(st.text(max_size=40) | intrinsic_texts)
def test_parse_intrinsic_raises_only_syntax_error(text):
    try:
        parse_intrinsic(text)
    except DefinitionSyntaxError:
        pass


@SETTINGS
@given(path_texts, json_values, json_values)
def test_path_evaluation_raises_only_defined_errors(text, value, variable):
    try:
        path = compile_path(text)
    except DefinitionSyntaxError:
        return
    try:
        result = path.get(value, {"Execution": {"Input": value}}, {"x": variable})
    except PathNotFound:
        return
    if not path.is_definite:
        assert isinstance(result, list)


@SETTINGS
@given(st.sampled_from(["$", "$.a", "$.a.b", "$.a[0]", "$[1].x", "$.name.a"]), json_values, json_values)
def test_reference_path_set_raises_only_states_error(text, document, new_value):
    try:
        result = compile_reference_path(text).set(document, new_value)
    except StatesError as error:
        assert error.error == "States.ResultPathMatchFailure"
        return
    if result is None:
        # A `$` path cannot be applied to a null document (PathNotFound).
        assert text == "$"
        assert new_value is None
        return
    assert compile_reference_path(text).get(result) == new_value


@SETTINGS
@given(intrinsic_texts, json_values)
def test_intrinsic_evaluation_raises_only_defined_errors(text, value):
    try:
        call = parse_intrinsic(text)
    except DefinitionSyntaxError:
        return
    try:
        call.evaluate(value, {"b": value}, {"x": value})
    except (PathNotFound, StatesError):
        pass


FIXED_CALLS = [
    "States.Format('{} and {}', $.a, $.b)", "States.StringToJson($.a)", "States.JsonToString($.a)", "States.Array($.a, $.b)",
    "States.ArrayPartition($.a, $.b)", "States.ArrayContains($.a, $.b)", "States.ArrayRange($.a, $.b, 1)",
    "States.ArrayGetItem($.a, $.b)", "States.ArrayLength($.a)", "States.ArrayUnique($.a)", "States.Base64Encode($.a)",
    "States.Base64Decode($.a)", "States.Hash($.a, $.b)", "States.JsonMerge($.a, $.b, false)", "States.MathRandom($.a, $.b)",
    "States.MathAdd($.a, $.b)", "States.StringSplit($.a, $.b)", "States.UUID()",
]


@SETTINGS
@given(st.sampled_from(FIXED_CALLS), json_values, json_values)
def test_every_function_raises_only_defined_errors(text, first, second):
    template = compile_payload_template({"result.$": text}, "Parameters")
    try:
        template.evaluate({"a": first, "b": second}, {}, {})
    except StatesError as error:
        assert error.error in ("States.IntrinsicFailure", "States.Runtime")


template_expressions = st.one_of(path_texts, intrinsic_texts, st.text(max_size=10), json_values)
template_keys = st.sampled_from(["a", "b", "a.$", "b.$", "c.$", ".$"])
templates = st.recursive(
    json_values,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(template_keys, st.one_of(children, template_expressions), max_size=4),
    max_leaves=10,
)


@SETTINGS
@given(templates, json_values)
def test_template_raises_only_defined_errors(template, value):
    try:
        compiled = compile_payload_template(template, "Parameters")
    except DefinitionSyntaxError:
        return
    try:
        compiled.evaluate(value, {"b": value}, {"x": value})
    except StatesError as error:
        assert error.error in ("States.IntrinsicFailure", "States.Runtime")
