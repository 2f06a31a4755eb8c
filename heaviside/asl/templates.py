"""Payload templates: Parameters, ResultSelector, ItemSelector and similar fields.

A payload template is a JSON value. In every object at any depth, including
objects inside arrays, a key ending in `.$` contains a path (`$...`, `$$...`,
`$variable...`) or an intrinsic function call. The output key drops the `.$`
and takes the evaluated value. Every other value is copied to the output as it
is (shared, not deep-copied).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.intrinsics import is_intrinsic, parse_intrinsic, to_json_text
from heaviside.asl.paths import PathNotFound, compile_path

__all__ = ["PayloadTemplate", "compile_payload_template"]

# An evaluator takes (value, context, variables) and returns a JSON value.
_Evaluator = Callable[[Any, Mapping | None, Mapping | None], Any]


def compile_payload_template(template: Any, field_name: str) -> PayloadTemplate:
    """Compile a payload template; `field_name` (``Parameters``) is used in messages.

    Raises DefinitionSyntaxError when a `.$` key contains something other than a
    string with a path or an intrinsic function call, or when two keys give the
    same output name (``"a"`` and ``"a.$"``).
    """
    evaluator = _compile_node(template, field_name)
    return PayloadTemplate(template, field_name, evaluator)


class PayloadTemplate:
    """A compiled payload template. `is_constant` is True when it has no `.$` key.

    `evaluate(value, context=None, variables=None)` evaluates the template
    against `value` (`$`), `context` (`$$`) and `variables`. It raises
    StatesError ``States.Runtime`` when a path selects nothing and
    ``States.IntrinsicFailure`` when an intrinsic function fails. It is the
    compiled evaluator itself, so an evaluation costs no call in between.
    """

    __slots__ = ("template", "field_name", "is_constant", "evaluate")

    def __init__(self, template: Any, field_name: str, evaluator: _Evaluator | None):
        self.template = template
        self.field_name = field_name
        self.is_constant = evaluator is None
        self.evaluate = _constant_evaluator(template) if evaluator is None else evaluator


def _constant_evaluator(template: Any) -> _Evaluator:
    def evaluate_constant(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
        return template

    return evaluate_constant


def _compile_node(node: Any, location: str) -> _Evaluator | None:
    """Compile one node; return None when the node and everything below it is constant."""
    if isinstance(node, dict):
        return _compile_object(node, location)
    if isinstance(node, list):
        return _compile_array(node, location)
    return None


def _compile_object(node: dict, location: str) -> _Evaluator | None:
    output_keys: dict[str, str] = {}
    # The output with the constant values in place. A computed key keeps its
    # position here with None, and each evaluation sets its value in a copy.
    skeleton: dict[str, Any] = {}
    computed: list[tuple[str, str, _Evaluator]] = []

    for key, item in node.items():
        if isinstance(key, str) and key.endswith(".$"):
            output_key = key[:-2]
            evaluator = _compile_expression(item, key, f"{location}.{key}")
        else:
            output_key = key
            evaluator = _compile_node(item, f"{location}.{key}")
        if output_key in output_keys:
            raise DefinitionSyntaxError(
                f"The field '{location}' has both '{output_keys[output_key]}' and '{key}', "
                f"which both produce the key '{output_key}'; keep only one of them."
            )
        output_keys[output_key] = key
        skeleton[output_key] = item if evaluator is None else None
        if evaluator is not None:
            computed.append((output_key, key, evaluator))

    if not computed:
        return None
    evaluate_checked = _object_evaluator(skeleton, tuple(computed))

    field_reads = tuple((output_key, _single_field_name(node[key])) for output_key, key, _ in computed)
    if all(name is not None for _, name in field_reads):
        return _field_reader(skeleton, field_reads, evaluate_checked)
    return evaluate_checked


def _object_evaluator(skeleton: dict, computed: tuple[tuple[str, str, _Evaluator], ...]) -> _Evaluator:
    """Return the evaluator of an object: a copy of `skeleton` with each computed key set.

    `computed` has (output key, template key, evaluator) per `.$` key or
    nested template, in order. One or two computed keys, the common case,
    are set without a loop. A nested object raises its own StatesError, so a
    PathNotFound comes from the expression of the key being set, which
    `key` tracks for the error.
    """
    if len(computed) == 1:
        ((output_key, key, evaluator),) = computed

        def evaluate_one_key(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
            result = skeleton.copy()
            try:
                result[output_key] = evaluator(value, context, variables)
            except PathNotFound as missing:
                raise _path_not_found(missing.path, key, value) from None
            return result

        return evaluate_one_key

    if len(computed) == 2:
        (first_output_key, first_key, first), (second_output_key, second_key, second) = computed

        def evaluate_two_keys(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
            result = skeleton.copy()
            key = first_key
            try:
                result[first_output_key] = first(value, context, variables)
                key = second_key
                result[second_output_key] = second(value, context, variables)
            except PathNotFound as missing:
                raise _path_not_found(missing.path, key, value) from None
            return result

        return evaluate_two_keys

    def evaluate_object(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
        result = skeleton.copy()
        for output_key, key, evaluator in computed:
            try:
                result[output_key] = evaluator(value, context, variables)
            except PathNotFound as missing:
                raise _path_not_found(missing.path, key, value) from None
        return result

    return evaluate_object


def _field_reader(skeleton: dict, field_reads: tuple[tuple[str, str], ...], checked: _Evaluator) -> _Evaluator:
    """Return the evaluator of an object whose computed keys each read one field (`"id.$": "$.id"`).

    `field_reads` has (output key, field name) per computed key, in order.
    The fields are read directly. A failed lookup raises KeyError or
    TypeError (null included), and then `checked` evaluates the object again
    and raises the error of the first key that fails.
    """
    if len(field_reads) == 1:
        ((output_key, name),) = field_reads

        def read_one_field(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
            result = skeleton.copy()
            try:
                result[output_key] = value[name]
            except (KeyError, TypeError):
                return checked(value, context, variables)
            return result

        return read_one_field

    if len(field_reads) == 2:
        (first_output_key, first_name), (second_output_key, second_name) = field_reads

        def read_two_fields(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
            result = skeleton.copy()
            try:
                result[first_output_key] = value[first_name]
                result[second_output_key] = value[second_name]
            except (KeyError, TypeError):
                return checked(value, context, variables)
            return result

        return read_two_fields

    def read_fields(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> dict:
        result = skeleton.copy()
        try:
            for output_key, name in field_reads:
                result[output_key] = value[name]
        except (KeyError, TypeError):
            return checked(value, context, variables)
        return result

    return read_fields


def _single_field_name(expression: Any) -> str | None:
    """Return the name when `expression` is a path that reads one field of `$` (`$.id`), else None."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return None
    names = compile_path(expression).field_names
    if names is not None and len(names) == 1:
        return names[0]
    return None


