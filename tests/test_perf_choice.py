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
from heaviside.asl.intrinsics import parse_intrinsic
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


def test_field_path_null_input_message():
    error = outcome(compile_path("$.a").get, None)

    assert error == ("error", "PathNotFound", "$.a", "Unable to apply Path transformation to null or empty input.")


def test_field_path_missing_inner_step_reason():
    error = outcome(compile_path("$.a.b.v").get, {"a": {"c": 1}})

    assert error == ("error", "PathNotFound", "$.a.b.v", "Missing property in path $['a']['b']")
