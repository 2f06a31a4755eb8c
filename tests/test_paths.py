"""Tests of JSONPath compilation and evaluation (heaviside.asl.paths)."""

from __future__ import annotations

import pytest

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.paths import PathNotFound, compile_path, compile_reference_path

DOCUMENT = {
    "a": {"b": [1, 2, {"c": 3}]},
    "files": [
        {"name": "a", "ready": True, "valid": False},
        {"name": "b", "ready": False, "valid": True},
    ],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", DOCUMENT),
        ("$.a", {"b": [1, 2, {"c": 3}]}),
        ("$.a.b[2].c", 3),
        ("$.a.b[-1]", {"c": 3}),
        ("$['a']['b'][0]", 1),
        ('$["a"].b[1]', 2),
    ],
)
def test_definite_path_returns_value(text, expected):
    path = compile_path(text)

    assert path.is_definite
    assert path.get(DOCUMENT, {}, {}) == expected


def test_context_and_variable_roots():
    context = {"Execution": {"Input": {"k": 1}}}
    variables = {"total": {"x": [5]}}

    assert compile_path("$$.Execution.Input.k").get(None, context, variables) == 1
    assert compile_path("$$").get(None, context, variables) is context
    assert compile_path("$total.x[0]").get(None, context, variables) == 5
    assert compile_path("$total").get(None, context, variables) == {"x": [5]}


def test_missing_inner_property_reason():
    with pytest.raises(PathNotFound) as caught:
        compile_path("$.no.such.result.path").get({}, {}, {})

    assert caught.value.path == "$.no.such.result.path"
    assert caught.value.reason == "Missing property in path $['no']"
    assert str(caught.value) == "Invalid path '$.no.such.result.path' : Missing property in path $['no']"


def test_missing_last_property_reason():
    with pytest.raises(PathNotFound) as caught:
        compile_path("$.a.x").get(DOCUMENT, {}, {})

    assert caught.value.reason == "No results for path: $['a']['x']"


def test_index_out_of_range_not_found():
    with pytest.raises(PathNotFound):
        compile_path("$.a.b[7]").get(DOCUMENT, {}, {})


def test_undefined_variable_not_found():
    with pytest.raises(PathNotFound):
        compile_path("$missing.x").get({}, {}, {"other": 1})


def test_dollar_on_null_input_not_found():
    with pytest.raises(PathNotFound) as caught:
        compile_path("$").get(None, {}, {})

    assert caught.value.reason == "Unable to apply Path transformation to null or empty input."


@pytest.mark.parametrize("text", ["", "a", "$.", "$..", "$[", "$[abc]", "$.a b", "$[?(@.a]", "$['a", "$.a]"])
def test_invalid_path_rejected(text):
    with pytest.raises(DefinitionSyntaxError):
        compile_path(text)


def test_reference_path_creates_missing_objects():
    document = {"a": 1, "x": {"z": 1}}

    assert compile_reference_path("$.x.y").set(document, 5) == {"a": 1, "x": {"z": 1, "y": 5}}
    assert compile_reference_path("$.n.m").set(document, 5) == {"a": 1, "x": {"z": 1}, "n": {"m": 5}}
    assert document == {"a": 1, "x": {"z": 1}}


def test_reference_path_dollar_replaces_document():
    assert compile_reference_path("$").set({"a": 1}, [1]) == [1]


def test_reference_path_shares_untouched_parts():
    untouched = {"deep": [1, 2]}
    document = {"keep": untouched, "x": {}}

    result = compile_reference_path("$.x.y").set(document, 1)

    assert result["keep"] is untouched


def test_reference_path_on_non_object_fails():
    with pytest.raises(StatesError) as caught:
        compile_reference_path("$.x.y").set({"x": 1}, 5)

    assert caught.value.error == "States.ResultPathMatchFailure"


@pytest.mark.parametrize("text", ["$$.Execution", "$var.x", "$.a[*]", "$..a", "$.a[0:1]"])
def test_reference_path_rejects_non_reference(text):
    with pytest.raises(DefinitionSyntaxError):
        compile_reference_path(text)


FILES = {
    "files": [
        {"name": "a", "ready": True, "valid": False, "size": 3},
        {"name": "b", "ready": False, "valid": True, "size": 10},
    ]
}


