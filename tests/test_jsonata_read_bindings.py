"""JSONata expressions get only the bindings they read, with the same results as with all of them."""

from __future__ import annotations

import pytest

from heaviside.asl.errors import StatesError
from heaviside.asl.jsonata.expression import compile_jsonata

STATES = {
    "input": {"a": {"b": 2, "c": [1, 2]}, "items": [{"id": 1, "v": 5}, {"id": 2, "v": 9}], "empty": {}, "s": "text"},
    "context": {"Execution": {"Input": {"big": list(range(50))}}, "Map": {"Item": {"Index": 1, "Value": {"k": "v"}}}},
}
VARIABLES = {"x": 3, "unused": {"large": list(range(50))}, "eval": 7}

EXPRESSIONS = [
    "$states.context.Map.Item.Value",
    "$states.context.Map.Item.Index + 1",
    "$states.input.a.b",
    "$states.input.items.id",
    "$states.input.items[v > 6].id",
    "$states.input.items[0].id",
    "$count($states.input)",
    "$count($states.input.empty)",
    "$boolean($states.input.empty)",
    "$exists($states.context.Map)",
    "$type($states.input.a)",
    "$keys($states.context)",
    "$states.input.a.c.%.b",
    "$states.input.items@$i.v",
    "$states.input.items#$p.id",
    "$lookup($states, 'input').s",
    "$states.input.**.id",
    "$string($states.input)",
    "$x + $states.input.a.b",
    "$eval",
    "$states.input.missing",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_read_bindings_same_result(text):
    expression = compile_jsonata("{% " + text + " %}")
    everything = compile_jsonata("{% " + text + " %}")
    everything._read_names = None

    def outcome(compiled):
        try:
            return ("value", compiled.evaluate(STATES, VARIABLES, field="Output"))
        except StatesError as error:
            return ("error", error.error, error.cause)

    assert outcome(expression) == outcome(everything)
