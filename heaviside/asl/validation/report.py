"""Problem collection, JSON paths of fields, and value checks shared by the rules."""

from __future__ import annotations

import math
import re
from typing import Any

from heaviside.asl.errors import Problem

# AWS's diagnostic codes (ValidateStateMachineDefinition and CreateStateMachine).
SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"

JSONPATH = "JSONPath"
JSONATA = "JSONata"
QUERY_LANGUAGES = (JSONPATH, JSONATA)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHOWN_STRING_LENGTH = 60


class Report:
    """The problems found so far, in the order the rules found them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str = SCHEMA_VALIDATION_FAILED) -> None:
        self.problems.append(Problem(path, code, message))


def join(path: str, key: Any) -> str:
    """Return the JSON path of `key` inside the value at `path`.

    Names that are identifiers use dot notation (`$.States.Wait`); others use
    quoted brackets (`$.States['Fan Out']`), and array indexes use `[0]`.
    """
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    if isinstance(key, str) and _IDENTIFIER.match(key):
        return f"{path}.{key}"
    escaped = str(key).replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def describe(value: Any) -> str:
    """Name a value and its JSON type for a message ("the string '$.limit'")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    if isinstance(value, list):
        return "an array" if value else "an empty array"
    return f"a Python {type(value).__name__}, which is not a JSON value"


def with_article(noun: str) -> str:
    """Put "a" or "an" before a noun ("an ItemProcessor", "a branch")."""
    article = "an" if noun[:1].lower() in "aeiou" else "a"
    return f"{article} {noun}"


def join_words(words: list[str], conjunction: str = "and") -> str:
    """Join words as in a sentence: "a", "a and b", "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def quote(text: str) -> str:
    """Quote a string for a message, shortened when it is long."""
    if len(text) > _SHOWN_STRING_LENGTH:
        text = text[: _SHOWN_STRING_LENGTH - 3] + "..."
    return "'" + text + "'"


def is_integer(value: Any) -> bool:
    # bool is a subclass of int in Python but a separate type in JSON.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return is_integer(value)


def is_jsonata_text(value: Any) -> bool:
    """Tell whether a string is a JSONata expression field: `{% ... %}` as a whole."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")
