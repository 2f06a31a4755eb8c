"""The 18 intrinsic functions of the Amazon States Language: parser and evaluator.

An intrinsic function call is the value of a payload template field whose key
ends in `.$`, for example ``States.Format('job-{}', $.id)``. Arguments are
string literals in single quotes, numbers, `true`, `false`, `null`, paths
(`$...`, `$$...`, `$variable...`) and nested calls, at most 10 levels deep.

Failures at run time raise StatesError ``States.IntrinsicFailure``.
NOTE: no recorded AWS execution shows AWS's cause text for an intrinsic
failure, so the messages here are our own wording.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.paths import Path, compile_path
from heaviside.asl.json_types import json_type_name as _json_type

__all__ = ["IntrinsicCall", "format_java_number", "is_intrinsic", "parse_intrinsic", "to_json_text"]

INTRINSIC_FAILURE = "States.IntrinsicFailure"
MAX_NESTING_DEPTH = 10
MAX_ARRAY_RANGE_ITEMS = 1000
MAX_ENCODING_INPUT_CHARACTERS = 10_000
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

# The characters a backslash escapes in a string literal. AWS reserves these
# four; a backslash before any other character stays in the string, so JSON
# text such as '{"a":"x\"y"}' keeps its own escapes.
_ESCAPED = frozenset("'{}\\")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_FUNCTION_NAME = re.compile(r"States\.[A-Za-z0-9]+")


def is_intrinsic(text: Any) -> bool:
    """Return whether `text` looks like an intrinsic function call (``States.Name(``)."""
    return isinstance(text, str) and text.startswith("States.")


def parse_intrinsic(text: str) -> IntrinsicCall:
    """Parse an intrinsic function call.

    Raises DefinitionSyntaxError for bad syntax, unknown or wrongly-cased
    function names, wrong argument counts, literal arguments of the wrong type
    and calls nested more than 10 deep.
    """
    if not isinstance(text, str):
        raise DefinitionSyntaxError(
            f"An intrinsic function call must be a string, not {json.dumps(text, default=repr)}"
        )
    parser = _IntrinsicParser(text)
    call = parser.parse_call(depth=1)
    parser.skip_blanks()
    if parser.position != len(text):
        raise parser.fail(f"unexpected text '{text[parser.position:]}' after the call")
    return call


# -- the call tree -----------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A literal argument. `raw` keeps a string's escapes for States.Format."""

    value: Any
    raw: str | None = None

    def evaluate(self, value: Any, context: Mapping | None, variables: Mapping | None) -> Any:
        return self.value


@dataclass(frozen=True)
class PathArgument:
    """A path argument (`$...`, `$$...` or `$variable...`)."""

    path: Path

    @property
    def evaluate(self) -> Callable[[Any, Mapping | None, Mapping | None], Any]:
        return self.path.get


class IntrinsicCall:
    """A parsed call of one of the 18 intrinsic functions.

    `name` is the function name (``States.Format``), `arguments` the parsed
    arguments (Literal, PathArgument or IntrinsicCall) and `text` the source.
    `evaluate(value, context=None, variables=None)` evaluates the call; a path
    argument that selects nothing raises PathNotFound. It is a function
    specialised for the number of arguments (see `_specialise`).
    """

    __slots__ = ("name", "arguments", "text", "evaluate", "_implementation", "_evaluators")

    def __init__(self, name: str, arguments: tuple, text: str):
        self.name = name
        self.arguments = arguments
        self.text = text
        self._implementation = _FUNCTIONS[name].implementation
        self._evaluators = tuple(argument.evaluate for argument in arguments)
        self.evaluate = _specialise(self)

    def __repr__(self) -> str:
        return f"IntrinsicCall({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntrinsicCall) and (self.name, self.arguments) == (other.name, other.arguments)

    def __hash__(self) -> int:
        return hash((self.name, self.arguments))

    def _evaluate(self, value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
        values = [evaluate(value, context, variables) for evaluate in self._evaluators]
        return self._implementation(self, values)


def _specialise(call: IntrinsicCall) -> Callable[..., Any]:
    """Return the `evaluate` function of `call`, with as few calls per evaluation as possible.

    Literal arguments are passed as constants, and calls of one or two
    arguments build their argument list without a loop. A States.MathAdd of
    a path and an integer literal adds directly (see `_math_add_constant`).
    """
    implementation = call._implementation
    arguments = call.arguments

    if call.name == "States.MathAdd":
        add = _math_add_constant(call)
        if add is not None:
            return add

    if len(arguments) == 1:
        (argument,) = arguments
        if type(argument) is Literal:
            constant = argument.value

            def evaluate_constant_argument(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
                return implementation(call, [constant])

            return evaluate_constant_argument

        read = argument.evaluate

        def evaluate_one(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
            return implementation(call, [read(value, context, variables)])

        return evaluate_one

    if len(arguments) == 2:
        first, second = arguments
        read_first, read_second = first.evaluate, second.evaluate
        if type(second) is Literal:
            constant = second.value

            def evaluate_with_constant(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
                return implementation(call, [read_first(value, context, variables), constant])

            return evaluate_with_constant

        def evaluate_two(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
            return implementation(call, [read_first(value, context, variables), read_second(value, context, variables)])

        return evaluate_two

    return call._evaluate


# -- parsing -----------------------------------------------------------------


class _IntrinsicParser:
    def __init__(self, text: str):
        self.text = text
        self.position = 0

    def fail(self, problem: str) -> DefinitionSyntaxError:
        return DefinitionSyntaxError(
            f"The intrinsic function call '{self.text}' is invalid: {problem} (at position {self.position + 1})."
        )

    def skip_blanks(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in " \t\r\n":
            self.position += 1

    def parse_call(self, depth: int) -> IntrinsicCall:
        if depth > MAX_NESTING_DEPTH:
            raise self.fail(f"intrinsic functions are nested more than {MAX_NESTING_DEPTH} deep")
        start = self.position
        match = _FUNCTION_NAME.match(self.text, self.position)
        if not match:
            raise self.fail("a function name such as States.Format is expected")
        name = match.group()
        signature = _FUNCTIONS.get(name)
        if signature is None:
            known = {key.lower(): key for key in _FUNCTIONS}
            hint = f"; did you mean {known[name.lower()]}?" if name.lower() in known else ""
            raise self.fail(f"'{name}' is not an intrinsic function{hint}")
        self.position = match.end()
        self.skip_blanks()
        if self.position >= len(self.text) or self.text[self.position] != "(":
            raise self.fail(f"'(' is expected after {name}")
        self.position += 1

        arguments = []
        self.skip_blanks()
        if self.position < len(self.text) and self.text[self.position] == ")":
            self.position += 1
        else:
            while True:
                self.skip_blanks()
                arguments.append(self.parse_argument(depth))
                self.skip_blanks()
                if self.position >= len(self.text):
                    raise self.fail(f"the argument list of {name} is not closed with ')'")
                separator = self.text[self.position]
                self.position += 1
                if separator == ")":
                    break
                if separator != ",":
                    self.position -= 1
                    raise self.fail(f"',' or ')' is expected, not '{separator}'")

        call = IntrinsicCall(name, tuple(arguments), self.text[start:self.position])
        signature.check(call, self)
        return call

    def parse_argument(self, depth: int):
        text = self.text
        if self.position >= len(text):
            raise self.fail("an argument is expected")
        char = text[self.position]
        if char == "'":
            return self.parse_string()
        if char == "$":
            return self.parse_path()
        if text.startswith("States.", self.position):
            return self.parse_call(depth + 1)
        for word, literal in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, self.position) and not text[self.position + len(word):self.position + len(word) + 1].isalnum():
                self.position += len(word)
                return Literal(literal)
        match = _NUMBER.match(text, self.position)
        if match:
            self.position = match.end()
            number_text = match.group()
            if match.group(2) or match.group(3):
                return Literal(float(number_text))
            return Literal(int(number_text))
        raise self.fail(f"'{char}' cannot start an argument; use a 'string', a number, true, false, null, a path or a call")

    def parse_string(self) -> Literal:
        text = self.text
        start = self.position
        self.position += 1
        characters = []
        while self.position < len(text):
            char = text[self.position]
            if char == "\\" and text[self.position + 1:self.position + 2] in _ESCAPED:
                characters.append(text[self.position + 1])
                self.position += 2
                continue
            if char == "'":
                self.position += 1
                return Literal("".join(characters), raw=text[start + 1:self.position - 1])
            characters.append(char)
            self.position += 1
        self.position = start
        raise self.fail("the string literal is not closed with '")

    def parse_path(self) -> PathArgument:
        # A path argument ends at ',' or ')' outside brackets, quotes and its own
        # parentheses, so a filter such as [?(@.a, ...)] and a path function
        # such as length() stay inside the path.
        text = self.text
        start = self.position
        brackets = 0
        parentheses = 0
        quote = None
        while self.position < len(text):
            char = text[self.position]
            if quote:
                if char == "\\":
                    self.position += 1
                elif char == quote:
                    quote = None
            elif char in "'\"" and brackets > 0:
                quote = char
            elif char == "[":
                brackets += 1
            elif char == "]":
                brackets -= 1
            elif brackets == 0 and char == "(":
                parentheses += 1
            elif brackets == 0 and char == ")" and parentheses > 0:
                parentheses -= 1
            elif brackets == 0 and char in ",) \t\r\n":
                break
            self.position += 1
        path_text = text[start:self.position]
        try:
            return PathArgument(compile_path(path_text))
        except DefinitionSyntaxError as error:
            raise DefinitionSyntaxError(f"The intrinsic function call '{text}' has an invalid path argument: {error}") from None


# -- signatures and implementations ------------------------------------------


@dataclass(frozen=True)
class _Signature:
    implementation: Callable[[IntrinsicCall, list], Any]
    minimum: int
    maximum: int | None
    literal_check: Callable[[IntrinsicCall], str | None] | None = None

    def check(self, call: IntrinsicCall, parser: _IntrinsicParser) -> None:
        count = len(call.arguments)
        if count < self.minimum or (self.maximum is not None and count > self.maximum):
            if self.maximum is None:
                expected = f"at least {self.minimum}"
            elif self.minimum == self.maximum:
                expected = str(self.minimum)
            else:
                expected = f"{self.minimum} to {self.maximum}"
            raise DefinitionSyntaxError(
                f"The intrinsic function call '{call.text}' has {count} arguments, but {call.name} takes {expected}."
            )
        if self.literal_check is not None:
            problem = self.literal_check(call)
            if problem:
                raise DefinitionSyntaxError(f"The intrinsic function call '{call.text}' is invalid: {problem}")


def _failure(call: IntrinsicCall, message: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, f"Invalid arguments in {call.name} ('{call.text}'): {message}")



def _describe(value: Any) -> str:
    text = to_json_text(value)
    if len(text) > 100:
        text = text[:100] + "..."
    return f"{_json_type(value)} {text}"


def _require_array(call: IntrinsicCall, value: Any, role: str) -> list:
    if not isinstance(value, list):
        raise _failure(call, f"the {role} must be an array, but it is the {_describe(value)}")
    return value


def _require_string(call: IntrinsicCall, value: Any, role: str) -> str:
    if not isinstance(value, str):
        raise _failure(call, f"the {role} must be a string, but it is the {_describe(value)}")
    return value


def _require_integer(call: IntrinsicCall, value: Any, role: str) -> int:
    """Accept an integer, or a number with no fractional part (JSON has one number type)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _failure(call, f"the {role} must be an integer, but it is the {_describe(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise _failure(call, f"the {role} must be an integer, but it is {format_java_number(value)}")
        return int(value)
    return value


def _round_half_up(call: IntrinsicCall, value: Any, role: str) -> int:
    """Round a number as Java's Math.round does (halves toward positive infinity).

    AWS returns 1 for States.MathAdd(-0.5, 0.5) because each argument is rounded
    on its own (-0.5 -> 0, 0.5 -> 1) before the addition.
    """
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _failure(call, f"the {role} must be a number, but it is the {_describe(value)}")
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise _failure(call, f"the {role} must be a finite number")
    return math.floor(value + 0.5)


def _format(call: IntrinsicCall, values: list) -> str:
    template = _require_string(call, values[0], "first argument (the format string)")
    first = call.arguments[0]
    # Escapes only matter in a literal: `\{` and `\}` are braces, never a placeholder.
    raw = first.raw if isinstance(first, Literal) and first.raw is not None else None
    pieces = _split_format_template(raw) if raw is not None else template.split("{}")
    placeholders = len(pieces) - 1
    arguments = values[1:]
    if placeholders != len(arguments):
        raise _failure(
            call,
            f"the format string has {placeholders} placeholders '{{}}' but {len(arguments)} values follow it",
        )
    parts = [pieces[0]]
    for argument, piece in zip(arguments, pieces[1:]):
        parts.append(_format_value(argument))
        parts.append(piece)
    return "".join(parts)


def _split_format_template(raw: str) -> list[str]:
    pieces = []
    current = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and raw[index + 1:index + 2] in _ESCAPED:
            current.append(raw[index + 1])
            index += 2
            continue
        if raw.startswith("{}", index):
            pieces.append("".join(current))
            current = []
            index += 2
            continue
        current.append(char)
        index += 1
    pieces.append("".join(current))
    return pieces


def _format_value(value: Any) -> str:
    """Print a value as States.Format does: Java's toString of the parsed JSON.

    Strings print without quotes, objects as ``{Arg1=1, Arg2=[]}`` and arrays as
    ``[1, 2]`` (recorded against AWS).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return to_json_text(value)


def _string_to_json(call: IntrinsicCall, values: list) -> Any:
    text = _require_string(call, values[0], "argument")
    # AWS returns null for an empty or blank string (recorded).
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise _failure(call, f"the string is not valid JSON ({error}): {to_json_text(text)}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_to_string(call: IntrinsicCall, values: list) -> str:
    return to_json_text(values[0])


def _array(call: IntrinsicCall, values: list) -> list:
    return values


def _array_partition(call: IntrinsicCall, values: list) -> list:
    array = _require_array(call, values[0], "first argument")
    size = _require_integer(call, values[1], "chunk size")
    if size <= 0:
        raise _failure(call, f"the chunk size must be greater than 0, but it is {size}")
    return [array[start:start + size] for start in range(0, len(array), size)]


def _array_contains(call: IntrinsicCall, values: list) -> bool:
    array = _require_array(call, values[0], "first argument")
    return any(_json_equal(item, values[1]) for item in array)


def _array_range(call: IntrinsicCall, values: list) -> list:
    start = _require_integer(call, values[0], "start")
    end = _require_integer(call, values[1], "end")
    step = _require_integer(call, values[2], "step")
    if step == 0:
        raise _failure(call, "the step must not be 0")
    count = max(0, (end - start) // step + 1)
    if count > MAX_ARRAY_RANGE_ITEMS:
        raise _failure(call, f"the range has {count} items, more than the maximum of {MAX_ARRAY_RANGE_ITEMS}")
    return [start + index * step for index in range(count)]


def _array_get_item(call: IntrinsicCall, values: list) -> Any:
    array = _require_array(call, values[0], "first argument")
    index = _require_integer(call, values[1], "index")
    if not 0 <= index < len(array):
        raise _failure(call, f"the index {index} is out of bounds for an array of {len(array)} items")
    return array[index]


def _array_length(call: IntrinsicCall, values: list) -> int:
    return len(_require_array(call, values[0], "argument"))


def _array_unique(call: IntrinsicCall, values: list) -> list:
    array = _require_array(call, values[0], "argument")
    unique: list = []
    for item in array:
        if not any(_json_equal(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _base64_encode(call: IntrinsicCall, values: list) -> str:
    text = _require_input_string(call, values[0])
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(call: IntrinsicCall, values: list) -> str:
    text = _require_input_string(call, values[0])
    # Padding is optional, as in Java's basic Base64 decoder.
    unpadded = "=" not in text and len(text) % 4 in (2, 3)
    padded = text + "=" * (-len(text) % 4) if unpadded else text
    try:
        data = base64.b64decode(padded.encode("ascii"), validate=True)
        return data.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise _failure(call, f"the argument is not valid base64-encoded UTF-8 text: {to_json_text(text)}") from None


_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(call: IntrinsicCall, values: list) -> str:
    text = _require_input_string(call, values[0])
    algorithm = _require_string(call, values[1], "algorithm")
    if algorithm not in _HASH_ALGORITHMS:
        raise _failure(
            call,
            f"the algorithm {to_json_text(algorithm)} is not supported; use one of {', '.join(_HASH_ALGORITHMS)}",
        )
    return hashlib.new(_HASH_ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()


def _require_input_string(call: IntrinsicCall, value: Any) -> str:
    text = _require_string(call, value, "input")
    if len(text) > MAX_ENCODING_INPUT_CHARACTERS:
        raise _failure(
            call,
            f"the input has {len(text)} characters, more than the maximum of {MAX_ENCODING_INPUT_CHARACTERS}",
        )
    return text


def _json_merge(call: IntrinsicCall, values: list) -> dict:
    first, second, deep = values
    if not isinstance(first, dict):
        raise _failure(call, f"the first argument must be an object, but it is the {_describe(first)}")
    if not isinstance(second, dict):
        raise _failure(call, f"the second argument must be an object, but it is the {_describe(second)}")
    if deep is not False:
        raise _failure(call, f"the third argument must be false (only a shallow merge is supported), not {to_json_text(deep)}")
    merged = dict(first)
    merged.update(second)
    return merged


def _json_merge_literals(call: IntrinsicCall) -> str | None:
    deep = call.arguments[2] if len(call.arguments) == 3 else None
    if isinstance(deep, Literal) and deep.value is not False:
        # AWS rejects a deep merge, so only false is accepted.
        return "the third argument must be false, because States.JsonMerge only merges shallowly"
    return None


def _math_random(call: IntrinsicCall, values: list) -> int:
    start = _round_half_up(call, values[0], "start")
    end = _round_half_up(call, values[1], "end")
    if start >= end:
        raise _failure(call, f"the start ({start}) must be less than the end ({end})")
    if len(values) == 3:
        seed = _require_integer(call, values[2], "seed")
        # NOTE: the same seed gives the same number here, but not the number AWS gives.
        generator = random.Random(seed)
    else:
        generator = random.SystemRandom()
    # NOTE: the end is taken as exclusive, but no AWS recording confirms it.
    return generator.randrange(start, end)


def _math_add(call: IntrinsicCall, values: list) -> int:
    first, second = values
    if type(first) is not int:
        first = _round_half_up(call, first, "first argument")
    if type(second) is not int:
        second = _round_half_up(call, second, "second argument")
    if not _INT32_MIN <= first <= _INT32_MAX:
        raise _failure(call, f"the value {first} is outside the 32-bit integer range")
    if not _INT32_MIN <= second <= _INT32_MAX:
        raise _failure(call, f"the value {second} is outside the 32-bit integer range")
    total = first + second
    if not _INT32_MIN <= total <= _INT32_MAX:
        raise _failure(call, f"the sum {total} is outside the 32-bit integer range")
    return total


def _math_add_constant(call: IntrinsicCall) -> Callable[..., Any] | None:
    """Return a direct `evaluate` for States.MathAdd of one non-literal and one integer literal, or None.

    A loop counter (``States.MathAdd($.count, 1)``) is the common case. An
    integer read within [low, high] is in the 32-bit range, and so is its sum
    with the literal, so it is added at once. Any other value goes through
    `_math_add`, which rounds it or raises.
    """
    # The parser builds the call before it checks the argument count.
    if len(call.arguments) != 2:
        return None
    first, second = call.arguments
    if type(second) is Literal and type(first) is not Literal:
        read, literal, literal_first = first.evaluate, second.value, False
    elif type(first) is Literal and type(second) is not Literal:
        read, literal, literal_first = second.evaluate, first.value, True
    else:
        return None
    if type(literal) is not int or not _INT32_MIN <= literal <= _INT32_MAX:
        return None
    low = max(_INT32_MIN, _INT32_MIN - literal)
    high = min(_INT32_MAX, _INT32_MAX - literal)

    def add_constant(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
        number = read(value, context, variables)
        if type(number) is int and low <= number <= high:
            return number + literal
        return _math_add(call, [literal, number] if literal_first else [number, literal])

    return add_constant


def _string_split(call: IntrinsicCall, values: list) -> list:
    text = _require_string(call, values[0], "first argument")
    delimiters = _require_string(call, values[1], "delimiter")
    # Each character of the second argument is a delimiter and empty pieces are
    # dropped (recorded: ", , ," split on "," gives [" ", " "]).
    if not delimiters:
        return [text] if text else []
    pattern = "[" + re.escape(delimiters) + "]+"
    return [piece for piece in re.split(pattern, text) if piece]


def _uuid(call: IntrinsicCall, values: list) -> str:
    return str(uuid.uuid4())


def _format_literals(call: IntrinsicCall) -> str | None:
    first = call.arguments[0]
    if isinstance(first, Literal) and not isinstance(first.value, str):
        return "the first argument of States.Format must be a string"
    return None


_FUNCTIONS: dict[str, _Signature] = {
    "States.Format": _Signature(_format, 1, None, _format_literals),
    "States.StringToJson": _Signature(_string_to_json, 1, 1),
    "States.JsonToString": _Signature(_json_to_string, 1, 1),
    "States.Array": _Signature(_array, 0, None),
    "States.ArrayPartition": _Signature(_array_partition, 2, 2),
    "States.ArrayContains": _Signature(_array_contains, 2, 2),
    "States.ArrayRange": _Signature(_array_range, 3, 3),
    "States.ArrayGetItem": _Signature(_array_get_item, 2, 2),
    "States.ArrayLength": _Signature(_array_length, 1, 1),
    "States.ArrayUnique": _Signature(_array_unique, 1, 1),
    "States.Base64Encode": _Signature(_base64_encode, 1, 1),
    "States.Base64Decode": _Signature(_base64_decode, 1, 1),
    "States.Hash": _Signature(_hash, 2, 2),
    "States.JsonMerge": _Signature(_json_merge, 3, 3, _json_merge_literals),
    "States.MathRandom": _Signature(_math_random, 2, 3),
    "States.MathAdd": _Signature(_math_add, 2, 2),
    "States.StringSplit": _Signature(_string_split, 2, 2),
    "States.UUID": _Signature(_uuid, 0, 0),
}


# -- JSON values as AWS prints and compares them ----------------------------------


def _json_equal(left: Any, right: Any) -> bool:
    """Compare JSON values: numbers by value, booleans never equal to numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_json_equal(a, b) for a, b in zip(left, right))
    return type(left) is type(right) and left == right


def to_json_text(value: Any) -> str:
    """Serialize a value compactly, printing floats as Java's Double.toString does.

    Integers print in full and 1.1 prints as ``1.1`` (recorded against AWS).
    NOTE: AWS's text for large and tiny floats is not recorded. Java prints 1e10
    as ``1.0E10``, and this assumes AWS prints doubles the same way.
    """
    if isinstance(value, float):
        return format_java_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{to_json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json_text(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def format_java_number(number: float | int) -> str:
    """Format a number as Java's Double.toString does (integers unchanged).

    Java prints plain decimals for magnitudes in [1e-3, 1e7) and computerized
    scientific notation (``1.0E10``, ``1.5E-4``) outside it.
    """
    if isinstance(number, int):
        return str(number)
    if math.isnan(number) or math.isinf(number):
        return json.dumps(number)
    if number == 0:
        return "-0.0" if math.copysign(1.0, number) < 0 else "0.0"
    magnitude = abs(number)
    if 1e-3 <= magnitude < 1e7:
        text = repr(number)
        return text if "." in text else text + ".0"
    digits, exponent = _shortest_digits(magnitude)
    mantissa = digits[0] + "." + (digits[1:] or "0")
    sign = "-" if number < 0 else ""
    return f"{sign}{mantissa}E{exponent}"


def _shortest_digits(magnitude: float) -> tuple[str, int]:
    """Return the shortest round-trip digits of a positive float and its decimal exponent."""
    text = repr(magnitude)
    if "e" in text:
        significand, _, exponent_text = text.partition("e")
        digits = significand.replace(".", "")
        return digits.rstrip("0") or "0", int(exponent_text)
    # repr gave a plain decimal; find the first significant digit.
    integer_part, _, fraction = text.partition(".")
    if integer_part.strip("0"):
        digits = (integer_part.lstrip("0") + fraction).rstrip("0")
        return digits or "0", len(integer_part.lstrip("0")) - 1
    leading_zeros = len(fraction) - len(fraction.lstrip("0"))
    return fraction.lstrip("0").rstrip("0"), -(leading_zeros + 1)
