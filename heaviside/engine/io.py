"""Input and output processing: InputPath, Parameters, ResultSelector, ResultPath,
OutputPath, Assign, and the 256 KiB state data limit."""

from __future__ import annotations

import json
from typing import Any, Mapping

from heaviside.asl.errors import StatesError
from heaviside.asl.paths import PathNotFound
from heaviside.asl.variables import VariableScopes
from heaviside.engine.cursor import Cursor
from heaviside.engine.errors import unprefixed_error

# Step Functions limits a state's input, output and result to 256 KiB of UTF-8 JSON.
MAX_STATE_DATA_BYTES = 256 * 1024

# Integers strictly between -SHORT_INT_LIMIT and SHORT_INT_LIMIT print in at
# most 20 characters, so size bounds skip `str()` for them.
SHORT_INT_LIMIT = 10**19


# One encoder for every call: `json.dumps` with non-default arguments builds a
# new JSONEncoder each time, which costs more than encoding a small value.
_COMPACT_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_text(value: Any) -> str:
    """Return `value` as compact JSON, as AWS quotes documents in error causes."""
    return _COMPACT_ENCODER.encode(value)


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder that JSONEncoder.encode builds on every call, built once.
# Without a marker dict it skips the check for circular references, which
# JSON values parsed from text cannot have.
_C_COMPACT_ENCODER = (
    None
    if json.encoder.c_make_encoder is None
    else json.encoder.c_make_encoder(
        None, _not_serializable, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
)


def json_size(value: Any) -> int:
    """Return the size of `value` as compact UTF-8 JSON, in bytes.

    Raises States.Runtime for a value nested too deeply for Python's JSON
    encoder (about 1,000 levels).
    """
    try:
        if _C_COMPACT_ENCODER is None or isinstance(value, str):
            text = _COMPACT_ENCODER.encode(value)
        else:
            text = "".join(_C_COMPACT_ENCODER(value, 0))
    except RecursionError:
        # NOTE: AWS's limit and error for deeply nested data are not recorded.
        raise StatesError(
            "States.Runtime",
            "The state's data is nested more deeply than heaviside can encode as JSON (about 1,000 levels); "
            "flatten the data.",
        ) from None
    # `isascii` reads a flag of the string, so ASCII text skips the encoding copy.
    if text.isascii():
        return len(text)
    # A lone surrogate (possible in data from a handler) counts as the 3 bytes of its code point.
    return len(text.encode("utf-8", "surrogatepass"))


def select(path, value: Any, context: Mapping, variables: Mapping) -> Any:
    """Apply an InputPath or OutputPath: null selects ``{}``; a missing path is States.Runtime."""
    if path is None:
        return {}
    if path.text == "$":
        return value
    try:
        return path.get(value, context, variables)
    except PathNotFound as error:
        raise StatesError("States.Runtime", str(error)) from None


def place_result(result_path, discards_result: bool, raw_input: Any, result: Any) -> Any:
    """Apply ResultPath: null keeps the raw input, ``$`` takes the result, else the result is placed."""
    if discards_result:
        return raw_input
    if result_path is None or result_path.text == "$":
        return result
    return result_path.set(raw_input, result)


def check_result_size(state_name: str, result: Any) -> None:
    """Raise States.DataLimitExceeded when `result` is over 256 KiB."""
    if json_size(result) > MAX_STATE_DATA_BYTES:
        raise unprefixed_error(
            "States.DataLimitExceeded",
            f"The state/task '{state_name}' returned a result with a size exceeding "
            "the maximum number of bytes service limit.",
        )


def evaluate_assign(
    assign, variables: Mapping, *, value: Any = None, context=None, states=None, now: str | None = None
) -> dict | None:
    """Evaluate a compiled Assign (None when the field is absent) with AWS's size limits."""
    if assign is None:
        return None
    return assign.evaluate(variables, value=value, context=context, states=states, now=now)


def assign_variables(cursor: Cursor, assigned: Mapping[str, Any] | None) -> Cursor:
    """Return `cursor` with `assigned` variables set, each in the scope that contains its name.

    Raises States.DataLimitExceeded when the variables would exceed the
    execution's limit.
    """
    if not assigned:
        return cursor
    scopes = VariableScopes(cursor.scopes).assign(assigned)
    return cursor.with_changes(scopes=scopes.scopes)
