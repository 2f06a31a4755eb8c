"""JSONata fields of a state: evaluation with the field name AWS's messages use,
and the typed fields (TimeoutSeconds, Seconds, Items, MaxConcurrency ...)."""

from __future__ import annotations

import json
from typing import Any, Mapping

from heaviside.asl.errors import StatesError


def evaluate(compiled, states: Mapping, variables: Mapping, field: str) -> Any:
    """Evaluate a JSONata template or expression for `field` (``Output``, ``Arguments`` ...)."""
    if not getattr(compiled, "is_expression", True):
        return compiled.evaluate()
    expression = getattr(compiled, "expression", compiled)
    return expression.evaluate(states, variables, field=field)


def typed_field(compiled, states: Mapping, variables: Mapping, field: str) -> Any:
    """Evaluate a field whose value must have one type and range, such as TimeoutSeconds or Items.

    A literal in the definition passed validation and is returned as it is.
    """
    if not compiled.is_expression:
        return compiled.evaluate()
    from heaviside.asl.jsonata import evaluate_field

    return evaluate_field(compiled.expression, field, states, variables)


def condition(compiled, states: Mapping, variables: Mapping) -> bool:
    value = evaluate(compiled, states, variables, "Condition")
    if not isinstance(value, bool):
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field 'Condition' "
            f"returned an unexpected result type. Expected 'boolean', but was '{_json_type(value)}' "
            f"for value: {_json(value)}",
        )
    return value


def timeout_field(compiled, states: Mapping, variables: Mapping, field: str) -> float | None:
    if compiled is None:
        return None
    return float(typed_field(compiled, states, variables, field))


def wait_seconds(compiled, states: Mapping, variables: Mapping) -> int:
    return typed_field(compiled, states, variables, "Seconds")


def string_field(compiled, states: Mapping, variables: Mapping, field: str) -> str | None:
    if compiled is None:
        return None
    return typed_field(compiled, states, variables, field)


def map_items(compiled, states: Mapping, variables: Mapping) -> list:
    if compiled.is_expression:
        return typed_field(compiled, states, variables, "Items")
    return map_input_items(compiled.evaluate_items(states, variables))


def map_input_items(value: Any) -> list:
    from heaviside.asl.jsonata import map_input_items as check

    return check(value)


def integer_field(compiled, states: Mapping, variables: Mapping, field: str, minimum: int | None = None) -> int:
    return int(typed_field(compiled, states, variables, field))


def number_field(compiled, states, variables, field: str, minimum=None, maximum=None) -> float:
    return float(typed_field(compiled, states, variables, field))


def _text(compiled) -> str:
    expression = getattr(compiled, "expression", None)
    return getattr(expression, "body", "") if expression is not None else ""


def _json_type(value: Any) -> str:
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
    return "object"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