@pytest.mark.parametrize(
    ("text", "document", "expected"),
    [
        ("$[*].message", [{"message": "hello from one"}, {}], ["hello from one"]),
        ("$.entries[*].kind", {}, []),
        ("$.entries[1:]", {}, []),
        ("$[*]", {}, []),
        ("$.item.items[1:5].itemValue", {}, []),
        ("$.files[?(@.ready == true && @.valid == true)]", FILES, []),
        ("$.files[?(@.ready == true)].name", FILES, ["a"]),
        ("$.files[?(@.ready == true || @.size > 5)].name", FILES, ["a", "b"]),
        ("$.files[?(@.size > 5)].name", FILES, ["b"]),
        ("$.files[?(@.name == 'b')].size", FILES, [10]),
        ("$.files[?(@.missing)].name", FILES, []),
        ("$.files[?(@.ready)].name", FILES, ["a", "b"]),
        ("$.files[?(@.name in ['a','c'])].name", FILES, ["a"]),
        ("$.files[?(@.name =~ /b.*/)].name", FILES, ["b"]),
        ("$..name", FILES, ["a", "b"]),
        ("$.a[-2:]", {"a": [1, 2, 3]}, [2, 3]),
        ("$.a[:2]", {"a": [1, 2, 3]}, [1, 2]),
        ("$.a[0,2]", {"a": [1, 2, 3]}, [1, 3]),
        ("$.o[*]", {"o": {"x": 1, "y": 2}}, [1, 2]),
        ("$.o.*", {"o": {"x": 1, "y": 2}}, [1, 2]),
        ("$.a[*].b[*]", {"a": [{"b": [1, 2]}, {"b": [3]}, {"c": 1}]}, [1, 2, 3]),
        ("$.a[0:1]", {"a": [{"k": 1}]}, [{"k": 1}]),
    ],
)
def test_indefinite_path_returns_list(text, document, expected):
    path = compile_path(text)

    assert not path.is_definite
    assert path.get(document, {}, {}) == expected


def test_indefinite_context_and_variable_paths():
    context = {"Execution": {"Input": {"list": [{"v": 1}, {"v": 2}]}}}
    variables = {"rows": [{"v": 3}, {"v": 4}]}

    assert compile_path("$$.Execution.Input.list[*].v").get({}, context, variables) == [1, 2]
    assert compile_path("$rows[?(@.v > 3)].v").get({}, context, variables) == [4]


def test_trailing_names_merge_into_object():
    document = {"o": {"x": 1, "y": 2, "z": 3}}

    assert compile_path("$.o['x','y']").get(document) == {"x": 1, "y": 2}
    assert compile_path("$.o['x','missing']").get(document) == {"x": 1}
    assert compile_path("$.o['x','y']").is_definite


def test_quoted_names_with_special_characters():
    document = {"a b": 1, "c.d": 2, "e'f": 3, 'Test\\""Name"': 4, "$x": 5, "a-b": 6}

    assert compile_path("$['a b']").get(document) == 1
    assert compile_path("$['c.d']").get(document) == 2
    assert compile_path('$["e\'f"]').get(document) == 3
    assert compile_path("$['Test\\\"\"Name\"']").get(document) == 4
    assert compile_path("$['$x']").get(document) == 5
    assert compile_path("$.a-b").get(document) == 6


def test_definite_path_type_mismatch_not_found():
    with pytest.raises(PathNotFound):
        compile_path("$.a[0]").get({"a": {"0": 1}})
    with pytest.raises(PathNotFound):
        compile_path("$.a.b").get({"a": [1]})
    with pytest.raises(PathNotFound):
        compile_path("$.a.b").get({"a": "text"})


def test_path_on_falsy_values_not_null():
    assert compile_path("$").get("") == ""
    assert compile_path("$").get(0) == 0
    assert compile_path("$").get(False) is False


def test_compile_cached():
    assert compile_path("$.cached.path") is compile_path("$.cached.path")


FUNCTION_DOCUMENT = {"items": [1, 2, 3, "x"], "o": {"a": 1, "b": 2}, "objs": [{"v": 1}, {"v": 5}], "none": ["x"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.items.length()", 4),
        ("$.o.length()", 2),
        ("$.items.sum()", 6.0),
        ("$.items.avg()", 2.0),
        ("$.items.min()", 1.0),
        ("$.objs[*].v.max()", 5.0),
        ("$.o.keys()", ["a", "b"]),
        ("$.items.first()", 1),
        ("$.items.last()", "x"),
        ("$.objs[?(@.v > 2)].length()", 1),
        ("$.length()", 4),
    ],
)
def test_path_function_returns_one_value(text, expected):
    path = compile_path(text)

    assert path.is_definite
    assert path.get(FUNCTION_DOCUMENT) == expected


def test_path_function_stddev_population():
    assert compile_path("$.items.stddev()").get(FUNCTION_DOCUMENT) == pytest.approx((2 / 3) ** 0.5)


