"""JSONata fields of a state: evaluation with the field name in AWS's messages,
and the typed fields (TimeoutSeconds, Seconds, Items, MaxConcurrency ...)."""

from __future__ import annotations

import json
from typing import Any, Mapping

from heaviside.asl.errors import StatesError


def evaluate(compiled, states: Mapping, variables: Mapping, field: str) -> Any:
    """Evaluate a JSONata template or expression for `field` (``Output``, ``Arguments`` ...)."""
    try:
        return compiled.evaluate(states, variables)
    except StatesError as error:
        raise _with_field(error, field) from None


def condition(compiled, states: Mapping, variables: Mapping) -> bool:
    value = evaluate(compiled, states, variables, "Condition")
    if not isinstance(value, bool):
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field 'Condition' "
            f"returned an unexpected data type. Expected type: boolean, but was: {_json(value)}",
        )
    return value


def timeout_field(compiled, states: Mapping, variables: Mapping, field: str) -> float | None:
    if compiled is None:
        return None
    if not compiled.is_expression:
        return float(compiled.evaluate())
    return float(integer_field(compiled, states, variables, field, minimum=1))


def wait_seconds(compiled, states: Mapping, variables: Mapping) -> int:
    return integer_field(compiled, states, variables, "Seconds", minimum=0)


def string_field(compiled, states: Mapping, variables: Mapping, field: str) -> str | None:
    if compiled is None:
        return None
    if not compiled.is_expression:
        return compiled.evaluate()
    value = evaluate(compiled, states, variables, field)
    if isinstance(value, str):
        return value
    return _json(value)


def map_items(compiled, states: Mapping, variables: Mapping) -> list:
    value = compiled.evaluate(states, variables) if not compiled.is_expression else evaluate(
        compiled, states, variables, "Items"
    )
    if not isinstance(value, list):
        if compiled.is_expression:
            raise StatesError(
                "States.QueryEvaluationError",
                f"The JSONata expression '{_text(compiled)}' specified for the field 'Items' "
                f"returned an unexpected data type. Expected type: array, but was: {_json(value)}",
            )
        raise StatesError("States.QueryEvaluationError", f"Map state input must be an array but was: {_json(value)}")
    return value


def integer_field(compiled, states: Mapping, variables: Mapping, field: str, minimum: int | None = None) -> int:
    if not compiled.is_expression:
        return int(compiled.evaluate())
    value = evaluate(compiled, states, variables, field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field '{field}' "
            f"returned an unexpected data type. Expected type: integer, but was: {_json(value)}",
        )
    if minimum is not None and value < minimum:
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field '{field}' "
            f"returned a value out of range: {value}",
        )
    return value


def number_field(compiled, states, variables, field: str, minimum=None, maximum=None) -> float:
    if not compiled.is_expression:
        return float(compiled.evaluate())
    value = evaluate(compiled, states, variables, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field '{field}' "
            f"returned an unexpected data type. Expected type: number, but was: {_json(value)}",
        )
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise StatesError(
            "States.QueryEvaluationError",
            f"The JSONata expression '{_text(compiled)}' specified for the field '{field}' "
            f"returned a value out of range: {value}",
        )
    return float(value)


def _with_field(error: StatesError, field: str) -> StatesError:
    # TODO: adopt the field-name hook of heaviside.asl.jsonata once it lands;
    # until then the evaluator's cause is passed on unchanged.
    return error


def _text(compiled) -> str:
    text = getattr(compiled, "text", "")
    text = text.strip()
    if text.startswith("{%") and text.endswith("%}"):
        text = text[2:-2].strip()
    return text


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
