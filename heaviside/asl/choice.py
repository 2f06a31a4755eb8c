"""Choice rules of the JSONPath query language, compiled to predicates.

`compile_choice_rule(rule)` turns one element of a Choice state's `Choices`
(or a rule nested in `And`, `Or`, `Not`) into a `ChoiceRule` whose
`matches(value, context, variables)` returns a bool. Each comparison operator
is a plain function of two values, chosen once at compile time.

Semantics, as recorded against AWS Step Functions:

- A comparison is false, not an error, when the value has the wrong type
  (`StringEquals` on a number, `NumericEquals` on a numeric string,
  `BooleanEquals` on 0, `Timestamp*` on a string that is not a timestamp).
  Integers and floats compare by value (`1 == 1.0`); booleans are not numbers.
- `IsPresent` is the only test that accepts a `Variable` path that selects
  nothing. Every other rule raises `States.Runtime` ("Invalid path '$.x': The
  choice state's condition path references an invalid value."), and so does a
  `...Path` operand that selects nothing.
- A `$` path read while the state input is JSON null raises `States.Runtime`
  ("Unable to apply Path transformation to null or empty input."), even for
  `Variable: "$"`. Any other input, including "" and 0, is evaluated normally.
- `And` and `Or` stop at the first rule that decides the result, so a later
  rule's path error does not surface.

JSONata `Condition` rules are compiled by `heaviside.asl.jsonata`, not here.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.paths import PathNotFound, compile_path
from heaviside.asl.timestamps import timestamp_sort_key

__all__ = ["ChoiceRule", "compile_choice_rule", "COMPARISON_OPERATORS", "TYPE_TESTS"]

# Fields a top-level rule may carry next to its condition; the engine reads them.
_RULE_FIELDS = frozenset({"Next", "Assign", "Output", "Comment"})

_NULL_INPUT_MESSAGE = "Unable to apply Path transformation to null or empty input."


class ChoiceRule(Protocol):
    """A compiled Choice rule."""

    def matches(self, value: Any, context: Mapping, variables: Mapping) -> bool:
        """Return whether the rule holds for the state's effective input `value`."""


def compile_choice_rule(rule: dict) -> ChoiceRule:
    """Compile one JSONPath Choice rule (with its nested rules) into a `ChoiceRule`.

    Raises DefinitionSyntaxError when the rule is malformed: no operator or
    several, an operand of the wrong type, an invalid path, a timestamp
    operand that does not parse, an empty `And`/`Or`, or a JSONata
    `Condition`. The message starts with the field at fault, relative to the
    rule (`And[1].NumericEquals: ...`).
    """
    return _Rule(_compile(rule, location="", top_level=True))


# Comparison operators: name -> (predicate(value, operand), operand check).
# The `...Path` variant of each reads its operand from a path at run time.


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        timestamp_sort_key(value)
    except ValueError:
        return False
    return True


def _utf16_key(text: str) -> bytes:
    # NOTE: Step Functions is assumed to order strings as Java's
    # String.compareTo does, by UTF-16 code units. That differs from Python's
    # code-point order only for characters above U+FFFF, which no recording covers.
    return text.encode("utf-16-be", "surrogatepass")


