"""Adapters from model fields to the compilers of `heaviside.asl`.

Each function maps an absent field to None and otherwise returns an object
with an ``evaluate`` or ``get`` method, so the interpreter never looks at
field text again.
"""

from __future__ import annotations

from typing import Any, Mapping

from heaviside.asl.model import ABSENT
from heaviside.asl.paths import compile_path, compile_reference_path


class Constant:
    """A field given as a literal value: evaluates to that value."""

    __slots__ = ("value",)
    is_expression = False

    def __init__(self, value: Any):
        self.value = value

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        return self.value


class JsonataValue:
    """A field given as one JSONata string (``{% ... %}``)."""

    __slots__ = ("text", "expression")
    is_expression = True

    def __init__(self, text: str):
        from heaviside.asl import jsonata

        self.text = text
        self.expression = jsonata.compile_jsonata(text)

    def evaluate(self, states: Mapping, variables: Mapping) -> Any:
        return self.expression.evaluate(states, variables)


def path(text: str | None, absent: Any = None):
    """Compile a Path field; None (null or absent) stays None."""
    if text is None:
        return absent
    return compile_path(text)


def reference_path(text: str | None):
    if text is None:
        return None
    return compile_reference_path(text)


def payload_template(obj: Any, field_name: str):
    """Compile a JSONPath payload template (Parameters, ResultSelector, ItemSelector)."""
    if obj is ABSENT:
        return None
    from heaviside.asl.templates import compile_payload_template

    return compile_payload_template(obj, field_name)


def jsonata_template(obj: Any, field_name: str | None = None):
    """Compile a JSONata-era template (Arguments, Output, ItemSelector) with ``{% %}`` strings inside."""
    if obj is ABSENT:
        return None
    from heaviside.asl import jsonata

    return jsonata.compile_jsonata_template(obj, field_name)


def jsonata_value(obj: Any):
    if obj is ABSENT or obj is None:
        return None
    if _is_jsonata_text(obj):
        return JsonataValue(obj)
    return Constant(obj)


def jsonata_items(obj: Any):
    """Compile a JSONata Map's Items: one expression string, or an array whose elements may be expressions."""
    if obj is ABSENT or obj is None:
        return None
    if _is_jsonata_text(obj):
        return JsonataValue(obj)
    return ItemsTemplate(jsonata_template(obj, "Items"))


class ItemsTemplate:
    """A literal Items array with ``{% %}`` strings inside, evaluated element by element."""

    __slots__ = ("template",)
    is_expression = False

    def __init__(self, template):
        self.template = template

    def evaluate_items(self, states: Mapping, variables: Mapping, now: str | None = None) -> Any:
        return self.template.evaluate(states, variables, now=now)


def number_field(value: Any, jsonata: bool):
    """Compile a field that contains a literal or, in a JSONata state, an expression string."""
    if value is None or value is ABSENT:
        return None
    if jsonata and _is_jsonata_text(value):
        return JsonataValue(value)
    return Constant(value)


def assign(obj: Any, jsonata: bool):
    """Compile an Assign field: its values are templates of the state's query language."""
    if obj is ABSENT:
        return None
    from heaviside.asl.variables import compile_assign

    return compile_assign(obj, "JSONata" if jsonata else "JSONPath")


def choice_rule(rule: Mapping[str, Any], jsonata: bool):
    if jsonata:
        return jsonata_value(rule.get("Condition"))
    from heaviside.asl.choice import compile_choice_rule

    return compile_choice_rule(dict(rule))


def fail_path(text: str | None, field_name: str):
    """Compile a Fail state's ErrorPath or CausePath: a path or an intrinsic function call."""
    if text is None:
        return None
    if text.startswith("$"):
        return compile_path(text)
    from heaviside.asl.templates import compile_payload_template

    return compile_payload_template({f"{field_name}.$": text}, field_name)


def _is_jsonata_text(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")
