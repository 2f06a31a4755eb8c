"""Names of JSON value types, as AWS's error messages spell them."""

from __future__ import annotations

from typing import Any


def json_type_name(value: Any) -> str:
    """Return the JSON type of a value: null, boolean, number, string, array or object.

    A value that is not JSON (which only a bug lets through) gets its Python
    type name, so the message still shows what arrived.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
