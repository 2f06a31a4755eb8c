"""JSONata templates: the Arguments, Output, Assign and ItemSelector fields of
JSONata states.

A template is a JSON value. Every string at any depth that is a whole
``{% ... %}`` expression is replaced by its result; everything else, keys
included, is copied as it is. The field itself may be one expression string.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from heaviside.asl.jsonata.expression import JsonataExpression, compile_jsonata, is_jsonata

__all__ = ["JsonataTemplate", "compile_jsonata_template"]

# An evaluator takes (states, variables, field, now) and returns a JSON value.
_Evaluator = Callable[[Mapping, Mapping, str, "str | None"], Any]


def compile_jsonata_template(template: Any, field_name: str | None = None) -> JsonataTemplate:
    """Compile a template; `field_name` (``Output``) starts the field paths of error causes.

    Raises `JsonataSyntaxError` for the first expression that does not compile.
    """
    expressions: list[tuple[str, JsonataExpression]] = []
    evaluator = _compile_node(template, "", expressions)
    return JsonataTemplate(template, field_name, evaluator, tuple(expressions))


class JsonataTemplate:
    """A compiled template; `is_constant` is True when it contains no expression.

    `expressions` pairs every compiled expression with its path below the
    template (``v`` for ``{"v": "{% ... %}"}``, empty for a whole-field
    expression), for the validator.
    """

    __slots__ = ("template", "field_name", "is_constant", "expressions", "_evaluator")

    def __init__(
        self,
        template: Any,
        field_name: str | None,
        evaluator: _Evaluator | None,
        expressions: tuple[tuple[str, JsonataExpression], ...] = (),
    ):
        self.template = template
        self.field_name = field_name
        self.is_constant = evaluator is None
        self.expressions = expressions
        self._evaluator = evaluator

    def evaluate(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        *,
        field: str | None = None,
        now: str | None = None,
    ) -> Any:
        """Evaluate every expression and return the filled-in template.

        `field` overrides the field name given at compile time. Causes name
        the path of the failing expression as AWS does: ``Output/v`` for an
        object member, ``Output/values[0]`` for an array item. Raises
        `JsonataEvaluationError` from the first expression that fails.
        """
        if self._evaluator is None:
            return self.template
        return self._evaluator(states, variables, field or self.field_name or "", now)


def _compile_node(node: Any, path: str, expressions: list) -> _Evaluator | None:
    """Compile one node; return None when it and everything below it is constant."""
    if is_jsonata(node):
        expression = compile_jsonata(node)
        expressions.append((path, expression))
        return _expression_evaluator(expression)
    if isinstance(node, dict):
        return _compile_object(node, path, expressions)
    if isinstance(node, list):
        return _compile_array(node, path, expressions)
    return None


def _expression_evaluator(expression: JsonataExpression) -> _Evaluator:
    def evaluate_expression(states: Mapping, variables: Mapping, field: str, now: str | None) -> Any:
        return expression.evaluate(states, variables, field=field or None, now=now)

    return evaluate_expression


def _compile_object(node: dict, path: str, expressions: list) -> _Evaluator | None:
    members = [(key, value, _compile_node(value, _child(path, key), expressions)) for key, value in node.items()]
    if all(evaluator is None for _, _, evaluator in members):
        return None

    def evaluate_object(states: Mapping, variables: Mapping, field: str, now: str | None) -> dict:
        result = {}
        for key, value, evaluator in members:
            if evaluator is None:
                result[key] = value
            else:
                result[key] = evaluator(states, variables, _child(field, key), now)
        return result

    return evaluate_object


def _compile_array(node: list, path: str, expressions: list) -> _Evaluator | None:
    items = [(value, _compile_node(value, f"{path}[{index}]", expressions)) for index, value in enumerate(node)]
    if all(evaluator is None for _, evaluator in items):
        return None

    def evaluate_array(states: Mapping, variables: Mapping, field: str, now: str | None) -> list:
        result = []
        for index, (value, evaluator) in enumerate(items):
            if evaluator is None:
                result.append(value)
            else:
                result.append(evaluator(states, variables, f"{field}[{index}]", now))
        return result

    return evaluate_array


def _child(field: str, key: str) -> str:
    return f"{field}/{key}" if field else key
