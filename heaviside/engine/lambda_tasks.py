"""Lambda Task states: which function gets which payload, and how its outcome is shaped.

Two Resource forms are supported, as Step Functions has them:

- a function name or ARN (``arn:aws:lambda:<region>:<account>:function:<name>``):
  the handler receives the effective input and the result is its return value;
- the optimised integration ``arn:aws:states:::lambda:invoke``: the effective
  input contains FunctionName and Payload, and the result is the Invoke response
  (Payload, StatusCode, ExecutedVersion, SdkHttpMetadata, SdkResponseMetadata).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from heaviside.asl.errors import StatesError
from heaviside.asl.paths import PathNotFound
from heaviside.engine.errors import unprefixed_error
from heaviside.engine.events import FunctionFailed, TaskSucceeded
from heaviside.engine.io import SHORT_INT_LIMIT

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
_LAMBDA_ARN_PREFIX = "arn:aws:lambda:"
# The region and account the context object's ARNs use when the state machine
# ARN does not give them.
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "111111111111"


def result_event(result: Any, request_id: str) -> TaskSucceeded | FunctionFailed:
    """Return the event for a handler's return value, as Lambda delivers it.

    The result is copied (see `handler_result_with_size`). A result that
    cannot be serialised fails the call with Lambda's Runtime.MarshalError.
    """
    try:
        value, size = handler_result_with_size(result)
    except Exception as error:  # Lambda's runtime fails the call when the result is not JSON
        return FunctionFailed(marshal_error_payload(error, request_id), request_id)
    return TaskSucceeded(value, request_id, size)


def marshal_error_payload(error: Exception, request_id: str) -> dict:
    """Build the Lambda Python runtime's error payload for a handler result it cannot serialise."""
    return {
        "errorMessage": f"Unable to marshal response: {error}",
        "errorType": "Runtime.MarshalError",
        "requestId": request_id,
        "stackTrace": [],
    }


def handler_result_with_size(result: Any) -> tuple[Any, int | None]:
    """Return a handler's result as Lambda delivers it and an upper bound of its size as JSON, in bytes.

    Bytes are parsed as JSON text when they are JSON and kept as text
    otherwise, and their bound is None. Any other value is copied as a JSON
    round trip would copy it, so the result shares nothing with the handler's
    objects. A value that is not JSON raises TypeError or ValueError. Values made only of dict, list, str, int,
    float, bool and None are copied by a walk that also bounds their size.
    Anything else (tuples, subclasses, circular or very deep values) takes
    the JSON round trip, which raises the errors Lambda's runtime raises.
    """
    if isinstance(result, (bytes, bytearray)):
        text = bytes(result).decode("utf-8", errors="replace")
        try:
            return json.loads(text), None
        except ValueError:
            return text, None
    try:
        return _copy_json(result)
    except Exception:  # not plain JSON data: the round trip converts it or raises Lambda's error
        try:
            text = json.dumps(result)
        except RecursionError as error:
            raise ValueError(f"the result is nested too deeply to encode ({error})") from None
        return json.loads(text), len(text.encode("utf-8"))


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def copy_event(payload: Any) -> Any:
    """Return a copy of a Task's payload that shares no dict or list with the execution's data.

    A Lambda handler receives its event parsed from JSON, so a handler that
    changes its event changes nothing else. Drivers that call handlers in
    this process pass them this copy to keep that so.
    """
    kind = type(payload)
    if kind is dict:
        copy = {}
        for key, item in payload.items():
            copy[key] = item if type(item) in _SCALAR_TYPES else copy_event(item)
        return copy
    if kind is list or kind is tuple:
        # A tuple in data given to the runner arrives as a list, as through JSON.
        return [item if type(item) in _SCALAR_TYPES else copy_event(item) for item in payload]
    return payload


def _copy_json(value: Any) -> tuple[Any, int]:
    """Copy plain JSON data and bound its compact UTF-8 JSON size; raise TypeError on anything else.

    A string character takes at most 6 bytes (an escape such as ``\u001f``),
    and a float at most 24 characters (``-1.2345678901234567e-300``).
    Strings and short integers inside objects and arrays are handled in the
    loop, without a call, because they are most of the values.
    """
    kind = type(value)
    if kind is dict:
        copy = {}
        size = 2
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError("a key that is not a string")
            item_kind = type(item)
            if item_kind is str:
                copy[key] = item
                size += 6 * (len(key) + len(item)) + 8
            elif item_kind is int and -SHORT_INT_LIMIT < item < SHORT_INT_LIMIT:
                copy[key] = item
                size += 6 * len(key) + 24
            else:
                copy[key], item_size = _copy_json(item)
                size += 6 * len(key) + 4 + item_size
        return copy, size
    if kind is list:
        items = []
        size = 2
        for item in value:
            item_kind = type(item)
            if item_kind is str:
                items.append(item)
                size += 6 * len(item) + 3
            elif item_kind is int and -SHORT_INT_LIMIT < item < SHORT_INT_LIMIT:
                items.append(item)
                size += 21
            else:
                copied, item_size = _copy_json(item)
                items.append(copied)
                size += item_size + 1
        return items, size
    if kind is str:
        return value, 6 * len(value) + 2
    if kind is int:
        return value, 20 if -SHORT_INT_LIMIT < value < SHORT_INT_LIMIT else len(str(value))
    if value is None or kind is bool:
        return value, 5
    if kind is float:
        return value, 24
    raise TypeError(f"a value of type {kind.__name__}")


