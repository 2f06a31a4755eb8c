"""Typed JSONata fields: the fields whose expression must produce a value of one
type and range (TimeoutSeconds, Items, Timestamp, Fail Error ...).

`evaluate_field` evaluates the expression and checks its result;
`check_field_value` checks a result alone. Both raise
``States.QueryEvaluationError``.

Two messages are recorded from AWS: Items of the wrong type ("returned an
unexpected result type. Expected 'array', but was 'object' for value:
{"foo":"bar"}") and an unparseable Timestamp. NOTE: the other messages follow
those shapes and AWS's JSONPath messages for the same fields
("ToleratedFailureCount cannot be negative."), because no AWS recording of
them was available.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Callable, Mapping

from heaviside.asl.errors import StatesError
from heaviside.asl.jsonata.expression import QUERY_EVALUATION_ERROR, JsonataEvaluationError, JsonataExpression
from heaviside.asl.timestamps import parse_timestamp
from heaviside.asl.json_types import json_type_name as _json_type

__all__ = ["TYPED_FIELDS", "check_field_value", "evaluate_field", "map_input_items"]


def evaluate_field(
    expression: JsonataExpression,
    field: str,
    states: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    now: str | None = None,
) -> Any:
    """Evaluate a typed field's expression and return its checked value.

    `field` is a key of `TYPED_FIELDS`. Timestamp returns an aware
    `datetime`; the other fields return the JSON value.
    """
    value = expression.evaluate(states, variables, field=field, now=now)
    return check_field_value(field, value, expression.body)


def check_field_value(field: str, value: Any, expression: str) -> Any:
    """Check `value`, the result of `expression` in `field`, and return it converted."""
    try:
        check = TYPED_FIELDS[field]
    except KeyError:
        raise ValueError(f"{field!r} is not a typed JSONata field; use one of {', '.join(TYPED_FIELDS)}") from None
    return check(value, expression, field)


def map_input_items(value: Any) -> list:
    """Return a JSONata Map state's input as its items; it must be an array when Items is absent."""
    if not isinstance(value, list):
        raise StatesError(QUERY_EVALUATION_ERROR, f"Map state input must be an array but was: {_json(value)}")
    return value


def _wrong_type(expression: str, field: str, expected: str, value: Any) -> JsonataEvaluationError:
    return JsonataEvaluationError(
        expression,
        field,
        f"returned an unexpected result type. Expected '{expected}', but was '{_json_type(value)}' "
        f"for value: {_json(value)}",
    )


def _out_of_range(message: str) -> StatesError:
    return StatesError(QUERY_EVALUATION_ERROR, message)


def _check_items(value: Any, expression: str, field: str) -> list:
    # NOTE: the recordings reject an object here ("Expected 'array', but was
    # 'object'"), so object iteration is not accepted for a JSONata Items.
    if not isinstance(value, list):
        raise _wrong_type(expression, field, "array", value)
    return value


def _positive_integer(value: Any, expression: str, field: str) -> int:
    number = _integer(value, expression, field)
    if number < 1:
        raise _out_of_range(f"{field} must be a positive integer, but was: {_json(value)}")
    return number


def _non_negative_integer(value: Any, expression: str, field: str) -> int:
    number = _integer(value, expression, field)
    if number < 0:
        raise _out_of_range(f"{field} cannot be negative.")
    return number


def _percentage(value: Any, expression: str, field: str) -> float | int:
    if not _is_number(value):
        raise _wrong_type(expression, field, "number", value)
    if not 0 <= value <= 100:
        raise _out_of_range(f"{field} must be between 0 and 100.")
    return value


def _timestamp(value: Any, expression: str, field: str) -> datetime:
    if not isinstance(value, str):
        raise _wrong_type(expression, field, "string", value)
    try:
        return parse_timestamp(value)
    except ValueError:
        raise _out_of_range(
            f"The {field} field cannot be parsed as an ISO-8601 extended offset date-time format string: {value}"
        ) from None


def _string(value: Any, expression: str, field: str) -> str:
    if not isinstance(value, str):
        raise _wrong_type(expression, field, "string", value)
    return value


def _integer(value: Any, expression: str, field: str) -> int:
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
        raise _wrong_type(expression, field, "integer", value)
    return int(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))



def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# The check of each typed field, by the field's name in the state.
TYPED_FIELDS: dict[str, Callable[[Any, str, str], Any]] = {
    "TimeoutSeconds": _positive_integer,
    "HeartbeatSeconds": _positive_integer,
    "Seconds": _non_negative_integer,
    "Timestamp": _timestamp,
    "Items": _check_items,
    "MaxConcurrency": _non_negative_integer,
    "ToleratedFailureCount": _non_negative_integer,
    "ToleratedFailurePercentage": _percentage,
    "Error": _string,
    "Cause": _string,
}