def _compile_array(node: list, location: str) -> _Evaluator | None:
    items = [(item, _compile_node(item, f"{location}[{index}]")) for index, item in enumerate(node)]
    if all(evaluator is None for _, evaluator in items):
        return None

    def evaluate_array(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> list:
        return [item if evaluator is None else evaluator(value, context, variables) for item, evaluator in items]

    return evaluate_array


def _compile_expression(expression: Any, key: str, location: str) -> _Evaluator:
    """Compile the value of a `.$` key: a path or an intrinsic function call.

    The evaluator raises PathNotFound when a path selects nothing, and the
    object that contains the key turns it into the error of the key.
    """
    if not isinstance(expression, str):
        raise DefinitionSyntaxError(
            f"The field '{location}' ends in '.$', so its value must be a string with a path or an "
            f"intrinsic function call, not {to_json_text(expression)}; remove '.$' from the key "
            "to use the value as it is."
        )
    if is_intrinsic(expression):
        return parse_intrinsic(expression).evaluate
    if expression.startswith("$"):
        return compile_path(expression).get

    raise DefinitionSyntaxError(
        f"The field '{location}' ends in '.$', but its value '{expression}' is neither a path "
        "(starting with '$') nor an intrinsic function call (starting with 'States.')."
    )


def _path_not_found(path_text: str, key: str, value: Any) -> StatesError:
    # AWS quotes the state's input as compact JSON.
    # NOTE: for `$$` and variable paths the recordings hide which document AWS
    # quotes, so this assumes the state's input there too.
    return StatesError(
        "States.Runtime",
        f"The JSONPath '{path_text}' specified for the field '{key}' could not be found "
        f"in the input '{to_json_text(value)}'",
    )