def is_lambda_invoke(resource: str) -> bool:
    return resource == LAMBDA_INVOKE


def names_function(resource: str) -> bool:
    """Return whether a Task's Resource is a function's name or ARN, the function to call itself."""
    return resource.startswith(_LAMBDA_ARN_PREFIX) or not resource.startswith("arn:")


def invocation(state, effective: Any) -> tuple[str, Any]:
    """Return the function to call and the payload it receives."""
    resource = state.fields["resource"]
    if is_lambda_invoke(resource):
        if not isinstance(effective, Mapping) or "FunctionName" not in effective:
            raise StatesError(
                "States.Runtime",
                f"The Task's Resource is '{LAMBDA_INVOKE}', but its Parameters or Arguments "
                "have no FunctionName; set FunctionName to the function's name or ARN.",
            )
        function = effective["FunctionName"]
        if not isinstance(function, str):
            raise StatesError("States.Runtime", f"FunctionName must be a string, but was {json.dumps(function)}")
        return function, _invoke_payload(effective.get("Payload"))
    if not names_function(resource):
        raise unprefixed_error(
            "States.Runtime",
            f"The Resource '{resource}' of the state '{state.name}' is not supported: "
            "heaviside runs Lambda functions (a function name or ARN, or "
            f"'{LAMBDA_INVOKE}') only.",
        )
    return resource, effective


def _invoke_payload(payload: Any) -> Any:
    """Return the event a handler receives from lambda:invoke.

    Step Functions sends a string Payload as the request body itself, so JSON
    text arrives parsed. A missing or null Payload arrives as an empty object.
    """
    if payload is None:
        return {}
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload


def result_label(state) -> str:
    """Return the name AWS's States.DataLimitExceeded cause gives a Task: 'lambda' or the Resource."""
    resource = state.fields["resource"]
    return "lambda" if is_lambda_invoke(resource) else resource


def shape_result(state, result: Any, request_id: str) -> Any:
    """Shape the handler's return value as the Task's result."""
    if not is_lambda_invoke(state.fields["resource"]):
        return result
    length = str(len(json.dumps(result).encode("utf-8")))
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": result,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Length": [length],
                "Date": "",
                "X-Amzn-Trace-Id": "",
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": "",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
                "X-Amzn-Trace-Id": "",
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }


def function_error(state, payload: Mapping[str, Any]) -> tuple[str, str]:
    """Return Error and Cause for a handler that raised, given the Lambda error payload.

    Error is the payload's errorType. Cause is the payload as JSON text: with
    spaces after separators for a direct function Resource, compact for
    lambda:invoke, as the two paths serialise it at AWS.
    """
    error = payload.get("errorType") or "Lambda.Unknown"
    if is_lambda_invoke(state.fields["resource"]):
        cause = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    else:
        cause = json.dumps(payload, ensure_ascii=False)
    return error, cause


def function_not_found(run, function: str, request_id: str) -> tuple[str, str]:
    """Return Error and Cause for a function that does not exist, in Lambda's words."""
    arn = qualified_function_arn(function, run.execution.state_machine_id)
    return (
        "Lambda.ResourceNotFoundException",
        f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: "
        f"ResourceNotFoundException; Request ID: {request_id}; Proxy: null)",
    )


def dispatched_function(run, cursor, state) -> str:
    """Return the function a waiting Task dispatched, evaluated again from the raw input in `cursor`.

    Drivers that report `FunctionNotFound` without the function name rely on this.
    """
    from heaviside.engine import io
    from heaviside.engine.states import context_for, jsonata_scope

    raw_input = cursor.input
    if state.jsonata:
        effective = raw_input
        if state.arguments is not None:
            effective = jsonata_scope(run, cursor, raw_input).evaluate(state.arguments, "Arguments")
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        effective = io.select(state.input_path, raw_input, context, variables)
        if state.parameters is not None:
            effective = state.parameters.evaluate(effective, context, variables)
    function, _payload = invocation(state, effective)
    return function


def qualified_function_arn(name: str, state_machine_arn: str = "") -> str:
    """Return the function ARN with a version qualifier (``:$LATEST`` when none)."""
    if name.startswith(_LAMBDA_ARN_PREFIX):
        parts = name.split(":")
        return name if len(parts) > 7 else f"{name}:$LATEST"
    region, account = DEFAULT_REGION, DEFAULT_ACCOUNT
    parts = state_machine_arn.split(":")
    if len(parts) > 4 and parts[3] and parts[4]:
        region, account = parts[3], parts[4]
    return f"arn:aws:lambda:{region}:{account}:function:{name}:$LATEST"


def timeout_seconds(state, effective: Any, context, variables) -> float | None:
    """Evaluate TimeoutSeconds or TimeoutSecondsPath; None means no limit."""
    constant = state.fields.get("timeout_seconds")
    if constant is not None:
        return float(constant.evaluate())
    path = state.fields.get("timeout_seconds_path")
    if path is None:
        return None
    try:
        value = path.get(effective, context, variables)
    except PathNotFound as error:
        raise StatesError("States.Runtime", str(error)) from None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StatesError(
            "States.Runtime",
            f"The TimeoutSecondsPath parameter does not reference a positive integer: {path.text} == {json.dumps(value)}",
        )
    return float(value)