def test_aggregation_without_numbers_not_found():
    with pytest.raises(PathNotFound) as caught:
        compile_path("$.none.sum()").get(FUNCTION_DOCUMENT)

    assert "empty array" in caught.value.reason


@pytest.mark.parametrize("text", ["$.a.size()", "$.a.length(1)", "$.a.length().b", "$.a.nope()"])
def test_invalid_path_function_rejected(text):
    with pytest.raises(DefinitionSyntaxError):
        compile_path(text)


def test_reference_path_rejects_function():
    with pytest.raises(DefinitionSyntaxError):
        compile_reference_path("$.a.length()")


def test_filter_matches_scalars_and_objects():
    document = {"numbers": [1, 2, 3], "mixed": [1, {"v": 2}, [3], {"v": 0}]}

    assert compile_path("$.numbers[?(@ > 1)]").get(document) == [2, 3]
    assert compile_path("$.mixed[?(@.v > 1)]").get(document) == [{"v": 2}]


def test_filter_on_object_tests_object():
    document = {"o": {"x": 1}, "p": {"x": 2}}

    assert compile_path("$.o[?(@.x == 1)]").get(document) == [{"x": 1}]
    assert compile_path("$.p[?(@.x == 1)]").get(document) == []


def test_filter_under_recursive_descent():
    document = {"o": {"x": 1}, "l": [{"x": 1}, {"x": 2}, {"inner": {"x": 1}}]}

    assert compile_path("$..[?(@.x == 1)]").get(document) == [{"x": 1}, {"x": 1}, {"x": 1}]


def test_filter_referring_to_root():
    document = {"want": 2, "l": [{"x": 1}, {"x": 2}]}

    assert compile_path("$.l[?(@.x == $.want)]").get(document) == [{"x": 2}]


def test_slice_and_wildcard_on_wrong_type_empty():
    document = {"s": "text", "n": 5}

    assert compile_path("$.s[1:]").get(document) == []
    assert compile_path("$.s[*]").get(document) == []
    assert compile_path("$.n[*]").get(document) == []
    assert compile_path("$.s[0,1]").get(document) == []


def test_recursive_descent_order():
    document = {"a": {"b": 1}, "c": [2]}

    assert compile_path("$..*").get(document) == [{"b": 1}, [2], 1, 2]
    assert compile_path("$..a").get({"a": {"a": 1}}) == [{"a": 1}, 1]


def test_filter_root_reference_in_nested_places():
    document = {"want": 2, "l": [{"x": 1}, {"x": 2}, {"inner": {"x": 2}}], "n": [2]}

    assert compile_path("$.l[?(@.x == $['want'])]").get(document) == [{"x": 2}]
    assert compile_path("$..[?(@.x == $.want)]").get(document) == [{"x": 2}, {"x": 2}]
    assert compile_path("$.n[?(@ == $.want)]").get(document) == [2]


def test_filter_dollar_in_literals_kept():
    document = {"l": [{"s": "a$"}, {"s": "$"}, {"s": "b"}]}

    assert compile_path("$.l[?(@.s =~ /.*\\$/)].s").get(document) == ["a$", "$"]
    assert compile_path("$.l[?(@.s == '$')].s").get(document) == ["$"]


@pytest.mark.parametrize("text", [None, 5, ["$.a"], {"a": 1}])
def test_non_string_path_rejected(text):
    with pytest.raises(DefinitionSyntaxError):
        compile_path(text)
    with pytest.raises(DefinitionSyntaxError):
        compile_reference_path(text)


def test_missing_input_path_message():
    with pytest.raises(PathNotFound) as caught:
        compile_path("$.X").get({}, {}, {})

    assert str(caught.value) == "Invalid path '$.X' : No results for path: $['X']"


def test_unicode_variable_name():
    assert compile_path("$café.prix").get({}, {}, {"café": {"prix": 3}}) == 3
    assert compile_path("$_x1").get({}, {}, {"_x1": 1}) == 1


def test_bracket_after_dot():
    document = {"abc": {"def ghi": 1, "list": [5]}}

    assert compile_path("$.abc.['def ghi']").get(document) == 1
    assert compile_path("$.abc.list.[0]").get(document) == 5
    assert compile_reference_path("$.abc.['x y']").set(document, 2)["abc"]["x y"] == 2


def test_filter_parentheses_inside_literals():
    document = {"l": [{"s": "a(b"}, {"s": "x"}, {"s": ")"}]}

    assert compile_path("$.l[?(@.s =~ /.*\\(.*/)].s").get(document) == ["a(b"]
    assert compile_path("$.l[?(@.s == ')')].s").get(document) == [")"]
    assert compile_path("$.l[?((@.s == 'x') || (@.s == ')'))].s").get(document) == ["x", ")"]
