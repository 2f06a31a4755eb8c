"""Tests of the intrinsic functions (heaviside.asl.intrinsics)."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.intrinsics import format_java_number, parse_intrinsic, to_json_text
from heaviside.asl.paths import PathNotFound


def evaluate(text, value=None, context=None, variables=None):
    return parse_intrinsic(text).evaluate(value if value is not None else {}, context or {}, variables or {})


def assert_intrinsic_failure(text, value=None):
    with pytest.raises(StatesError) as caught:
        evaluate(text, value)
    assert caught.value.error == "States.IntrinsicFailure"
    return caught.value.cause


# -- parsing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "States.Format",
        "States.Format(",
        "States.Format('a'",
        "States.Format('a' 'b')",
        "States.Format('unclosed)",
        "States.format('a')",
        "States.Nope()",
        "Format('a')",
        "States.Array($.a,)",
        "States.Array(,)",
        "States.Array(abc)",
        "States.Array($.a b)",
        "States.UUID(1)",
        "States.ArrayLength()",
        "States.ArrayRange(1, 2)",
        "States.MathRandom(1)",
        "States.MathRandom(1, 2, 3, 4)",
        "States.JsonMerge($.a, $.b, true)",
        "States.Format(1, 2)",
        "States.Array() extra",
    ],
)
def test_invalid_call_rejected(text):
    with pytest.raises(DefinitionSyntaxError):
        parse_intrinsic(text)


def test_wrong_case_name_suggests_right_one():
    with pytest.raises(DefinitionSyntaxError, match="States.ArrayLength"):
        parse_intrinsic("States.arraylength($.a)")


def test_nesting_limit_ten():
    ten_deep = "States.Array(" * 10 + ")" * 10
    eleven_deep = "States.Array(" * 11 + ")" * 11

    assert evaluate(ten_deep) == [[[[[[[[[[]]]]]]]]]]
    with pytest.raises(DefinitionSyntaxError, match="nested more than 10"):
        parse_intrinsic(eleven_deep)


def test_literal_arguments():
    assert evaluate("States.Array('a', 1, -2, 1.5, 2e3, true, false, null)") == ["a", 1, -2, 1.5, 2000.0, True, False, None]


def test_string_escapes():
    assert evaluate(r"States.Array('it\'s', 'back\\slash', 'brace \{\}')") == ["it's", "back\\slash", "brace {}"]


def test_path_arguments_of_all_roots():
    result = evaluate(
        "States.Array($.a, $$.Execution.Name, $counter, $.list[?(@.x > 1)].x)",
        value={"a": 1, "list": [{"x": 1}, {"x": 2}]},
        context={"Execution": {"Name": "run"}},
        variables={"counter": 7},
    )

    assert result == [1, "run", 7, [2]]


def test_missing_path_argument_raises_path_not_found():
    with pytest.raises(PathNotFound):
        evaluate("States.Array($.missing)")


def test_nine_nested_calls():
    text = (
        "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
        "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
        "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))"
    )
    value = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:111111111111:image-recipe/my-recipe/1.2.3"}}

    assert evaluate(text, value) == "1.2"


# -- States.Format -------------------------------------------------------------


def test_format_values():
    value = {"s": "text", "n": 1, "f": 1.5, "b": True, "z": None, "o": {"Arg1": 1, "Arg2": []}, "l": [1, "a"]}

    result = evaluate("States.Format('{} {} {} {} {} {} {}', $.s, $.n, $.f, $.b, $.z, $.o, $.l)", value)

    assert result == "text 1 1.5 true null {Arg1=1, Arg2=[]} [1, a]"


def test_format_escaped_braces_not_placeholders():
    assert evaluate(r"States.Format('\{\} and {}', 'x')") == "{} and x"


def test_format_template_from_path():
    assert evaluate("States.Format($.t, $.name)", {"t": "Hello, {}.", "name": "Arnav"}) == "Hello, Arnav."


def test_format_placeholder_count_mismatch():
    assert_intrinsic_failure("States.Format('{} {}', 'one')")
    assert_intrinsic_failure("States.Format('{}', 'one', 'two')")


def test_format_non_string_template_fails():
    assert_intrinsic_failure("States.Format($.t)", {"t": 5})


# -- JSON ------------------------------------------------------------------------


def test_string_to_json_values():
    assert evaluate("States.StringToJson($.s)", {"s": '{"a": [1, 2.5]}'}) == {"a": [1, 2.5]}
    assert evaluate("States.StringToJson($.s)", {"s": ""}) is None
    assert evaluate("States.StringToJson($.s)", {"s": "  "}) is None
    assert evaluate("States.StringToJson($.s)", {"s": "-0"}) == 0


def test_string_to_json_failures():
    assert_intrinsic_failure("States.StringToJson($.s)", {"s": "{not json"})
    assert_intrinsic_failure("States.StringToJson($.s)", {"s": "NaN"})
    assert_intrinsic_failure("States.StringToJson($.s)", {"s": 5})


def test_json_to_string_compact():
    assert evaluate("States.JsonToString($.v)", {"v": {"Arg1": 1, "Arg2": [], "s": "x"}}) == '{"Arg1":1,"Arg2":[],"s":"x"}'
    assert evaluate("States.JsonToString($.v)", {"v": "HelloWorld"}) == '"HelloWorld"'
    assert evaluate("States.JsonToString($.v)", {"v": None}) == "null"


@pytest.mark.parametrize(
    ("number", "text"),
    [(1.0, "1.0"), (1.1, "1.1"), (1e10, "1.0E10"), (1.5e-4, "1.5E-4"), (1e7, "1.0E7"), (9999999.0, "9999999.0"),
     (0.001, "0.001"), (-2.5e20, "-2.5E20"), (123456789.0, "1.23456789E8"), (0.0, "0.0"), (12, "12"),
     (2**70, "1180591620717411303424")],
)
def test_java_number_format(number, text):
    assert format_java_number(number) == text


def test_json_to_string_floats_as_java():
    assert to_json_text({"a": [1e10, 2.0]}) == '{"a":[1.0E10,2.0]}'


def test_json_merge_shallow():
    value = {"a": {"x": {"k": 1}, "b": 2}, "b": {"x": {"j": 2}, "c": 3}}

    assert evaluate("States.JsonMerge($.a, $.b, false)", value) == {"x": {"j": 2}, "b": 2, "c": 3}


def test_json_merge_failures():
    assert_intrinsic_failure("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}})
    assert_intrinsic_failure("States.JsonMerge($.a, $.b, $.deep)", {"a": {}, "b": {}, "deep": True})


# -- arrays ------------------------------------------------------------------------


def test_array_partition():
    assert evaluate("States.ArrayPartition($.a, 4)", {"a": list(range(1, 10))}) == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert evaluate("States.ArrayPartition($.a, 2)", {"a": []}) == []
    assert_intrinsic_failure("States.ArrayPartition($.a, 0)", {"a": [1]})
    assert_intrinsic_failure("States.ArrayPartition($.a, 1.5)", {"a": [1]})
    assert_intrinsic_failure("States.ArrayPartition($.a, 1)", {"a": "x"})


def test_array_contains_deep_equality():
    value = {"a": [{"1": 2, "2": []}, 1, True]}

    assert evaluate("States.ArrayContains($.a, $.b)", {**value, "b": {"1": 2, "2": []}}) is True
    assert evaluate("States.ArrayContains($.a, $.b)", {**value, "b": 1.0}) is True
    assert evaluate("States.ArrayContains($.a, $.b)", {**value, "b": []}) is False
    assert evaluate("States.ArrayContains($.a, $.b)", {"a": [1], "b": True}) is False


def test_array_range():
    assert evaluate("States.ArrayRange(1, 9, 2)") == [1, 3, 5, 7, 9]
    assert evaluate("States.ArrayRange(0, 10, 3)") == [0, 3, 6, 9]
    assert evaluate("States.ArrayRange(10, 0, -3)") == [10, 7, 4, 1]
    assert evaluate("States.ArrayRange(5, 1, 1)") == []
    assert len(evaluate("States.ArrayRange(1, 1000, 1)")) == 1000


def test_array_range_limits():
    assert_intrinsic_failure("States.ArrayRange(1, 1001, 1)")
    assert_intrinsic_failure("States.ArrayRange(1, 5, 0)")
    assert_intrinsic_failure("States.ArrayRange(1.5, 5, 1)")


def test_array_get_item():
    assert evaluate("States.ArrayGetItem($.a, 1)", {"a": [1, 2, 3]}) == 2
    assert_intrinsic_failure("States.ArrayGetItem($.a, 3)", {"a": [1, 2, 3]})
    assert_intrinsic_failure("States.ArrayGetItem($.a, -1)", {"a": [1, 2, 3]})


def test_array_length_and_unique():
    assert evaluate("States.ArrayLength($.a)", {"a": [1, 2, 3]}) == 3
    assert evaluate("States.ArrayUnique($.a)", {"a": [1, 2, 2, 3, 3, 4, {"k": 1}, {"k": 1}]}) == [1, 2, 3, 4, {"k": 1}]
    assert_intrinsic_failure("States.ArrayLength($.a)", {"a": {}})


# -- encoding and hashing ---------------------------------------------------------


def test_base64_round_trip():
    assert evaluate("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU="
    assert evaluate("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode"


def test_base64_failures():
    assert_intrinsic_failure("States.Base64Decode('not base64!')")
    assert_intrinsic_failure("States.Base64Encode($.s)", {"s": "a" * 10_001})
    assert evaluate("States.Base64Encode($.s)", {"s": "a" * 10_000})


@pytest.mark.parametrize(
    ("algorithm", "name"), [("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512")]
)
def test_hash_algorithms(algorithm, name):
    assert evaluate(f"States.Hash('input data', '{algorithm}')") == hashlib.new(name, b"input data").hexdigest()


def test_hash_failures():
    assert_intrinsic_failure("States.Hash('x', 'SHA-3')")
    assert_intrinsic_failure("States.Hash($.s, 'MD5')", {"s": "a" * 10_001})


# -- math, strings, UUID ------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "total"),
    [(-9, 3, -6), (1.49, 1.5, 3), (-1.5, 0, -1), (-1.51, 0, -2), (0.5, 0, 1), (2.5, 0, 3), (-0.5, 0.5, 1), (-2.5, 0, -2)],
)
def test_math_add_rounds_each_argument(first, second, total):
    assert evaluate("States.MathAdd($.a, $.b)", {"a": first, "b": second}) == total


def test_math_add_failures():
    assert_intrinsic_failure("States.MathAdd($.a, 1)", {"a": "1"})
    assert_intrinsic_failure("States.MathAdd(2147483647, 1)")


def test_math_random_range_and_seed():
    for _ in range(50):
        assert 1 <= evaluate("States.MathRandom(1, 10)") < 10
    first = evaluate("States.MathRandom(1, 1000, 42)")
    assert evaluate("States.MathRandom(1, 1000, 42)") == first
    assert_intrinsic_failure("States.MathRandom(5, 5)")
    assert_intrinsic_failure("States.MathRandom($.a, 5)", {"a": "x"})


@pytest.mark.parametrize(
    ("text", "delimiters", "pieces"),
    [
        ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
        (" , ", ",", [" ", " "]),
        (", , ,", ",", [" ", " "]),
        (",,,,", ",", []),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
    ],
)
def test_string_split(text, delimiters, pieces):
    assert evaluate("States.StringSplit($.t, $.d)", {"t": text, "d": delimiters}) == pieces


def test_uuid_version_4():
    generated = evaluate("States.UUID()")

    assert uuid.UUID(generated).version == 4
    assert evaluate("States.UUID()") != generated


@pytest.mark.parametrize("text", [None, 5, ["States.UUID()"], {"a": 1}])
def test_non_string_call_rejected(text):
    with pytest.raises(DefinitionSyntaxError):
        parse_intrinsic(text)


def test_path_function_argument():
    assert evaluate("States.Array($.a.length(), $.a[?(@.x > 1)].x)", {"a": [{"x": 1}, {"x": 2}]}) == [2, [2]]


def test_backslash_before_other_character_kept():
    assert evaluate(r"""States.StringToJson('{"text":"An \"escaped\" quote"}')""") == {"text": 'An "escaped" quote'}
    assert evaluate(r"States.Array('a\nb')") == ["a\\nb"]
    assert evaluate(r"States.Format('\\{}', 'x')") == "\\x"


def test_base64_decode_padding_optional():
    assert evaluate("States.Base64Decode('YQ')") == "a"
    assert evaluate("States.Base64Decode('YWI')") == "ab"
    assert evaluate("States.Base64Decode('')") == ""
    assert_intrinsic_failure("States.Base64Decode('Y')")
    assert_intrinsic_failure("States.Base64Decode('YQ=')")
