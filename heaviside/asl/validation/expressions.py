"""Checks of the expressions inside fields: paths, reference paths, intrinsic
function calls, payload templates and JSONata expressions.

The parsing itself belongs to the compilers of `heaviside.asl` (`paths`,
`intrinsics`, `jsonata`, `timestamps`). This module calls them and turns a
`DefinitionSyntaxError` into a `Problem` at the field's JSON path. A compiler
that fails with any other exception is a bug in that compiler, so it is logged
and reported as a problem too: validation never raises.
"""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any, Callable

from heaviside.asl.errors import DefinitionSyntaxError
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

# Names of the intrinsic functions, used only while heaviside.asl.intrinsics
# is not importable.
_INTRINSIC_NAMES = frozenset(
    {
        "States.Format", "States.StringToJson", "States.JsonToString", "States.Array",
        "States.ArrayPartition", "States.ArrayContains", "States.ArrayRange",
        "States.ArrayGetItem", "States.ArrayLength", "States.ArrayUnique",
        "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge",
        "States.MathRandom", "States.MathAdd", "States.StringSplit", "States.UUID",
    }
)  # fmt: skip

# RFC 3339 date-time with an upper-case T and a zone, as Step Functions requires.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z"
)


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
    _compile(report, path, "heaviside.asl.paths", "compile_path", value, f"Invalid {field}")


def check_reference_path(report: Report, path: str, value: Any, field: str, *, nullable: bool = False) -> None:
    """Check a Reference Path field (ResultPath, and the *Path fields of numbers and timestamps)."""
    if value is None and nullable:
        return
    if not isinstance(value, str):
        expected = "a JSONPath string or null" if nullable else "a JSONPath string"
        report.add(path, f"{field} must be {expected} such as '$.result', not {describe(value)}.")
        return
    if not value.startswith("$"):
        report.add(path, f"{field} {quote(value)} is not a valid JSONPath; a path starts with '$' (for example '$.{value}').")
        return
    _compile(report, path, "heaviside.asl.paths", "compile_reference_path", value, f"Invalid {field}")


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
        _compile(report, path, "heaviside.asl.paths", "compile_path", value, f"Invalid path in {field}")
    else:
        report.add(
            path,
            f"The value {quote(value)} of {field} must be a valid JSONPath ('$...', '$$...' or '$variable') "
            "or an intrinsic function call ('States.Format(...)'); use a key without '.$' for a literal string.",
        )


def check_intrinsic(report: Report, path: str, value: str, field: str) -> Any:
    """Parse an intrinsic function call; return the parsed call, or None after reporting a problem."""
    module = _optional_module("heaviside.asl.intrinsics")
    if module is not None and hasattr(module, "parse_intrinsic"):
        return _call(report, path, module.parse_intrinsic, value, f"Invalid intrinsic function call in {field}")

    # TODO: drop this stand-in check once heaviside.asl.intrinsics provides
    # parse_intrinsic; it checks only the function name.
    name = value.split("(", 1)[0].strip()
    if name not in _INTRINSIC_NAMES or not value.rstrip().endswith(")"):
        report.add(path, f"The intrinsic function call {quote(value)} in {field} is invalid: {quote(name)} is not an intrinsic function (names are case-sensitive).")
    return None


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
    module = _optional_module("heaviside.asl.jsonata")
    if module is None or not hasattr(module, "compile_jsonata"):
        # TODO: drop this stand-in once heaviside.asl.jsonata provides
        # compile_jsonata; until then only the delimiters are checked.
        if not value[2:-2].strip():
            report.add(path, f"The JSONata expression {quote(value)} is empty; write an expression between '{{%' and '%}}'.", INVALID_JSONATA_EXPRESSION)
        return

    expression = _call(report, path, module.compile_jsonata, value, f"The JSONata expression {quote(value)} is invalid", INVALID_JSONATA_EXPRESSION)
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
    module = _optional_module("heaviside.asl.timestamps")
    parse = getattr(module, "parse_timestamp", None) if module is not None else None
    valid = True
    if parse is not None:
        try:
            parse(value)
        except (ValueError, OverflowError):
            valid = False
        except Exception:  # a bug in the parser must not become a traceback here
            logger.warning("parse_timestamp failed unexpectedly on %r", value, exc_info=True)
            valid = False
    else:
        valid = bool(_TIMESTAMP.match(value))
    if not valid:
        report.add(path, f"{field} {quote(value)} is not a valid timestamp; use RFC 3339 with 'T' and a zone, such as '2026-03-14T01:59:00Z'.")


def _compile(report: Report, path: str, module_name: str, function_name: str, text: str, message_prefix: str) -> None:
    module = _optional_module(module_name)
    function = getattr(module, function_name, None) if module is not None else None
    if function is None:
        # TODO: remove once heaviside.asl.paths lands; until then only the
        # leading '$' of a path is checked.
        return
    _call(report, path, function, text, message_prefix)


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


_MODULES: dict[str, Any] = {}


def _optional_module(name: str):
    """Import a sibling compiler module, or return None while it does not exist yet."""
    if name in _MODULES:
        return _MODULES[name]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            logger.warning("%s cannot be imported (%s); its expressions are checked only roughly", name, error)
        module = None
    except ImportError as error:
        logger.warning("%s cannot be imported (%s); its expressions are checked only roughly", name, error)
        module = None
    _MODULES[name] = module
    return module
