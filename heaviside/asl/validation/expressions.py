"""Checks of the expressions inside fields: paths, reference paths, intrinsic
function calls, payload templates and JSONata expressions.

The parsing itself belongs to the compilers of `heaviside.asl` (`paths`,
`intrinsics`, `jsonata`, `timestamps`), the same ones the engine uses. This
module calls them and turns a `DefinitionSyntaxError` into a `Problem` at the
field's JSON path. Any other exception from a compiler is a bug in it, so it
is logged and reported as a problem too, and validation does not raise.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from heaviside.asl.errors import DefinitionSyntaxError
from heaviside.asl.intrinsics import parse_intrinsic
from heaviside.asl.paths import compile_path, compile_reference_path
from heaviside.asl.timestamps import parse_timestamp
from heaviside.asl.validation.report import (
    INVALID_JSONATA_EXPRESSION,
    SCHEMA_VALIDATION_FAILED,
    Report,
    describe,
    is_jsonata_text,
    join,
    join_words,
    quote,
)

logger = logging.getLogger(__name__)

INTRINSIC_PREFIX = "States."

# The fields of the reserved `$states` variable that a JSONata expression may
# read, by where it is written (ASL specification, "Reserved states variable").
INPUT_AND_CONTEXT = frozenset({"input", "context"})
WITH_RESULT = frozenset({"input", "context", "result"})
WITH_ERROR_OUTPUT = frozenset({"input", "context", "errorOutput"})


def check_path(report: Report, path: str, value: Any, field: str, *, nullable: bool = False) -> None:
    """Check a Path field (InputPath, OutputPath, ItemsPath, Choice Variable ...)."""
    if value is None and nullable:
        return
    if not isinstance(value, str):
        expected = "a JSONPath string or null" if nullable else "a JSONPath string"
        report.add(path, f"{field} must be {expected} such as '$.items', not {describe(value)}.")
        return
    if not value.startswith("$"):
        report.add(path, f"{field} {quote(value)} is not a valid JSONPath; a path starts with '$' (for example '$.{value}').")
        return
    _call(report, path, compile_path, value, f"Invalid {field}")


def check_reference_path(report: Report, path: str, value: Any, field: str, *, nullable: bool = False) -> None:
    """Check a Reference Path field: ResultPath, which writes into the state output."""
    if value is None and nullable:
        return
    if not isinstance(value, str):
        expected = "a JSONPath string or null" if nullable else "a JSONPath string"
        report.add(path, f"{field} must be {expected} such as '$.result', not {describe(value)}.")
        return
    if not value.startswith("$"):
        report.add(path, f"{field} {quote(value)} is not a valid JSONPath; a path starts with '$' (for example '$.{value}').")
        return
    _call(report, path, compile_reference_path, value, f"Invalid {field}")


def check_path_or_intrinsic(
    report: Report,
    path: str,
    value: Any,
    field: str,
    *,
    allowed_functions: frozenset[str] | None = None,
) -> None:
    """Check a value that may be a path or an intrinsic function call (`.$` keys, ErrorPath).

    `allowed_functions` limits which intrinsic functions the field accepts.
    """
    if not isinstance(value, str):
        report.add(path, f"The value of {field} must be a JSONPath or an intrinsic function call string, not {describe(value)}.")
        return
    if value.startswith(INTRINSIC_PREFIX):
        call = check_intrinsic(report, path, value, field)
        name = getattr(call, "name", None)
        if allowed_functions is not None and name is not None and name not in allowed_functions:
            report.add(path, f"{field} cannot call {name}, because the value must be a string; use one of {', '.join(sorted(allowed_functions))}.")
    elif value.startswith("$"):
        _call(report, path, compile_path, value, f"Invalid path in {field}")
    else:
        report.add(
            path,
            f"The value {quote(value)} of {field} must be a valid JSONPath ('$...', '$$...' or '$variable') "
            "or an intrinsic function call ('States.Format(...)'); use a key without '.$' for a literal string.",
        )


def check_intrinsic(report: Report, path: str, value: str, field: str) -> Any:
    """Parse an intrinsic function call; return the parsed call, or None after reporting a problem."""
    return _call(report, path, parse_intrinsic, value, f"Invalid intrinsic function call in {field}")


def check_payload_template(report: Report, path: str, value: Any, field: str) -> None:
    """Check a JSONPath payload template (Parameters, ResultSelector, ItemSelector ...) at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = join(path, key)
            if isinstance(key, str) and key.endswith(".$"):
                check_path_or_intrinsic(report, item_path, item, f"the field {quote(key)}")
            else:
                check_payload_template(report, item_path, item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_payload_template(report, join(path, index), item, field)


def check_jsonata_text(report: Report, path: str, value: str, available: frozenset[str] = INPUT_AND_CONTEXT) -> None:
    """Compile one `{% ... %}` string; AWS's code comes from the compiler where it has one.

    `available` lists the fields of `$states` that the field may read.
    """
    # Imported here so that validating a JSONPath definition does not import the JSONata modules.
    from heaviside.asl.jsonata import compile_jsonata

    expression = _call(report, path, compile_jsonata, value, f"The JSONata expression {quote(value)} is invalid", INVALID_JSONATA_EXPRESSION)
    unavailable = sorted(set(getattr(expression, "states_fields", ())) - available)
    if unavailable:
        names = join_words([f"$states.{name}" for name in unavailable])
        allowed = join_words([f"$states.{name}" for name in sorted(available)])
        report.add(
            path,
            f"The JSONata expression {quote(value)} reads {names}, which is not available in this field; "
            f"it can read only {allowed}. $states.result exists in the Output and Assign of a Task, "
            "Parallel or Map state, and $states.errorOutput in a catcher.",
            INVALID_JSONATA_EXPRESSION,
        )


def check_jsonata_template(report: Report, path: str, value: Any, available: frozenset[str] = INPUT_AND_CONTEXT) -> None:
    """Check every `{% ... %}` string at any depth of a JSONata-state field."""
    if isinstance(value, str):
        if is_jsonata_text(value):
            check_jsonata_text(report, path, value, available)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_jsonata_template(report, join(path, key), item, available)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_jsonata_template(report, join(path, index), item, available)


def check_timestamp(report: Report, path: str, value: str, field: str) -> None:
    try:
        parse_timestamp(value)
    except (ValueError, OverflowError):
        report.add(path, f"{field} {quote(value)} is not a valid timestamp; use RFC 3339 with 'T' and a zone, such as '2026-03-14T01:59:00Z'.")


def _call(
    report: Report,
    path: str,
    function: Callable[[str], Any],
    text: str,
    message_prefix: str,
    default_code: str = SCHEMA_VALIDATION_FAILED,
) -> Any:
    """Call a compiler and return what it returns, or None after reporting its error."""
    try:
        return function(text)
    except DefinitionSyntaxError as error:
        code = getattr(error, "code", None) or default_code
        # A compiler message that already names the text ("The path '$.a[' is
        # invalid: ...") needs no prefix.
        message = str(error)
        names_text = message.startswith("The ") and (text in message or _quoted_body(text) in message)
        report.add(path, message if names_text else f"{message_prefix}: {message}", code)
    except RecursionError:
        report.add(path, f"{message_prefix}: it is nested too deeply.", default_code)
    except Exception as error:  # a compiler bug must not become a traceback for the user
        logger.warning("%s raised %s on %r", getattr(function, "__qualname__", function), type(error).__name__, text, exc_info=True)
        report.add(path, f"{message_prefix}: {error}", default_code)
    return None


def _quoted_body(text: str) -> str:
    """Return how compilers quote a JSONata expression: its body between the delimiters."""
    if is_jsonata_text(text):
        return f"'{text[2:-2].strip()}'"
    return text
