"""JSONata expressions, templates, typed fields and Step Functions' functions."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.jsonata import (
    INVALID_JSONATA_EXPRESSION,
    UNSUPPORTED_JSONATA_EXPRESSION,
    JsonataEvaluationError,
    check_field_value,
    compile_jsonata,
    compile_jsonata_template,
    evaluate_field,
    is_jsonata,
    map_input_items,
)

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"


def evaluate(text, states=None, variables=None, **options):
    return compile_jsonata(text).evaluate(states or {}, variables or {}, **options)


# --- is_jsonata -----------------------------------------------------------


@pytest.mark.parametrize("value", ["{% $x %}", "{%$x%}", "{% %}", "{%%}"])
def test_is_jsonata_accepts_delimited_strings(value):
    assert is_jsonata(value)


@pytest.mark.parametrize("value", [" {% $x %}", "{% $x %} ", "{%}", "$x", "{ $x }", 1, None, ["{% $x %}"], {}])
def test_is_jsonata_rejects_other_values(value):
    assert not is_jsonata(value)


# --- compile_jsonata: syntax and AWS's restrictions -------------------------


def test_compile_keeps_text_and_stripped_body():
    expression = compile_jsonata("{%  $states.input.a  %}")
    assert expression.text == "{%  $states.input.a  %}"
    assert expression.body == "$states.input.a"


def test_compile_rejects_undelimited_text():
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_jsonata("$states.input")
    assert caught.value.code == INVALID_JSONATA_EXPRESSION
    assert "must start with '{%' and end with '%}'" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "jsonata_code", "message"),
    [
        # The parser's messages as AWS quotes them for these expressions.
        ("a[1,2)", "S0202", 'Expected "]", got ","'),
        ('"unterminated', "S0101", "String literal must be terminated by a matching quote"),
        ("1 +", "S0207", "Unexpected end of expression"),
        ('{"a":}', "S0211", 'The symbol "}" cannot be used as a unary operator'),
        ("$x :=", "S0207", "Unexpected end of expression"),
        ('$match("a", /abc', "S0302", "No terminating / in regular expression"),
        ("", "S0207", "Unexpected end of expression"),
    ],
)
def test_compile_rejects_syntax_errors(body, jsonata_code, message):
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_jsonata("{% " + body + " %}")
    assert caught.value.code == INVALID_JSONATA_EXPRESSION
    assert caught.value.jsonata_code == jsonata_code
    assert message in str(caught.value)
    assert f"'{body}'" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("phone", ("phone",)),
        ("phone.number", ("phone",)),
        ("$count(items)", ("items",)),
        ("{'a': total}", ("total",)),
        ("[first, second]", ("first", "second")),
        ("$", ("$",)),
        ("$.a", ("a",)),
        ("$$", ("$$",)),
        ("$string()", ("$",)),
    ],
)
def test_compile_rejects_top_level_references(body, names):
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_jsonata("{% " + body + " %}")
    assert caught.value.code == UNSUPPORTED_JSONATA_EXPRESSION
    assert set(caught.value.names) == set(names)
    for name in names:
        assert f"Reference to '{name}' at the top level is not supported." in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        "$states.input.items[price > 10].name",
        "$states.input.items.(price * qty)",
        "$states.input.a.{'k': b}",
        "$x[$ > 2]",
        "$map($states.input.items, function($v) { $v.price })",
        "($v := 1; $v + 1)",
        "$parse('{\"a\":1}').a",
        "1 + 2",
        "'text'",
    ],
)
def test_compile_accepts_qualified_references(body):
    assert compile_jsonata("{% " + body + " %}").body == body


def test_compile_reports_variables_and_states_fields():
    expression = compile_jsonata("{% $states.input.x + $states.context.Execution.Id + $total + $row.n %}")
    assert expression.variables == {"total", "row"}
    assert expression.states_fields == {"input", "context"}


def test_whole_states_read_counts_every_field():
    expression = compile_jsonata("{% $states %}")
    assert expression.states_fields == {"input", "result", "errorOutput", "context"}


def test_local_bindings_are_not_variables():
    expression = compile_jsonata("{% ($v := 2; $v * $w) %}")
    assert expression.variables == {"w"}


def test_functions_are_not_variables():
    expression = compile_jsonata("{% $partition($list, 2) %}")
    assert expression.variables == {"list"}


# --- evaluation ------------------------------------------------------------


def test_evaluate_reads_states_and_variables():
    states = {"input": {"items": [{"price": 5, "name": "a"}, {"price": 20, "name": "b"}, {"price": 30, "name": "c"}]}}
    assert evaluate("{% $states.input.items[price > 10].name %}", states) == ["b", "c"]
    assert evaluate("{% $limit * 2 %}", variables={"limit": 21}) == 42


def test_evaluate_keeps_null_distinct_from_undefined():
    assert evaluate("{% $x %}", variables={"x": None}) is None
    assert evaluate("{% null %}") is None


def test_evaluate_returns_json_numbers():
    assert evaluate("{% 4/2 %}") == 2
    assert isinstance(evaluate("{% 4/2 %}"), int)
    assert evaluate("{% 5/2 %}") == 2.5
    assert evaluate("{% 0.1 + 0.2 %}") == 0.30000000000000004


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # JSONata 2.0 formats numbers in strings with 15 significant digits.
        ("$string(0.1 + 0.2)", "0.3"),
        ("$string(1/3)", "0.333333333333333"),
        ("$string(1e21)", "1e+21"),
        ("$string({'a': 0.1 + 0.2})", '{"a":0.3}'),
        ("$string([1.0, 2.50])", "[1,2.5]"),
        ("'a' & 1.5", "a1.5"),
    ],
)
def test_evaluate_formats_numbers_as_jsonata(body, expected):
    assert evaluate("{% " + body + " %}") == expected


def test_evaluate_matches_recorded_regular_expression():
    # Recorded on AWS: `$contains("hello$world", /^hello\ /)` is false.
    assert evaluate('{% $contains("hello$world", /^hello\\ /) %}') is False


def test_undefined_result_names_field():
    with pytest.raises(StatesError) as caught:
        evaluate("{% $doesNotExist %}", field="Output/result")
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause == (
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."
    )


def test_undefined_result_without_field():
    with pytest.raises(JsonataEvaluationError) as caught:
        evaluate("{% $states.input.missing %}", {"input": {}})
    assert caught.value.field is None
    assert caught.value.cause == "The JSONata expression '$states.input.missing' returned nothing (undefined)."


def test_with_field_names_field_later():
    with pytest.raises(JsonataEvaluationError) as caught:
        evaluate("{% $stateError %}")
    named = caught.value.with_field("Output/error")
    assert named.error == QUERY_EVALUATION_ERROR
    assert named.cause == (
        "The JSONata expression '$stateError' specified for the field 'Output/error' returned nothing (undefined)."
    )


@pytest.mark.parametrize(
    ("body", "ending"),
    [
        # Recorded on AWS for an unknown function.
        ("$randomSeeded($states.input.x)", "T1006: Attempted to invoke a non-function"),
        ("'a' + 1", "T2001: The left side of the \"+\" operator must evaluate to a number"),
        ("$sum(['a'])", 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
        ("$number('abc')", "D3030: Unable to cast value to a number: \"abc\""),
        ("$error('boom')", "D3137: boom"),
    ],
)
def test_evaluation_error_cause(body, ending):
    with pytest.raises(StatesError) as caught:
        evaluate("{% " + body + " %}", {"input": {"x": "fst"}}, field="Output/FunctionResult")
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause == (
        f"The JSONata expression '{body}' specified for the field 'Output/FunctionResult' "
        f"threw an error during evaluation. {ending}"
    )


def test_eval_fails_at_run_time():
    expression = compile_jsonata('{% $eval("1 + 1") %}')
    with pytest.raises(StatesError) as caught:
        expression.evaluate({}, {}, field="Output")
    assert caught.value.cause.endswith("threw an error during evaluation. T1006: Attempted to invoke a non-function")


def test_variable_named_eval_is_readable():
    assert evaluate("{% $eval %}", variables={"eval": 3}) == 3


def test_now_can_be_fixed():
    assert evaluate("{% $now() %}", now="2024-05-01T10:00:00.000Z") == "2024-05-01T10:00:00.000Z"
    assert evaluate("{% $millis() %}", now="1970-01-01T00:00:01.000Z") == 1000


def test_now_reads_clock_by_default():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", evaluate("{% $now() %}"))


def test_evaluate_does_not_mutate_inputs():
    states = {"input": {"list": [3, 1, 2]}}
    variables = {"other": {"a": 1}}
    evaluate("{% $sort($states.input.list) %}", states, variables)
    evaluate("{% $merge([$other, {'b': 2}]) %}", states, variables)
    assert states == {"input": {"list": [3, 1, 2]}}
    assert variables == {"other": {"a": 1}}


# --- Step Functions' functions ----------------------------------------------


def test_partition_splits_array():
    assert evaluate("{% $partition([1,2,3,4], 2) %}") == [[1, 2], [3, 4]]
    assert evaluate("{% $partition([0,1,2], 2) %}") == [[0, 1], [2]]
    assert evaluate("{% $partition([0], 4) %}") == [[0]]


def test_partition_rejects_zero_size():
    with pytest.raises(StatesError) as caught:
        evaluate("{% $partition([1,2], 0) %}", field="Output")
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert "threw an error during evaluation: The second argument of $partition" in caught.value.cause


def test_range_includes_end():
    assert evaluate("{% $range(0, 6, 2) %}") == [0, 2, 4, 6]
    assert evaluate("{% $range(0, 10, 3) %}") == [0, 3, 6, 9]
    assert evaluate("{% $range(5, 1, -2) %}") == [5, 3, 1]


def test_range_of_one_number_is_that_number():
    # Recorded on AWS: $range(1, 9, 9) returns 1, not [1].
    assert evaluate("{% $range(1, 9, 9) %}") == 1


def test_range_rejects_zero_step():
    with pytest.raises(StatesError) as caught:
        evaluate("{% $range(1, 9, 0) %}")
    assert "must not be 0" in caught.value.cause


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("SHA-1", "140f86aae51ab9e1cda9b4254fe98a74eb54c1a1"),
        ("MD5", "a43c1b0aa53a0c908810c06ab1ff3967"),
        ("SHA-256", "c96c6d5be8d08a12e7b5cdc1b207fa6b2430974c86803d8891675e76fd992c20"),
    ],
)
def test_hash_hex_digest(algorithm, digest):
    assert evaluate(f"{{% $hash('input', '{algorithm}') %}}") == digest


def test_hash_rejects_unknown_algorithm():
    with pytest.raises(StatesError) as caught:
        evaluate("{% $hash('input', 'SHA-3') %}")
    assert "MD5, SHA-1, SHA-256, SHA-384, SHA-512" in caught.value.cause


def test_random_seeded_is_java_random():
    # java.util.Random(42).nextDouble() and java.util.Random(0).nextDouble().
    assert evaluate("{% $random(42) %}") == 0.7275636800328681
    assert evaluate("{% $random(0) %}") == 0.730967787376657


def test_random_unseeded_in_unit_interval():
    values = [evaluate("{% $random() %}") for _ in range(20)]
    assert all(0 <= value < 1 for value in values)
    assert len(set(values)) > 1


def test_uuid_is_version_4():
    value = evaluate("{% $uuid() %}")
    assert uuid.UUID(value).version == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True), ('"HelloWorld"', "HelloWorld"),
     ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]), ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []})],
)
def test_parse_reads_json(text, expected):
    assert evaluate("{% $parse($states.input.text) %}", {"input": {"text": text}}) == expected


@pytest.mark.xfail(strict=True, reason="jlens turns a host function's None into undefined")
def test_parse_null_is_null():
    assert evaluate("{% $parse('null') %}") is None


def test_parse_rejects_invalid_json():
    with pytest.raises(StatesError) as caught:
        evaluate("{% $parse('{oops') %}")
    assert "is not valid JSON: {oops" in caught.value.cause


# --- templates ---------------------------------------------------------------


def test_template_evaluates_strings_at_any_depth():
    template = compile_jsonata_template(
        {"a": "{% $states.input.x %}", "list": [1, "{% $v %}", {"deep": "{% $v + 1 %}"}], "literal": " {% $v %} "},
        "Output",
    )
    result = template.evaluate({"input": {"x": "X"}}, {"v": 1})
    assert result == {"a": "X", "list": [1, 1, {"deep": 2}], "literal": " {% $v %} "}


def test_template_copies_literals():
    literals = {
        "null": None, "int": 0, "float": 0.1, "bool": True, "str": "$states.input",
        "path.$": "$", "intrinsic": "States.Format('Format:{}', 101)", "list": [], "obj": {},
    }
    template = compile_jsonata_template(literals, "Output")
    assert template.is_constant
    assert template.evaluate({"input": {}}, {}) == literals


def test_template_whole_field_expression():
    template = compile_jsonata_template("{% $states.input %}", "Output")
    assert template.evaluate({"input": [1]}, {}) == [1]


def test_template_lists_expressions_with_paths():
    template = compile_jsonata_template({"a": "{% 1 %}", "b": ["x", {"c": "{% 2 %}"}]}, "Output")
    assert [path for path, _ in template.expressions] == ["a", "b[1]/c"]


def test_template_cause_names_member_path():
    template = compile_jsonata_template({"v": "{% $states.input.missing %}"}, "Output")
    with pytest.raises(StatesError) as caught:
        template.evaluate({"input": {}}, {})
    assert caught.value.cause == (
        "The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined)."
    )


def test_template_cause_names_array_index():
    template = compile_jsonata_template({"values": ["{% $missing %}"]}, "Output")
    with pytest.raises(StatesError) as caught:
        template.evaluate({}, {})
    assert "for the field 'Output/values[0]'" in caught.value.cause


def test_template_whole_field_cause_names_field():
    template = compile_jsonata_template("{% $doesNotExist %}", "Arguments")
    with pytest.raises(StatesError) as caught:
        template.evaluate({}, {})
    assert "for the field 'Arguments' returned nothing" in caught.value.cause


def test_template_field_argument_overrides_name():
    template = compile_jsonata_template({"FunctionName": "{% $doesNotExist %}"}, "Arguments")
    with pytest.raises(StatesError) as caught:
        template.evaluate({}, {}, field="Catch[0]/Output")
    assert "for the field 'Catch[0]/Output/FunctionName'" in caught.value.cause


def test_template_compile_error_propagates():
    with pytest.raises(DefinitionSyntaxError) as caught:
        compile_jsonata_template({"a": {"b": "{% unqualified %}"}}, "Output")
    assert caught.value.code == UNSUPPORTED_JSONATA_EXPRESSION


# --- typed fields ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "type_name", "value_text"),
    [
        ("1", "number", "1"),
        ("true", "boolean", "true"),
        ("null", "null", "null"),
        ("{'foo': 'bar'}", "object", '{"foo":"bar"}'),
        ("'text'", "string", '"text"'),
    ],
)
def test_items_wrong_type(body, type_name, value_text):
    # The recorded AWS causes for Items of each wrong type.
    with pytest.raises(StatesError) as caught:
        evaluate_field(compile_jsonata("{% " + body + " %}"), "Items", {}, {})
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause == (
        f"The JSONata expression '{body}' specified for the field 'Items' returned an unexpected result type. "
        f"Expected 'array', but was '{type_name}' for value: {value_text}"
    )


def test_items_from_variable_wrong_type():
    with pytest.raises(StatesError) as caught:
        evaluate_field(compile_jsonata("{% $ItemsVar %}"), "Items", {}, {"ItemsVar": 1})
    assert caught.value.cause == (
        "The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. "
        "Expected 'array', but was 'number' for value: 1"
    )


def test_items_array_accepted():
    assert evaluate_field(compile_jsonata("{% [1, 'two', 3] %}"), "Items", {}, {}) == [1, "two", 3]
    assert evaluate_field(compile_jsonata("{% [] %}"), "Items", {}, {}) == []


def test_items_undefined_names_field():
    with pytest.raises(StatesError) as caught:
        evaluate_field(compile_jsonata("{% $states.input.none %}"), "Items", {"input": {}}, {})
    assert "for the field 'Items' returned nothing (undefined)." in caught.value.cause


@pytest.mark.parametrize(
    ("value", "value_text"),
    [(True, "true"), (None, "null"), (1, "1"), ({"foo": "bar"}, '{"foo":"bar"}'), ("string", '"string"')],
)
def test_map_input_must_be_array(value, value_text):
    with pytest.raises(StatesError) as caught:
        map_input_items(value)
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause == f"Map state input must be an array but was: {value_text}"


def test_map_input_array_accepted():
    assert map_input_items([1, 2]) == [1, 2]


@pytest.mark.parametrize(
    "text", ["2016-13-05T21:29:29Z", "05-12-2016T21:29:29Z", "2016-12-05T25:29:29Z", "2016-12-05 21:29:29Z", "2016-12-05T21:29:29"]
)
def test_timestamp_unparseable(text):
    with pytest.raises(StatesError) as caught:
        evaluate_field(compile_jsonata("{% $states.input.t %}"), "Timestamp", {"input": {"t": text}}, {})
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert caught.value.cause == (
        f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
    )


def test_timestamp_parsed_to_datetime():
    moment = evaluate_field(compile_jsonata("{% '2016-03-14T01:59:00Z' %}"), "Timestamp", {}, {})
    assert moment == datetime(2016, 3, 14, 1, 59, tzinfo=timezone.utc)


def test_timestamp_wrong_type():
    with pytest.raises(StatesError) as caught:
        evaluate_field(compile_jsonata("{% 5 %}"), "Timestamp", {}, {})
    assert "Expected 'string', but was 'number' for value: 5" in caught.value.cause


@pytest.mark.parametrize("field", ["TimeoutSeconds", "HeartbeatSeconds"])
def test_positive_integer_fields(field):
    assert check_field_value(field, 5, "5") == 5
    assert check_field_value(field, 5.0, "5.0") == 5
    with pytest.raises(StatesError) as zero:
        check_field_value(field, 0, "0")
    assert zero.value.error == QUERY_EVALUATION_ERROR
    assert zero.value.cause == f"{field} must be a positive integer, but was: 0"
    with pytest.raises(StatesError) as text:
        check_field_value(field, "10", "'10'")
    assert text.value.cause.endswith(f"for the field '{field}' returned an unexpected result type. "
                                     "Expected 'integer', but was 'string' for value: \"10\"")


@pytest.mark.parametrize("field", ["Seconds", "MaxConcurrency", "ToleratedFailureCount"])
def test_non_negative_integer_fields(field):
    assert check_field_value(field, 0, "0") == 0
    with pytest.raises(StatesError) as negative:
        check_field_value(field, -1, "-1")
    assert negative.value.cause == f"{field} cannot be negative."
    with pytest.raises(StatesError) as fraction:
        check_field_value(field, 1.5, "1.5")
    assert "Expected 'integer', but was 'number' for value: 1.5" in fraction.value.cause
    with pytest.raises(StatesError) as boolean:
        check_field_value(field, True, "true")
    assert "but was 'boolean'" in boolean.value.cause


def test_expression_variable_binding_in_numeric_field():
    # Recorded on AWS: `$variable := 1` is a valid MaxConcurrency expression.
    assert evaluate_field(compile_jsonata("{% $variable := 1 %}"), "MaxConcurrency", {}, {}) == 1


def test_tolerated_failure_percentage_range():
    assert check_field_value("ToleratedFailurePercentage", 12.5, "12.5") == 12.5
    assert check_field_value("ToleratedFailurePercentage", 100, "100") == 100
    with pytest.raises(StatesError) as caught:
        check_field_value("ToleratedFailurePercentage", 101, "101")
    assert caught.value.cause == "ToleratedFailurePercentage must be between 0 and 100."


@pytest.mark.parametrize("field", ["Error", "Cause"])
def test_fail_fields_must_be_strings(field):
    assert check_field_value(field, "Exception", "'Exception'") == "Exception"
    with pytest.raises(StatesError) as caught:
        check_field_value(field, {"a": 1}, "$x")
    assert "Expected 'string', but was 'object'" in caught.value.cause


def test_unknown_typed_field_is_programming_error():
    with pytest.raises(ValueError):
        check_field_value("Resource", 1, "1")


@pytest.mark.parametrize(
    ("body", "argument"),
    [("$partition()", 1), ("$partition([1], 2, 3)", 3), ("$range(1, 2)", 3), ("$hash('a')", 2), ("$uuid(1)", 1),
     ("$parse()", 1), ("$random('x')", 1), ("$partition([1], 'a')", 2)],
)
def test_function_signature_mismatch(body, argument):
    name = body[1 : body.index("(")]
    with pytest.raises(StatesError) as caught:
        evaluate("{% " + body + " %}", field="Output")
    assert caught.value.cause.endswith(
        f'threw an error during evaluation. T0410: Argument {argument} of function "{name}" does not match function signature'
    )


def test_missing_engine_names_fix(monkeypatch):
    import sys

    from heaviside.asl.jsonata import JsonataEngineUnavailable

    monkeypatch.setitem(sys.modules, "jlens", None)
    with pytest.raises(JsonataEngineUnavailable) as caught:
        compile_jsonata("{% 1 %}")
    assert "pip install jlens" in str(caught.value)
    assert "python3.12" in str(caught.value)


def test_endless_loop_times_out(monkeypatch):
    from heaviside.asl.jsonata import expression as expression_module

    monkeypatch.setattr(expression_module, "EVALUATION_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(StatesError) as caught:
        evaluate("{% ($loop := function($x) { $loop($x) }; $loop(1)) %}", field="Output")
    assert caught.value.error == QUERY_EVALUATION_ERROR
    assert "threw an error during evaluation. D1012: Evaluation timeout after 200 milliseconds" in caught.value.cause


def test_endless_recursion_overflows():
    with pytest.raises(StatesError) as caught:
        evaluate("{% ($deep := function($x) { 1 + $deep($x) }; $deep(1)) %}", field="Output")
    assert "D1011: Stack overflow" in caught.value.cause