def _string_order(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def predicate(value: Any, operand: Any) -> bool:
        if not (isinstance(value, str) and isinstance(operand, str)):
            return False
        if value.isascii() and operand.isascii():
            return compare(value, operand)
        return compare(_utf16_key(value), _utf16_key(operand))

    return predicate


def _numeric_order(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    # `_is_number` is written out here because Choice rules run on every loop iteration.
    def predicate(value: Any, operand: Any) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and isinstance(operand, (int, float))
            and not isinstance(operand, bool)
            and compare(value, operand)
        )

    return predicate


def _timestamp_order(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def predicate(value: Any, operand: Any) -> bool:
        if not (isinstance(value, str) and isinstance(operand, str)):
            return False
        try:
            left, right = timestamp_sort_key(value), timestamp_sort_key(operand)
        except ValueError:
            return False
        return compare(left, right)

    return predicate


def _boolean_equals(value: Any, operand: Any) -> bool:
    return isinstance(value, bool) and isinstance(operand, bool) and value == operand


def _string_matches(value: Any, pattern: re.Pattern) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _equal(left: Any, right: Any) -> bool:
    return left == right


def _less(left: Any, right: Any) -> bool:
    return left < right


def _greater(left: Any, right: Any) -> bool:
    return left > right


def _less_or_equal(left: Any, right: Any) -> bool:
    return left <= right


def _greater_or_equal(left: Any, right: Any) -> bool:
    return left >= right


# Operand checks return None for a valid operand, else what is wrong with it.


def _check_string(operand: Any) -> str | None:
    return None if isinstance(operand, str) else f"expected a string, got {_json_type(operand)}"


def _check_number(operand: Any) -> str | None:
    return None if _is_number(operand) else f"expected a number, got {_json_type(operand)}"


def _check_boolean(operand: Any) -> str | None:
    return None if isinstance(operand, bool) else f"expected true or false, got {_json_type(operand)}"


def _check_timestamp(operand: Any) -> str | None:
    if not isinstance(operand, str):
        return f"expected a timestamp string such as 2024-05-01T10:00:00Z, got {_json_type(operand)}"
    try:
        timestamp_sort_key(operand)
    except ValueError as error:
        return f"expected a timestamp such as 2024-05-01T10:00:00Z: {error}"
    return None


_ORDERINGS = {
    "Equals": _equal,
    "LessThan": _less,
    "GreaterThan": _greater,
    "LessThanEquals": _less_or_equal,
    "GreaterThanEquals": _greater_or_equal,
}

# Numeric operators compare an int or float value with these directly.
_NUMERIC_ORDERINGS = {
    "NumericEquals": operator.eq,
    "NumericLessThan": operator.lt,
    "NumericGreaterThan": operator.gt,
    "NumericLessThanEquals": operator.le,
    "NumericGreaterThanEquals": operator.ge,
}

COMPARISON_OPERATORS: dict[str, tuple[Callable[[Any, Any], bool], Callable[[Any], str | None]]] = {}
for _suffix, _compare in _ORDERINGS.items():
    COMPARISON_OPERATORS["String" + _suffix] = (_string_order(_compare), _check_string)
    COMPARISON_OPERATORS["Numeric" + _suffix] = (_numeric_order(_compare), _check_number)
    COMPARISON_OPERATORS["Timestamp" + _suffix] = (_timestamp_order(_compare), _check_timestamp)
COMPARISON_OPERATORS["BooleanEquals"] = (_boolean_equals, _check_boolean)
del _suffix, _compare

# Type tests: name -> predicate of the selected value. `"IsX": false` negates it.
TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": _is_number,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": _is_timestamp,
}

_PATH_OPERATORS = {name + "Path": name for name in COMPARISON_OPERATORS}
_ALL_OPERATORS = (
    set(COMPARISON_OPERATORS) | set(_PATH_OPERATORS) | set(TYPE_TESTS) | {"IsPresent", "StringMatches"}
)


def compile_string_matches_pattern(pattern: str) -> re.Pattern:
    """Compile a `StringMatches` pattern into a regular expression matching the whole text.

    `*` matches any run of characters (line breaks too); `\\*` is a literal
    asterisk and `\\\\` a literal backslash. Any other backslash is kept as
    a literal backslash.
    """
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        following = pattern[index + 1] if index + 1 < len(pattern) else ""
        if char == "\\" and following in ("*", "\\"):
            parts.append(re.escape(following))
            index += 2
            continue
        # NOTE: a backslash before any other character (or at the end) is
        # taken literally; no recorded AWS execution covers that case.
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


# Compiled rules. Each rule is a predicate `(value, context, variables) ->
# bool` built once per definition, so that evaluating a rule on a transition
# takes one or two calls. The top-level rule wraps its predicate in `_Rule`.

_Predicate = Callable[[Any, Mapping, Mapping], bool]
_Selector = Callable[[Any, Mapping, Mapping], Any]


class _Rule:
    """A compiled Choice rule, with its predicate as `matches`."""

    __slots__ = ("matches",)

    def __init__(self, matches: _Predicate):
        self.matches = matches


def _comparison(
    variable,
    predicate: Callable[[Any, Any], bool],
    constant: Any,
    compare: Callable[[Any, Any], bool] | None = None,
) -> _Predicate:
    """Compile a comparison of the value at `variable` with a constant operand.

    `compare` is the plain ordering of a numeric operator (`operator.lt` for
    NumericLessThan). An int or float value is compared with it directly, and
    any other value goes through `predicate`, which checks the types.
    """
    select = _selector(variable)
    name = _single_field_name(variable)
    if name is None:

        def matches_constant(value: Any, context: Mapping, variables: Mapping) -> bool:
            return predicate(select(value, context, variables), constant)

        return matches_constant

    # For `$.field` the lookup is inlined. Indexing anything but an object
    # with a name raises TypeError (null included), and then `select` raises
    # the error of the general rule.
    if compare is None:

        def matches_field(value: Any, context: Mapping, variables: Mapping) -> bool:
            try:
                selected = value[name]
            except (KeyError, TypeError):
                selected = select(value, context, variables)
            return predicate(selected, constant)

        return matches_field

    def matches_number_field(value: Any, context: Mapping, variables: Mapping) -> bool:
        try:
            selected = value[name]
        except (KeyError, TypeError):
            selected = select(value, context, variables)
        kind = type(selected)
        if kind is int or kind is float:
            return compare(selected, constant)
        return predicate(selected, constant)

    return matches_number_field


def _path_comparison(variable, predicate: Callable[[Any, Any], bool], operand_path) -> _Predicate:
    """Compile a `...Path` comparison, which reads its operand from a second path."""
    select = _selector(variable)
    select_operand = _selector(operand_path)

    def matches_paths(value: Any, context: Mapping, variables: Mapping) -> bool:
        selected = select(value, context, variables)
        return predicate(selected, select_operand(value, context, variables))

    return matches_paths


def _type_test(variable, test: Callable[[Any], bool], expected: bool) -> _Predicate:
    select = _selector(variable)

    def matches_type(value: Any, context: Mapping, variables: Mapping) -> bool:
        return test(select(value, context, variables)) == expected

    return matches_type


def _is_present(variable, expected: bool) -> _Predicate:
    get = variable.get
    rejects_null_input = _reads_state_input(variable)

    def matches_present(value: Any, context: Mapping, variables: Mapping) -> bool:
        if value is None and rejects_null_input:
            raise StatesError("States.Runtime", _NULL_INPUT_MESSAGE)
        try:
            get(value, context, variables)
        except PathNotFound:
            return not expected
        return expected

    return matches_present


def _all(rules: tuple[_Predicate, ...]) -> _Predicate:
    def matches_all(value: Any, context: Mapping, variables: Mapping) -> bool:
        for rule in rules:
            if not rule(value, context, variables):
                return False
        return True

    return matches_all


def _any(rules: tuple[_Predicate, ...]) -> _Predicate:
    def matches_any(value: Any, context: Mapping, variables: Mapping) -> bool:
        for rule in rules:
            if rule(value, context, variables):
                return True
        return False

    return matches_any


def _negation(rule: _Predicate) -> _Predicate:
    def matches_not(value: Any, context: Mapping, variables: Mapping) -> bool:
        return not rule(value, context, variables)

    return matches_not


def _selector(path) -> _Selector:
    """Return a function that reads `path` as a Choice rule does.

    It raises `States.Runtime` when the path selects nothing, and when a `$`
    path is read while the state input is null.
    """
    get = path.get
    text = path.text

    if _reads_state_input(path):

        def select_from_input(value: Any, context: Mapping, variables: Mapping) -> Any:
            if value is None:
                raise StatesError("States.Runtime", _NULL_INPUT_MESSAGE)
            try:
                return get(value, context, variables)
            except PathNotFound:
                raise _invalid_path(text) from None

        return select_from_input

    def select(value: Any, context: Mapping, variables: Mapping) -> Any:
        try:
            return get(value, context, variables)
        except PathNotFound:
            raise _invalid_path(text) from None

    return select


def _invalid_path(text: str) -> StatesError:
    return StatesError(
        "States.Runtime",
        f"Invalid path '{text}': The choice state's condition path references an invalid value.",
    )


def _reads_state_input(path) -> bool:
    text = path.text
    return not text.startswith("$$") and (len(text) == 1 or text[1] in ".[")


def _single_field_name(path) -> str | None:
    """Return the name when `path` reads one field of the state input (`$.name`), else None."""
    names = path.field_names
    if names is not None and len(names) == 1:
        return names[0]
    return None


# The compiler.


def _compile(rule: Any, location: str, top_level: bool) -> _Predicate:
    where = location or "rule"
    if not isinstance(rule, dict):
        raise DefinitionSyntaxError(f"{where}: a Choice rule must be an object, not {_json_type(rule)}")
    if "Condition" in rule:
        raise DefinitionSyntaxError(
            f"{_field(location, 'Condition')}: Condition is a JSONata rule; "
            "use Variable with a comparison operator in a JSONPath state"
        )

    combinators = [name for name in ("And", "Or", "Not") if name in rule]
    operators = [name for name in rule if name in _ALL_OPERATORS]
    allowed = {"Variable", *combinators, *operators, *(_RULE_FIELDS if top_level else ("Comment",))}
    unknown = sorted(name for name in rule if name not in allowed)
    if unknown:
        raise DefinitionSyntaxError(
            f"{_field(location, unknown[0])}: unknown field in a Choice rule; "
            "expected Variable with one comparison operator, or And, Or, Not"
        )

    if combinators:
        if len(combinators) > 1 or operators or "Variable" in rule:
            raise DefinitionSyntaxError(
                f"{where}: a Choice rule must have exactly one of And, Or, Not, "
                f"or Variable with a comparison operator; found {', '.join(combinators + operators)}"
            )
        return _compile_combinator(rule, combinators[0], location)

    if "Variable" not in rule:
        raise DefinitionSyntaxError(
            f"{where}: a Choice rule needs Variable and a comparison operator, or And, Or, Not"
        )
    if len(operators) != 1:
        found = ", ".join(operators) if operators else "none"
        raise DefinitionSyntaxError(
            f"{where}: a Choice rule needs exactly one comparison operator next to Variable; found {found}"
        )
    variable = _compile_path(rule["Variable"], _field(location, "Variable"))
    return _compile_comparison(variable, operators[0], rule[operators[0]], location)


def _compile_combinator(rule: dict, name: str, location: str) -> _Predicate:
    nested = rule[name]
    if name == "Not":
        return _negation(_compile(nested, _field(location, "Not"), top_level=False))
    if not isinstance(nested, list) or not nested:
        raise DefinitionSyntaxError(f"{_field(location, name)}: {name} needs a non-empty array of Choice rules")
    rules = tuple(
        _compile(item, f"{_field(location, name)}[{index}]", top_level=False) for index, item in enumerate(nested)
    )
    return _all(rules) if name == "And" else _any(rules)


def _compile_comparison(variable, operator: str, operand: Any, location: str) -> _Predicate:
    where = _field(location, operator)

    if operator == "IsPresent" or operator in TYPE_TESTS:
        if not isinstance(operand, bool):
            raise DefinitionSyntaxError(f"{where}: expected true or false, got {_json_type(operand)}")
        if operator == "IsPresent":
            return _is_present(variable, operand)
        return _type_test(variable, TYPE_TESTS[operator], operand)

    if operator == "StringMatches":
        if not isinstance(operand, str):
            raise DefinitionSyntaxError(f"{where}: expected a string pattern, got {_json_type(operand)}")
        return _comparison(variable, _string_matches, compile_string_matches_pattern(operand))

    if operator in _PATH_OPERATORS:
        predicate, _check = COMPARISON_OPERATORS[_PATH_OPERATORS[operator]]
        return _path_comparison(variable, predicate, _compile_path(operand, where))

    predicate, check = COMPARISON_OPERATORS[operator]
    problem = check(operand)
    if problem is not None:
        raise DefinitionSyntaxError(f"{where}: {problem}")
    return _comparison(variable, predicate, operand, _NUMERIC_ORDERINGS.get(operator))


def _compile_path(text: Any, where: str):
    if not isinstance(text, str):
        raise DefinitionSyntaxError(f"{where}: expected a path string such as $.field, got {_json_type(text)}")
    try:
        return compile_path(text)
    except DefinitionSyntaxError as error:
        raise DefinitionSyntaxError(f"{where}: {error}") from None


def _field(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
