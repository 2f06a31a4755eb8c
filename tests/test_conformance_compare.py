"""The comparer: normalisation rules, strict and lenient comparison, and the self-check."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside.conformance.cases import Case, load_cases
from heaviside.conformance.compare import compare_outcome, first_difference, normalize_outcome
from tests.conftest import CONFORMANCE_CASES, REGRESSIONS

ALL_CASES = load_cases([CONFORMANCE_CASES, REGRESSIONS])

LAMBDA_ERROR = {
    "errorMessage": "Some exception was raised.",
    "errorType": "Exception",
    "requestId": "<uuid:1>",
    "stackTrace": ['  File "/var/task/handler.py", line 2, in handler\n    raise Exception("Some exception was raised.")\n'],
}


def make_case(expected: dict, **fields) -> Case:
    return Case(id="unit", path=Path("unit.json"), expected=expected, definition={}, **fields)


def succeeded(output) -> dict:
    return {"status": "SUCCEEDED", "output": output}


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_expected_matches_itself(lenient):
    mismatched = [case.id for case in ALL_CASES if compare_outcome(case, dict(case.expected), lenient=lenient)]
    assert mismatched == []
    assert len(ALL_CASES) >= 722 + 30


def test_self_check_does_not_modify_cases():
    case = next(case for case in ALL_CASES if case.normalized_output_paths)
    before = copy.deepcopy(case.expected)
    compare_outcome(case, copy.deepcopy(case.expected))
    assert case.expected == before


def test_changed_output_value_fails():
    failures = 0
    for case in ALL_CASES:
        output = case.expected.get("output")
        if case.expected["status"] != "SUCCEEDED" or not isinstance(output, dict) or not output:
            continue
        changed = copy.deepcopy(output)
        changed["unexpected member"] = 1
        assert compare_outcome(case, succeeded(changed)) is not None, case.id
        failures += 1
    assert failures > 400


def test_changed_status_fails():
    case = make_case(succeeded({"a": 1}))
    difference = compare_outcome(case, {"status": "FAILED", "error": "States.Runtime", "cause": "boom"})
    assert difference == 'status: expected SUCCEEDED, got FAILED ("States.Runtime": "boom")'


def test_missing_and_extra_members():
    case = make_case(succeeded({"a": 1, "b": 2}))
    assert compare_outcome(case, succeeded({"a": 1})) == "output.b: missing (expected 2)"
    assert compare_outcome(case, succeeded({"a": 1, "b": 2, "c": 3})) == "output.c: not expected (got 3)"


def test_list_length_and_order():
    case = make_case(succeeded([1, 2]))
    assert compare_outcome(case, succeeded([1, 2, 3])) == "output: expected 2 items, got 3"
    assert compare_outcome(case, succeeded([2, 1])) == "output[0]: expected 1, got 2"


def test_integer_and_float_strict_and_lenient():
    case = make_case(succeeded({"Payload": 0.0}))
    assert compare_outcome(case, succeeded({"Payload": 0})) == "output.Payload: expected 0.0, got 0"
    assert compare_outcome(case, succeeded({"Payload": 0}), lenient=True) is None


def test_boolean_is_not_a_number():
    case = make_case(succeeded({"v": 1}))
    assert compare_outcome(case, succeeded({"v": True}), lenient=True) is not None


def test_null_differs_from_missing_output():
    case = make_case(succeeded(None))
    assert compare_outcome(case, succeeded(None)) is None
    assert compare_outcome(case, succeeded({})) is not None


def test_wildcard_tokens_match_any_text():
    case = make_case(succeeded({"Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>"}))
    actual = succeeded({"Id": "arn:aws:states:us-east-1:111111111111:execution:machine:run-1"})
    assert compare_outcome(case, actual) is None


def test_wildcard_tokens_keep_the_literal_parts():
    case = make_case(succeeded({"Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>"}))
    actual = succeeded({"Id": "arn:aws:states:us-east-1:222222222222:execution:machine"})
    assert compare_outcome(case, actual) is not None


def test_runtime_value_placeholders_are_wildcards():
    case = make_case(succeeded({"FunctionResult": "generated-uuid"}), runtime_value_placeholders=("generated-uuid",))
    actual = succeeded({"FunctionResult": "0f5a8c39-8f36-4c5e-9b3a-5f0e7f2b9a11"})
    assert compare_outcome(case, actual) is None
    assert compare_outcome(case, succeeded({"FunctionResult": 5})) is not None


def test_case_patterns_apply_in_order():
    case = make_case(
        succeeded({"Arn": "arn:<partition>:lambda:<region>:111111111111:function:<lambda_function_name>"}),
        normalize=(
            ("lambda_func_u0000001", "<lambda_function_name>"),
            (r"us\-east\-1", "<region>"),
            ("arn:aws:", "arn:<partition>:"),
        ),
    )
    actual = succeeded({"Arn": "arn:aws:lambda:us-east-1:111111111111:function:lambda_func_u0000001"})
    assert normalize_outcome(case, actual)["output"] == case.expected["output"]


def test_case_patterns_rewrite_role_arn():
    case = make_case(
        succeeded({"RoleArn": "snf_role_arn"}),
        normalize=(("arn:aws:iam::111111111111:role/conformance-sfn-role", "snf_role_arn"),),
    )
    assert compare_outcome(case, succeeded({"RoleArn": "arn:aws:iam::111111111111:role/conformance-sfn-role"})) is None
    assert compare_outcome(case, succeeded({"RoleArn": "arn:aws:iam::111111111111:role/other"})) is not None


def test_request_id_pattern_on_escaped_cause_text():
    case = next(case for case in ALL_CASES if case.id == "express.express_sync.catch")
    cause = json.dumps(
        {**LAMBDA_ERROR, "requestId": "8a1f3c2e-1b2d-4e5f-9a8b-7c6d5e4f3a2b"}, separators=(",", ":")
    )
    actual = succeeded({"Error": "Exception", "Cause": cause})
    assert compare_outcome(case, actual) is None


def test_iso_date_time_becomes_date():
    case = make_case(succeeded({"when": "date", "text": "at 2024-05-01T10:00:00Z"}))
    assert compare_outcome(case, succeeded({"when": "2024-05-01T10:00:00.123Z", "text": "at 2024-05-01T10:00:00Z"})) is None
    assert compare_outcome(case, succeeded({"when": "2024-05-01", "text": "at 2024-05-01T10:00:00Z"})) is not None


def test_timestamp_member_becomes_timestamp():
    case = make_case(succeeded({"approximateTimestamp": "timestamp", "TimestampIso": "date"}))
    actual = succeeded({"approximateTimestamp": 1714557600, "TimestampIso": "2024-05-01T10:00:00+02:00"})
    assert normalize_outcome(case, actual)["output"] == case.expected["output"]


def test_uuid_in_id_member_is_replaced_everywhere():
    uuid = "0f5a8c39-8f36-4c5e-9b3a-5f0e7f2b9a11"
    actual = succeeded({"requestId": uuid, "message": f"request {uuid} failed", "other": "3f5a8c39-8f36-4c5e-9b3a-5f0e7f2b9a11"})
    normalized = normalize_outcome(make_case(succeeded({})), actual)["output"]
    assert normalized["requestId"] == "<uuid:1>"
    assert normalized["message"] == "request <uuid:1> failed"
    assert normalized["other"] == "3f5a8c39-8f36-4c5e-9b3a-5f0e7f2b9a11"


def test_sdk_metadata_rules():
    actual = succeeded(
        {
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "Date": ["Wed, 01 May 2024 10:00:00 GMT"],
                    "x-amzn-RequestId": ["a1"],
                    "X-Amzn-Trace-Id": ["root=1"],
                    "x-amz-crc32": ["123"],
                },
                "HttpHeaders": {"Date": "Wed, 01 May 2024 10:00:00 GMT", "x-amzn-requestid": "a1"},
            },
            "SdkResponseMetadata": {"RequestId": "a1"},
        }
    )
    normalized = normalize_outcome(make_case(succeeded({})), actual)["output"]
    headers = normalized["SdkHttpMetadata"]["AllHttpHeaders"]
    assert headers == {
        "Date": "date",
        "x-amzn-RequestId": "x-amzn-RequestId",
        "X-Amzn-Trace-Id": "X-Amzn-Trace-Id",
        "x-amz-crc32": "x-amz-crc32",
    }
    assert normalized["SdkHttpMetadata"]["HttpHeaders"] == {"Date": "date", "x-amzn-requestid": "x-amzn-requestid"}
    assert normalized["SdkResponseMetadata"] == {"RequestId": "RequestId"}


def test_request_id_recorded_as_uuid_list():
    case = make_case(succeeded({"SdkHttpMetadata": {"AllHttpHeaders": {"x-amzn-RequestId": ["<uuid:3>"]}}}))
    actual = succeeded({"SdkHttpMetadata": {"AllHttpHeaders": {"x-amzn-RequestId": ["c0ffee"]}}})
    assert compare_outcome(case, actual) is None


def test_date_member_outside_sdk_metadata_is_kept():
    case = make_case(succeeded({"Date": "Wed, 01 May 2024"}))
    assert compare_outcome(case, succeeded({"Date": "Wed, 01 May 2024"})) is None
    assert compare_outcome(case, succeeded({"Date": "date"})) is not None


def test_normalized_output_paths_overwrite_values():
    case = make_case(
        succeeded({"a": {"StartTime": "start-time"}, "b": [{"StartTime": "start-time"}], "FunctionResult": "RandomNumberGenerated"}),
        normalized_output_paths=(("$..StartTime", "start-time"), ("$.FunctionResult", "RandomNumberGenerated")),
    )
    actual = succeeded({"a": {"StartTime": 1}, "b": [{"StartTime": 2}], "FunctionResult": 0.37})
    assert compare_outcome(case, actual) is None


def test_cause_json_is_parsed_when_recorded_as_object():
    case = make_case({"status": "FAILED", "error": "Exception", "cause": LAMBDA_ERROR, "cause_format": "json"})
    cause = json.dumps({**LAMBDA_ERROR, "requestId": "8a1f3c2e-1b2d-4e5f-9a8b-7c6d5e4f3a2b"})
    assert compare_outcome(case, {"status": "FAILED", "error": "Exception", "cause": cause}) is None


def test_cause_text_is_kept_when_recorded_as_text():
    text = '{"errorType":"E","errorMessage":"m"}'
    case = make_case({"status": "FAILED", "error": "E", "cause": text})
    assert compare_outcome(case, {"status": "FAILED", "error": "E", "cause": text}) is None
    spaced = '{"errorType": "E", "errorMessage": "m"}'
    assert compare_outcome(case, {"status": "FAILED", "error": "E", "cause": spaced}) is not None
    assert compare_outcome(case, {"status": "FAILED", "error": "E", "cause": spaced}, lenient=True) is None


def test_stack_trace_ignored_only_when_lenient():
    case = make_case({"status": "FAILED", "error": "Exception", "cause": LAMBDA_ERROR})
    actual_cause = {**LAMBDA_ERROR, "stackTrace": ['  File "/other.py", line 5, in run\n']}
    actual = {"status": "FAILED", "error": "Exception", "cause": json.dumps(actual_cause)}
    assert compare_outcome(case, actual) is not None
    assert compare_outcome(case, actual, lenient=True) is None


def test_json_text_inside_output_compared_parsed_when_lenient():
    spaced = json.dumps(LAMBDA_ERROR)
    compact = json.dumps({**LAMBDA_ERROR, "stackTrace": []}, separators=(",", ":"))
    case = make_case(succeeded({"Error": "Exception", "Cause": spaced}))
    assert compare_outcome(case, succeeded({"Error": "Exception", "Cause": compact})) is not None
    assert compare_outcome(case, succeeded({"Error": "Exception", "Cause": compact}), lenient=True) is None


def test_absent_cause_must_stay_absent():
    case = make_case({"status": "FAILED", "error": "States.Timeout"})
    assert compare_outcome(case, {"status": "FAILED", "error": "States.Timeout"}) is None
    assert compare_outcome(case, {"status": "FAILED", "error": "States.Timeout", "cause": ""}) == 'cause: expected none, got ""'


def test_timed_out_status():
    case = make_case({"status": "TIMED_OUT"})
    assert compare_outcome(case, {"status": "TIMED_OUT"}) is None
    assert compare_outcome(case, {"status": "FAILED", "error": "States.Timeout"}) is not None


def test_long_strings_report_first_differing_character():
    expected = "An error occurred while executing the state 'E' (entered at the event id #2). The field 'Output/v' is bad"
    actual = expected.replace("Output/v", "v")
    difference = first_difference(expected, actual, "cause")
    position = expected.index("Output/v")
    assert difference.startswith(f"cause: differs at character {position}:")
    assert "Output/v" in difference


JSON_TEXT = st.text(alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), max_size=8)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False).map(lambda number: number + 0.0)
    | JSON_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(JSON_TEXT, children, max_size=3),
    max_leaves=10,
)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True)


@settings(max_examples=100, deadline=None)
@given(value=JSON_VALUES)
def test_value_matches_itself(value):
    assert first_difference(value, copy.deepcopy(value), "output") is None


@settings(max_examples=200, deadline=None)
@given(expected=JSON_VALUES, actual=JSON_VALUES)
def test_strict_comparison_is_json_equality(expected, actual):
    difference = first_difference(expected, actual, "output")
    assert (difference is None) == (canonical_json(expected) == canonical_json(actual))
