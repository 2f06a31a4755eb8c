"""Fake Lambda functions: behaviour per code, and error payloads as the Python runtime shows them."""

from __future__ import annotations

import json
import threading
import time
import traceback

import pytest

from heaviside.conformance.fakes import BEHAVIOURS, FUNCTION_ARN_PREFIX, build_functions, make_function
from tests.conftest import CONFORMANCE_CASES


def recorded_cause(case_id: str) -> dict:
    case = json.loads((CONFORMANCE_CASES / f"{case_id}.json").read_text())
    output = case["expected"].get("output")
    cause = output["Cause"] if output else case["expected"]["cause"]
    return json.loads(cause) if isinstance(cause, str) else cause


def raised_by(handler) -> BaseException:
    with pytest.raises(Exception) as caught:
        handler({"any": "event"}, None)
    return caught.value


def handler_stack_trace(error: BaseException) -> list[str]:
    # The Lambda runtime lists the frames from the handler down.
    frames = traceback.extract_tb(error.__traceback__)
    handler_frames = [frame for frame in frames if frame.filename == "/var/task/handler.py"]
    return traceback.format_list(handler_frames)


def test_echo_returns_event():
    event = {"a": [1, 2]}
    assert make_function("echo")(event, None) is event


def test_return_hello_world_object():
    assert make_function("return_hello_world_object")({}, None) == {"Return": "HelloWorld"}


def test_return_hello_world_bytes():
    assert make_function("return_hello_world_bytes")({}, None) == b'"HelloWorld!"'


def test_return_257_kib_bytes():
    payload = make_function("return_257_kib_bytes")({}, None)
    assert isinstance(payload, bytes)
    assert len(payload) == 257 * 1024
    assert set(payload) == {ord("a")}


def test_raise_exception_matches_recording():
    error = raised_by(make_function("raise_exception"))
    recorded = recorded_cause("error_handling.task_service_lambda.raise_exception")
    assert type(error).__name__ == recorded["errorType"]
    assert str(error) == recorded["errorMessage"]
    assert handler_stack_trace(error) == recorded["stackTrace"]


def test_raise_custom_exception_matches_recording():
    error = raised_by(make_function("raise_custom_exception"))
    recorded = recorded_cause("error_handling.task_lambda.raise_custom_exception")
    assert type(error).__name__ == "CustomException"
    assert isinstance(error, Exception)
    assert str(error) == recorded["errorMessage"] == ""
    assert handler_stack_trace(error) == recorded["stackTrace"]


def test_sleep_scales_with_time_scale():
    handler = make_function("sleep_60_then_echo", time_scale=0.002)
    started = time.perf_counter()
    assert handler({"x": 1}, None) == {"x": 1}
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.11
    assert elapsed < 2


def test_unknown_code_raises_key_error():
    with pytest.raises(KeyError):
        make_function("no_such_behaviour")


def test_build_functions_registers_name_and_arn():
    functions = build_functions({"lambda_func_u0000001": "echo"})
    assert set(functions) == {"lambda_func_u0000001", FUNCTION_ARN_PREFIX + "lambda_func_u0000001"}
    assert functions["lambda_func_u0000001"]({"k": 1}, None) == {"k": 1}


def test_build_functions_accepts_arn_keys():
    arn = "arn:aws:lambda:eu-west-1:222222222222:function:worker"
    functions = build_functions({arn: "echo"})
    assert set(functions) == {arn, "worker", FUNCTION_ARN_PREFIX + "worker"}


def test_every_corpus_code_is_known():
    codes = set()
    for path in CONFORMANCE_CASES.glob("*.json"):
        codes.update(json.loads(path.read_text()).get("behaviours", {}).values())
    assert codes <= set(BEHAVIOURS)
    assert "sleep_60_then_echo" in codes


def test_sleep_ends_when_woken():
    wake_up = threading.Event()
    handler = make_function("sleep_60_then_echo", time_scale=1.0, wake_up=wake_up)
    wake_up.set()
    started = time.perf_counter()
    assert handler({"x": 1}, None) == {"x": 1}
    assert time.perf_counter() - started < 1
