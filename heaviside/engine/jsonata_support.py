"""JSONata fields of a state: evaluation with the field names AWS's messages use.

A `JsonataScope` contains the bindings of every expression of one state: the
``$states`` binding, the workflow variables, and the time that ``$now()``
returns. That time is the engine's `now`, so evaluation reads no clock.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from heaviside.asl.errors import StatesError
from heaviside.asl.json_types import json_type_name as _json_type


class JsonataScope:
    """The bindings of a JSONata state's expressions."""

    __slots__ = ("states", "variables", "now")

    def __init__(self, states: dict, variables: Mapping, now: str | None):
        self.states = states
        self.variables = variables
        self.now = now

    def with_states(self, **changes: Any) -> "JsonataScope":
        return JsonataScope({**self.states, **changes}, self.variables, self.now)

    def evaluate(self, compiled, field: str) -> Any:
        """Evaluate a template or expression for `field` (``Output``, ``Arguments`` ...)."""
        if not getattr(compiled, "is_expression", True):
            return compiled.evaluate()
        target = getattr(compiled, "expression", compiled)
        return target.evaluate(self.states, self.variables, field=field, now=self.now)

    def typed(self, compiled, field: str) -> Any:
        """Evaluate a field whose value must have one type and range (TimeoutSeconds, Items, Timestamp ...).

        A literal passed validation and is returned as it is; Timestamp
        expressions return a `datetime`.
        """
        if compiled is None:
            return None
        if not compiled.is_expression:
            return compiled.evaluate()
        from heaviside.asl.jsonata import evaluate_field

        return evaluate_field(compiled.expression, field, self.states, self.variables, now=self.now)

    def condition(self, compiled) -> bool:
        """Evaluate a Choice rule's Condition, which must give a boolean."""
        value = self.evaluate(compiled, "Condition")
        if not isinstance(value, bool):
            expression = getattr(getattr(compiled, "expression", None), "body", "")
            raise StatesError(
                "States.QueryEvaluationError",
                f"The JSONata expression '{expression}' specified for the field 'Condition' "
                f"returned an unexpected result type. Expected 'boolean', but was '{_json_type(value)}' "
                f"for value: {_json(value)}",
            )
        return value

    def items(self, compiled) -> list:
        """Evaluate a Map's Items: an expression, or a literal array with expressions inside."""
        if compiled.is_expression:
            return self.typed(compiled, "Items")
        return map_input_items(compiled.evaluate_items(self.states, self.variables, self.now))


def map_input_items(value: Any) -> list:
    """Return a JSONata Map's input as its items; raises States.QueryEvaluationError unless it is an array."""
    from heaviside.asl.jsonata import map_input_items as check

    return check(value)



def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
