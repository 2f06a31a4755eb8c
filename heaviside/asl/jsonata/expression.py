"""JSONata expressions as Step Functions compiles and evaluates them.

A field contains an expression as a string that starts with ``{%`` and ends with
``%}``; the text between is JSONata 2.0 (the jlens engine). Step Functions
evaluates it with no context item: the state's data comes in as ``$states``
and workflow variables as ``$name``. That is why AWS rejects, when a
definition is created, any reference that would read the context item at the
top level (``$``, ``$$``, or a bare field name such as ``phone``).

jlens is imported on the first compile, so importing heaviside stays fast
for machines without JSONata states.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from heaviside.asl.errors import DefinitionSyntaxError, HeavisideError, StatesError
from heaviside.asl.jsonata.functions import SIGNATURES, STEP_FUNCTIONS_FUNCTIONS, FunctionError

__all__ = [
    "INVALID_JSONATA_EXPRESSION",
    "QUERY_EVALUATION_ERROR",
    "JsonataEngineUnavailable",
    "STATES_FIELDS",
    "UNSUPPORTED_JSONATA_EXPRESSION",
    "JsonataEvaluationError",
    "JsonataExpression",
    "JsonataSyntaxError",
    "compile_jsonata",
    "is_jsonata",
]

# AWS's diagnostic codes for expressions it rejects at CreateStateMachine.
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

# The fields of the reserved `$states` variable.
STATES_FIELDS = ("input", "result", "errorOutput", "context")

# The longest one evaluation may run before it fails with D1012, a guard
# against non-terminating expressions: JSONata optimises tail calls, so
# `($f := function($x){$f($x)}; $f(1))` would otherwise loop forever.
# NOTE: AWS's own limit is not documented; this value is heaviside's choice.
EVALUATION_TIMEOUT_SECONDS = 10.0

_OPENING = "{%"
_CLOSING = "%}"

_FUNCTION_CALL = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)\s*\(")

# The function library of JSONata 2.0 (docs.jsonata.org).
_JSONATA_FUNCTIONS = frozenset(
    """
    string length substring substringBefore substringAfter uppercase lowercase trim pad
    contains split join match replace eval base64encode base64decode encodeUrlComponent
    encodeUrl decodeUrlComponent decodeUrl formatNumber formatBase formatInteger
    parseInteger number abs floor ceil round power sqrt random sum max min average count
    boolean not exists append sort reverse shuffle distinct zip keys lookup spread merge
    sift each error assert type now millis fromMillis toMillis map filter single reduce
    """.split()
)


def is_jsonata(value: Any) -> bool:
    """Return True when `value` is a JSONata field string: ``{% ... %}``.

    Whitespace outside the delimiters makes the string a literal, as on AWS
    (``" {% $x %} "`` stays that string).
    """
    return (
        isinstance(value, str)
        and len(value) >= len(_OPENING) + len(_CLOSING)
        and value.startswith(_OPENING)
        and value.endswith(_CLOSING)
    )


def compile_jsonata(text: str) -> JsonataExpression:
    """Compile a whole field string ``{% ... %}`` into an expression.

    Raises `JsonataSyntaxError` (a `DefinitionSyntaxError`) when the string is
    not delimited, does not parse (code ``INVALID_JSONATA_EXPRESSION``), or
    reads the context item at the top level (code
    ``UNSUPPORTED_JSONATA_EXPRESSION``).
    """
    if not is_jsonata(text):
        raise JsonataSyntaxError(
            INVALID_JSONATA_EXPRESSION,
            f"The value {_quote(text)} is not a JSONata expression: "
            f"it must start with '{_OPENING}' and end with '{_CLOSING}'.",
        )
    body = text[len(_OPENING) : -len(_CLOSING)].strip()

    jlens = _import_jlens()

    try:
        compiled = jlens.Expression(body)
    except jlens.JlensError as error:
        raise JsonataSyntaxError(
            INVALID_JSONATA_EXPRESSION,
            f"The JSONata expression '{body}' is invalid: {error}",
            jsonata_code=error.code,
            position=error.position,
        ) from None
    for name, function in STEP_FUNCTIONS_FUNCTIONS.items():
        compiled.register_function(name, function, SIGNATURES[name])

    reads = compiled.reads(_unknown_function_placeholders(body))
    _reject_top_level_references(body, reads)
    return JsonataExpression(text, body, compiled, reads)


class JsonataEngineUnavailable(HeavisideError):
    """The jlens package, which evaluates JSONata, cannot be imported here."""


class JsonataSyntaxError(DefinitionSyntaxError):
    """An expression that AWS rejects when the definition is created.

    `code` is AWS's diagnostic code (``INVALID_JSONATA_EXPRESSION`` or
    ``UNSUPPORTED_JSONATA_EXPRESSION``); `jsonata_code` and `position` are the
    JSONata parser's error code (``S0202``) and character offset, when known;
    `names` lists the top-level references of an unsupported expression.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        jsonata_code: str | None = None,
        position: int | None = None,
        names: tuple[str, ...] = (),
    ):
        super().__init__(message)
        self.code = code
        self.jsonata_code = jsonata_code
        self.position = position
        self.names = names


class JsonataEvaluationError(StatesError):
    """``States.QueryEvaluationError`` from one expression.

    `expression` is the expression text, `field` the field path AWS names in
    the cause (``Output/v``) or None, and `reason` the sentence ending that
    follows the field (``returned nothing (undefined).``). `with_field`
    returns the same error naming a field, for callers that learn the field
    only after the expression failed.
    """

    def __init__(self, expression: str, field: str | None, reason: str):
        self.expression = expression
        self.field = field
        self.reason = reason
        where = f" specified for the field '{field}'" if field else ""
        super().__init__(QUERY_EVALUATION_ERROR, f"The JSONata expression '{expression}'{where} {reason}")

    def with_field(self, field: str) -> JsonataEvaluationError:
        return JsonataEvaluationError(self.expression, field, self.reason)


