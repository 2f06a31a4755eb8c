"""Tests of the size bounds that let fast-path Pass states skip the 256 KiB check's serialization."""

from __future__ import annotations

import json

import pytest

from heaviside.engine import fast_path, io
from heaviside.local import FAILED, SUCCEEDED, run

AWKWARD_VALUES = [
    None,
    True,
    False,
    0,
    -17,
    10**40,
    0.1,
    -0.0,
    1e300,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "plain",
    "\x00\x1f\"\\",
    "é€",
    "😀" * 3,
    [1, "two", None],
    {"nested": {"list": [1.5, "x"]}},
]


@pytest.mark.parametrize("value", AWKWARD_VALUES, ids=repr)
def test_value_bound_covers_json_size(value):
    assert fast_path._value_size_bound(value) >= io.json_size(value)


def test_template_bound_covers_output():
    template = {"fixed": {"a": [1, 2]}, "text.$": "$.text", "count.$": "States.MathAdd($.count, 1)", "é": "ü"}
    bound = fast_path._template_size_bound(template)
    output = {"fixed": {"a": [1, 2]}, "text": "😀\x01", "count": 12345, "é": "ü"}
    assert bound is not None
    assert bound(output) >= io.json_size(output)


def test_nested_dynamic_template_unbounded():
    assert fast_path._template_size_bound({"outer": {"inner.$": "$.value"}}) is None
    assert fast_path._template_size_bound({"items": [{"inner.$": "$.value"}]}) is None
    assert fast_path._template_size_bound(["$.value"]) is None


def pass_parameters(parameters: dict) -> dict:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


def test_parameters_over_limit_fail():
    text = "x" * (150 * 1024)
    execution = run(pass_parameters({"a.$": "$.text", "b.$": "$.text"}), {"text": text})
    assert execution.status == FAILED
    assert execution.error == "States.DataLimitExceeded"


def test_intrinsic_over_limit_fails():
    text = "x" * (100 * 1024)
    tripled = pass_parameters({"text.$": "States.Format('{}{}{}', $.text, $.text, $.text)"})
    execution = run(tripled, {"text": text})
    assert execution.status == FAILED
    assert execution.error == "States.DataLimitExceeded"


def test_parameters_under_limit_succeed():
    text = "é" * (60 * 1024)
    execution = run(pass_parameters({"a.$": "$.text", "b.$": "$.text"}), {"text": text})
    assert execution.status == SUCCEEDED
    assert execution.output == {"a": text, "b": text}
    assert len(json.dumps(execution.output, ensure_ascii=False).encode()) > 200 * 1024