class JsonataExpression:
    """A compiled JSONata expression.

    `text` is the field string as written, `body` the expression between the
    delimiters, `variables` the names of the workflow variables it reads and
    `states_fields` the fields of ``$states`` it reads. The validator checks
    these against where AWS makes each field available.
    """

    __slots__ = ("text", "body", "variables", "states_fields", "_compiled", "_read_names", "_states_reads")

    def __init__(self, text: str, body: str, compiled: Any, reads: Mapping[str, Any]):
        self.text = text
        self.body = body
        self._compiled = compiled
        bindings = reads.get("bindings", {})
        self.variables = frozenset(name for name in bindings if name != "states" and name not in STEP_FUNCTIONS_FUNCTIONS)
        self.states_fields = _states_fields(bindings.get("states"))
        # jlens converts every binding to its own values on each evaluation,
        # so only the bindings the expression reads are passed (None: all,
        # because `$eval` can read any of them), and of `$states` only the
        # fields it reads: a Map's ItemSelector would otherwise convert the
        # execution input, with every item, once per item.
        self._read_names = None if reads.get("everyBinding") else frozenset(bindings)
        self._states_reads = bindings.get("states", True)

    def __repr__(self) -> str:
        return f"JsonataExpression({self.text!r})"

    def evaluate(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        *,
        field: str | None = None,
        now: str | None = None,
    ) -> Any:
        """Evaluate with `states` bound as ``$states`` and each variable as ``$name``.

        `field` is the field path AWS names in error causes (``Output/v``).
        `now` fixes what ``$now()`` and ``$millis()`` return (an ISO 8601
        timestamp); without it they read the clock. Raises
        `JsonataEvaluationError` (``States.QueryEvaluationError``) when the
        result is undefined or the evaluation fails.
        """
        jlens = _import_jlens()

        # `eval` comes first so that a workflow variable named `eval` still wins.
        if self._read_names is None:
            bindings = {"eval": None, **variables, "states": states}
        else:
            bindings = {"eval": None}
            for name in self._read_names:
                if name in variables:
                    bindings[name] = variables[name]
            if "states" in self._read_names:
                bindings["states"] = _read_part(states, self._states_reads)
        try:
            result = self._compiled.evaluate_json(None, bindings, now=now, timeout=EVALUATION_TIMEOUT_SECONDS)
        except jlens.JlensError as error:
            raise JsonataEvaluationError(
                self.body, field, f"threw an error during evaluation. {error.code}: {error}"
            ) from None
        except FunctionError as error:
            # NOTE: AWS ends a cause with ": <message>" for errors that carry
            # no JSONata code; which errors those are is not recorded.
            raise JsonataEvaluationError(self.body, field, f"threw an error during evaluation: {error}") from None
        if result is None:
            raise JsonataEvaluationError(self.body, field, "returned nothing (undefined).")
        return json.loads(result)


def _read_part(value: Any, reads: Any) -> Any:
    """Return the part of `value` that a jlens read tree selects (``True``: all of it).

    Only objects are narrowed, by a tree that names fields. A path into an
    array reads the field of every element, so an array is passed whole,
    and so is a value whose tree is empty (read for its existence or type).
    """
    if not isinstance(reads, dict) or not reads or not isinstance(value, dict):
        return value
    return {name: _read_part(value[name], below) for name, below in reads.items() if name in value}


def _import_jlens():
    try:
        import jlens
    except ImportError as error:
        raise JsonataEngineUnavailable(
            f"JSONata states need the jlens package, which failed to import: {error}. Install it with "
            "'pip install jlens'; its wheels need glibc 2.28 or newer, so on Lambda use the python3.12 "
            "or a later runtime."
        ) from None
    return jlens


def _reject_top_level_references(body: str, reads: Mapping[str, Any]) -> None:
    """Raise when the expression reads the context item, which Step Functions leaves undefined."""
    read = reads.get("input")
    if not read:
        # Absent, or `{}`: jlens reports `{}` when a step may use the context
        # item without reading any field of it (`$parse(...).a`), which AWS accepts.
        return
    if read is True:
        if reads.get("everyBinding"):
            # `$eval` is the one built-in that jlens reports as reading every binding.
            # Step Functions removes it, so a call fails at run time (T1006)
            # instead of reading the context item.
            return
        # NOTE: AWS's text for `$` and `$$` is assumed to follow its recorded
        # text for field names.
        name = "$$" if "$$" in body else "$"
        names = [name]
    else:
        names = list(read)
    message = " ".join(f"Reference to '{name}' at the top level is not supported." for name in names)
    raise JsonataSyntaxError(UNSUPPORTED_JSONATA_EXPRESSION, message, names=tuple(names))


def _unknown_function_placeholders(body: str) -> dict[str, Any]:
    """Return a stand-in for each called function that is not defined, for `reads()`.

    jlens assumes that a call of an unknown function reads the whole context
    item. AWS accepts such a call when the definition is created and fails
    it at run time (T1006), so the stand-ins keep it from counting as a
    top-level reference.
    """
    called = set(_FUNCTION_CALL.findall(body))
    unknown = called - _JSONATA_FUNCTIONS - STEP_FUNCTIONS_FUNCTIONS.keys()
    return {name: _placeholder for name in unknown}


def _placeholder(*arguments: Any) -> None:
    return None


def _states_fields(read: Any) -> frozenset[str]:
    if read is None:
        return frozenset()
    if read is True:
        return frozenset(STATES_FIELDS)
    return frozenset(read)


def _quote(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
