"""JSONPath as AWS Step Functions evaluates it.

Step Functions evaluates paths with Jayway JsonPath (Java). The dialect rules that
matter here:

- A path starts at `$` (the state's value), `$$` (the context object) or `$name`
  (a workflow variable).
- A definite path (only names and single indexes) selects one value and returns it.
  Selecting a missing field or an index out of range is an error (`PathNotFound`).
- An indefinite path (wildcard, slice, several indexes or names, filter, recursive
  descent) always returns a list, even of one value or of none. A missing field
  or index selects nothing instead of failing.

Definite paths are compiled to a tuple of keys and indexes and evaluated by a short
loop, because they run on every transition. Indefinite paths are evaluated segment
by segment, and their filter expressions by python-jsonpath (see docs/jsonpath.md
for the measured choice).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable, Mapping

from heaviside.asl.errors import DefinitionSyntaxError, StatesError
from heaviside.asl.json_types import json_type_name as _json_type

__all__ = [
    "Path",
    "PathNotFound",
    "ReferencePath",
    "compile_path",
    "compile_reference_path",
    "is_path",
]

# Characters that end a name in dot notation (Jayway stops at the same ones,
# and rejects a space with "use bracket notation").
_DOT_NAME_END = frozenset(".[( ]'\"")
# Workflow variable names follow Unicode identifier rules: a letter or `_`, then
# letters, digits or `_`.
_VARIABLE_NAME = re.compile(r"[^\W\d]\w*")
_INTEGER = re.compile(r"-?[0-9]+")

# A default for dict.get that no JSON value can be.
_MISSING = object()

_ROOT_VALUE = "value"
_ROOT_CONTEXT = "context"
_ROOT_VARIABLE = "variable"


class PathNotFound(Exception):
    """A path that selects nothing in the document it was applied to.

    `path` is the path text as written in the definition; `reason` is Jayway's
    description of the first step that failed (``Missing property in path
    $['no']``). The caller turns it into the error of its field.
    """

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"Invalid path '{path}' : {reason}")


def is_path(text: Any) -> bool:
    """Return whether `text` is a string that starts like a path (``$``)."""
    return isinstance(text, str) and text.startswith("$")


def compile_path(text: str) -> Path:
    """Compile a JSONPath Path (`$...`, `$$...` or `$variable...`).

    Raises DefinitionSyntaxError with a message that names what is wrong.
    Compiled paths are cached by text, so compiling at run time is cheap.
    """
    _require_string(text)
    return _compile_path_cached(text)


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a reference path, as ResultPath takes it.

    A reference path is a definite path on `$`: names and single indexes only, no
    context object and no variables.
    """
    _require_string(text)
    return _compile_reference_path_cached(text)


@lru_cache(maxsize=4096)
def _compile_path_cached(text: str) -> Path:
    return Path(text, _parse(text))


@lru_cache(maxsize=1024)
def _compile_reference_path_cached(text: str) -> ReferencePath:
    parsed = _parse(text)
    if parsed.root == _ROOT_CONTEXT:
        raise DefinitionSyntaxError(
            f"The reference path '{text}' starts with '$$', but a reference path "
            "can only select part of the state's input; start it with '$'."
        )
    if parsed.root == _ROOT_VARIABLE:
        raise DefinitionSyntaxError(
            f"The reference path '{text}' refers to the variable '${parsed.variable}', "
            "but a reference path can only select part of the state's input; start it with '$.'"
        )
    if not parsed.is_definite or parsed.merged_names is not None or parsed.function is not None:
        raise DefinitionSyntaxError(
            f"The reference path '{text}' uses more than names and single indexes (a "
            "wildcard, slice, filter, list, recursive descent or function); a reference "
            "path may only use names and single indexes, for example '$.result' or '$.results[0]'."
        )
    return ReferencePath(text, parsed)


class Path:
    """A compiled JSONPath Path.

    `text` is the source text; `is_definite` is False when the path can select
    several values, in which case `get` always returns a list. `field_names`
    is the tuple of names of a `$` path made only of field names (`$.a.b`
    gives ``("a", "b")``, `$` gives ``()``), and None for any other path.

    `get(value, context=None, variables=None)` returns the value this path
    selects. It raises PathNotFound when a definite path selects nothing, when
    the variable is not defined, and when a `$` path is applied to a null
    value (AWS: "Unable to apply Path transformation to null or empty
    input."). A `$` path of field names gets a `get` specialised for its
    length (see `_field_getter`); every other path uses `_get`.
    """

    __slots__ = (
        "text",
        "is_definite",
        "field_names",
        "get",
        "_root",
        "_variable",
        "_steps",
        "_names_only",
        "_merged_names",
        "_function",
        "_query",
    )

    def __init__(self, text: str, parsed: _ParsedPath):
        self.text = text
        # A path function returns one value, even after an indefinite path.
        self.is_definite = parsed.is_definite or parsed.function is not None
        self._root = parsed.root
        self._variable = parsed.variable
        self._steps = parsed.steps
        self._names_only = all(type(step) is str for step in parsed.steps)
        self._merged_names = parsed.merged_names
        self._function = None if parsed.function is None else _FUNCTIONS[parsed.function]
        self._query = None if parsed.is_definite else _compile_query(text, parsed)
        self.field_names = None
        self.get = self._get
        if self._root is _ROOT_VALUE and self._names_only and self._query is None:
            if self._merged_names is None and self._function is None:
                self.field_names = self._steps
                self.get = _field_getter(self._steps, self._get)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    def _get(self, value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
        if self._root is _ROOT_VALUE and value is not None:
            root = value
        else:
            root = self._select_root(value, context, variables)
        if self._query is not None:
            selected = self._query.findall(root)
        elif self._names_only:
            # Fast path for the common case: only field names. Indexing a list,
            # string or scalar with a name raises TypeError, so a failed lookup
            # always lands here and the checked walk below builds the reason.
            selected = root
            try:
                for step in self._steps:
                    selected = selected[step]
            except (KeyError, TypeError):
                selected = self._walk(root)
        else:
            selected = self._walk(root)

        if self._merged_names is not None:
            selected = self._merge(selected)
        if self._function is not None:
            selected = self._function(self.text, selected)
        return selected

    def _merge(self, document: Any) -> dict:
        # Jayway returns an object with the names that exist when a path ends in
        # several quoted names (`$.a['x','y']`), not a list.
        names = "','".join(self._merged_names)
        if type(document) is not dict:
            raise PathNotFound(
                self.text,
                f"Expected to find an object with property ['{names}'] in path "
                f"{self._location(len(self._steps))} but found '{_json_type(document)}'. "
                "This is not a json object.",
            )
        return {name: document[name] for name in self._merged_names if name in document}

    def _select_root(self, value: Any, context: Mapping | None, variables: Mapping | None) -> Any:
        if self._root == _ROOT_VALUE:
            if value is None:
                raise PathNotFound(self.text, "Unable to apply Path transformation to null or empty input.")
            return value
        if self._root == _ROOT_CONTEXT:
            return {} if context is None else context
        if variables is None or self._variable not in variables:
            raise PathNotFound(self.text, f"The variable '${self._variable}' is not defined")
        return variables[self._variable]

    def _walk(self, document: Any) -> Any:
        for position, step in enumerate(self._steps):
            if type(step) is str:
                if type(document) is dict:
                    try:
                        document = document[step]
                        continue
                    except KeyError:
                        raise PathNotFound(self.text, self._missing_property(position)) from None
                raise PathNotFound(self.text, self._not_an_object(position, document))
            if type(document) is list:
                try:
                    document = document[step]
                    continue
                except IndexError:
                    raise PathNotFound(self.text, f"No results for path: {self._location(len(self._steps))}") from None
            raise PathNotFound(self.text, self._not_an_array(position, document))
        return document

    def _location(self, length: int) -> str:
        """Format the first `length` steps as Jayway does (``$['a'][0]``)."""
        parts = ["$"]
        for step in self._steps[:length]:
            parts.append(f"['{step}']" if isinstance(step, str) else f"[{step}]")
        return "".join(parts)

    def _missing_property(self, position: int) -> str:
        # Jayway reports a missing last step as "No results" for the whole path,
        # and a missing inner step as "Missing property" up to that step.
        if position == len(self._steps) - 1:
            return f"No results for path: {self._location(position + 1)}"
        return f"Missing property in path {self._location(position + 1)}"

    def _not_an_object(self, position: int, document: Any) -> str:
        # NOTE: Jayway names the Java class it found; this names the JSON type instead.
        return (
            f"Expected to find an object with property ['{self._steps[position]}'] in path "
            f"{self._location(position)} but found '{_json_type(document)}'. "
            "This is not a json object."
        )

    def _not_an_array(self, position: int, document: Any) -> str:
        return (
            f"Filter: [{self._steps[position]}] can only be applied to arrays. "
            f"Current context is: {_json_text(document)}"
        )


def _field_getter(names: tuple, checked_get: Callable) -> Callable:
    """Return a `get` for a `$` path of only field names, such as `$.a.b`.

    Paths run on every transition, so the common lengths read their fields
    directly. Indexing anything but an object with a name raises TypeError
    (None included), so every lookup that fails ends in `checked_get`, which
    raises PathNotFound with Jayway's reason.
    """
    if not names:

        def get_root(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
            if value is None:
                return checked_get(value, context, variables)
            return value

        return get_root

    if len(names) == 1:
        (name,) = names

        def get_field(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
            try:
                return value[name]
            except (KeyError, TypeError):
                return checked_get(value, context, variables)

        return get_field

    if len(names) == 2:
        first, second = names

        def get_nested_field(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
            try:
                return value[first][second]
            except (KeyError, TypeError):
                return checked_get(value, context, variables)

        return get_nested_field

    def get_fields(value: Any, context: Mapping | None = None, variables: Mapping | None = None) -> Any:
        selected = value
        try:
            for name in names:
                selected = selected[name]
        except (KeyError, TypeError):
            return checked_get(value, context, variables)
        return selected

    return get_fields


def _field_setter(names: tuple, checked_set: Callable) -> Callable:
    """Return a `set` for a reference path of one or more field names, such as `$.a.b`.

    It copies the objects along the path in a loop and creates missing ones.
    A document or a field on the way that is not an object goes to
    `checked_set`, which raises States.ResultPathMatchFailure.
    """
    parents = names[:-1]
    last = names[-1]

    def set_fields(document: Any, new_value: Any) -> Any:
        if type(document) is not dict:
            return checked_set(document, new_value)
        output = node = document.copy()
        for name in parents:
            child = node.get(name, _MISSING)
            if child is _MISSING:
                child = {}
            elif type(child) is dict:
                child = child.copy()
            else:
                return checked_set(document, new_value)
            node[name] = child
            node = child
        node[last] = new_value
        return output

    return set_fields


class ReferencePath(Path):
    """A compiled reference path (ResultPath): a definite `$` path that can also set.

    `set(document, new_value)` returns a copy of `document` with `new_value`
    placed at this path. The input is never mutated: only the objects and
    arrays along the path are copied, and every other sub-object is shared.
    Missing fields along the path are created as objects, as AWS does. It
    raises StatesError ``States.ResultPathMatchFailure`` when a step meets a
    value of the wrong type (a field on a non-object, an index on a non-array
    or out of range). A path of field names gets a `set` that copies the
    objects in a loop (see `_field_setter`); every other path uses `_set`.
    """

    __slots__ = ("set",)

    def __init__(self, text: str, parsed: _ParsedPath):
        super().__init__(text, parsed)
        self.set = self._set
        if self.field_names:
            self.set = _field_setter(self.field_names, self._set)

    def _set(self, document: Any, new_value: Any) -> Any:
        if not self._steps:
            return new_value
        return self._set_at(document, 0, new_value, document)

    def _set_at(self, node: Any, position: int, new_value: Any, document: Any) -> Any:
        step = self._steps[position]
        last = position == len(self._steps) - 1

        if isinstance(step, str):
            if not isinstance(node, dict):
                raise self._match_failure(document, position, f"it needs an object but found {_describe(node)}")
            copy = dict(node)
            if last:
                copy[step] = new_value
            else:
                # A missing field is created as an empty object; a field that is
                # present keeps its value, so a null there is a match failure.
                child = node[step] if step in node else {}
                copy[step] = self._set_at(child, position + 1, new_value, document)
            return copy

        if not isinstance(node, list):
            raise self._match_failure(document, position, f"it needs an array but found {_describe(node)}")
        if not -len(node) <= step < len(node):
            raise self._match_failure(document, position, f"the index is out of range for an array of {len(node)} items")
        copy = list(node)
        copy[step] = new_value if last else self._set_at(node[step], position + 1, new_value, document)
        return copy

    def _match_failure(self, document: Any, position: int, problem: str) -> StatesError:
        # TODO: AWS's cause text for States.ResultPathMatchFailure is not
        # recorded, so this wording is our own.
        step = self._location(position + 1)[len(self._location(position)):]
        return StatesError(
            "States.ResultPathMatchFailure",
            f"Unable to apply ResultPath '{self.text}' to input '{_json_text(document)}': "
            f"the step {step} cannot be applied because {problem}.",
        )


# -- parsing ---------------------------------------------------------------


class _ParsedPath:
    __slots__ = ("root", "variable", "steps", "merged_names", "function", "segments", "is_definite", "body_start")

    def __init__(self, root: str, variable: str | None, segments: list[tuple], body_start: int):
        self.root = root
        self.variable = variable
        self.body_start = body_start
        self.function = None
        if segments and segments[-1][0] == "function":
            self.function = segments[-1][1]
            segments = segments[:-1]
        self.segments = segments
        self.merged_names = None
        if segments and segments[-1][0] == "names":
            self.merged_names = segments[-1][1]
            segments = segments[:-1]
        self.is_definite = all(kind in ("name", "index") for kind, _ in segments)
        self.steps = tuple(argument for _, argument in segments) if self.is_definite else ()
        if self.merged_names is not None and not self.is_definite:
            self.merged_names = None


def _require_string(text: Any) -> None:
    if not isinstance(text, str):
        raise DefinitionSyntaxError(f"A path must be a string, not the {_json_type(text)} {_json_text(text)}.")


def _parse(text: str) -> _ParsedPath:
    if not text.startswith("$"):
        raise DefinitionSyntaxError(f"The path '{text}' is invalid: a path must start with '$'.")

    if text.startswith("$$"):
        root, variable, position = _ROOT_CONTEXT, None, 2
    else:
        match = _VARIABLE_NAME.match(text, 1)
        if match:
            root, variable, position = _ROOT_VARIABLE, match.group(), match.end()
        else:
            root, variable, position = _ROOT_VALUE, None, 1

    parser = _SegmentParser(text, position)
    return _ParsedPath(root, variable, parser.parse(), position)


class _SegmentParser:
    """Parse the segments after the root into (kind, argument) pairs.

    Kinds: name, index (definite); names, indexes, slice, wildcard, filter,
    descent (indefinite). The argument of `descent` is the segment it applies to.
    """

    def __init__(self, text: str, position: int):
        self.text = text
        self.position = position

    def fail(self, problem: str) -> DefinitionSyntaxError:
        return DefinitionSyntaxError(f"The path '{self.text}' is invalid: {problem} at position {self.position + 1}.")

    def parse(self) -> list[tuple]:
        segments: list[tuple] = []
        text = self.text
        while self.position < len(text):
            char = text[self.position]
            if text.startswith("..", self.position):
                self.position += 2
                if self.position >= len(text):
                    raise self.fail("'..' must be followed by a name, '*' or a bracket")
                if text[self.position] == "[":
                    inner = self.parse_bracket()
                else:
                    inner = self.parse_dot_member()
                segments.append(("descent", inner))
            elif char == ".":
                self.position += 1
                if text.startswith("[", self.position):
                    # Jayway accepts a bracket after a dot, as in the AWS
                    # documentation's example $.abc.['def ghi'].
                    segments.append(self.parse_bracket())
                else:
                    segments.append(self.parse_dot_member())
            elif char == "[":
                segments.append(self.parse_bracket())
            else:
                raise self.fail(f"unexpected character '{char}'")
        return segments

    def parse_dot_member(self) -> tuple:
        text = self.text
        start = self.position
        if start < len(text) and text[start] == "*":
            self.position += 1
            return ("wildcard", None)
        while self.position < len(text) and text[self.position] not in _DOT_NAME_END:
            self.position += 1
        name = text[start:self.position]
        if not name:
            raise self.fail("a name is missing after '.'")
        if self.position < len(text):
            char = text[self.position]
            if char == " ":
                raise self.fail(f"a space follows the name '{name}'; use bracket notation ['{name} ...'] for names with blanks")
            if char == "(":
                return self.parse_function(name)
            if char in "]'\"":
                raise self.fail(f"unexpected character '{char}'")
        return ("name", name)

    def parse_function(self, name: str) -> tuple:
        if name not in _FUNCTIONS:
            raise self.fail(f"'{name}()' is not a supported path function; use one of {', '.join(f'{known}()' for known in _FUNCTIONS)}")
        if not self.text.startswith("()", self.position):
            raise self.fail(f"the path function '{name}()' takes no arguments")
        self.position += 2
        if self.position != len(self.text):
            raise self.fail(f"the path function '{name}()' must end the path")
        return ("function", name)

    def parse_bracket(self) -> tuple:
        text = self.text
        self.position += 1
        self.skip_blanks()
        if self.position >= len(text):
            raise self.fail("'[' is not closed")
        char = text[self.position]

        if char == "?":
            return self.parse_filter()
        if char == "*":
            self.position += 1
            self.expect_close()
            return ("wildcard", None)
        if char in "'\"":
            names = [self.parse_quoted()]
            self.skip_blanks()
            while self.position < len(text) and text[self.position] == ",":
                self.position += 1
                self.skip_blanks()
                names.append(self.parse_quoted())
                self.skip_blanks()
            self.expect_close()
            return ("name", names[0]) if len(names) == 1 else ("names", tuple(names))

        end = text.find("]", self.position)
        if end < 0:
            raise self.fail("'[' is not closed")
        content = text[self.position:end].strip()
        if ":" in content:
            parts = [part.strip() for part in content.split(":")]
            if len(parts) != 2 or any(part and not _INTEGER.fullmatch(part) for part in parts):
                raise self.fail(f"the slice '[{content}]' is invalid; write [start:end] with integers")
            self.position = end + 1
            return ("slice", tuple(int(part) if part else None for part in parts))
        parts = [part.strip() for part in content.split(",")]
        if not all(_INTEGER.fullmatch(part) for part in parts):
            raise self.fail(f"'[{content}]' is neither an index, a slice, a quoted name nor a filter")
        self.position = end + 1
        if len(parts) == 1:
            return ("index", int(parts[0]))
        return ("indexes", tuple(int(part) for part in parts))

    def parse_quoted(self) -> str:
        text = self.text
        if self.position >= len(text) or text[self.position] not in "'\"":
            raise self.fail("a quoted name is expected")
        quote = text[self.position]
        self.position += 1
        characters = []
        while self.position < len(text):
            char = text[self.position]
            if char == "\\" and self.position + 1 < len(text):
                # A backslash keeps the next character from closing the name, and
                # both stay in the name: AWS finds the key Test\""Name" with the
                # path $['Test\""Name"'] (recorded against AWS).
                characters.append(text[self.position:self.position + 2])
                self.position += 2
                continue
            if char == quote:
                self.position += 1
                return "".join(characters)
            characters.append(char)
            self.position += 1
        raise self.fail(f"the quoted name starting with {quote} is not closed")

    def parse_filter(self) -> tuple:
        text = self.text
        self.position += 1
        self.skip_blanks()
        if self.position >= len(text) or text[self.position] != "(":
            raise self.fail("a filter must be written as [?(expression)]")

        # Find the parenthesis that closes the filter. Parentheses inside string
        # literals and `=~ /regex/` literals do not count.
        start = self.position
        depth = 0
        while self.position < len(text):
            char = text[self.position]
            if char in "'\"":
                self.position = _end_of_literal(text, self.position, char)
                continue
            if text.startswith("=~", self.position):
                self.position += 2
                self.skip_blanks()
                if text.startswith("/", self.position):
                    self.position = _end_of_literal(text, self.position, "/")
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    break
            self.position += 1
        if depth != 0:
            raise self.fail("the filter's parentheses are not balanced")

        expression = text[start + 1:self.position].strip()
        if not expression:
            raise self.fail("the filter is empty")
        self.position += 1
        self.expect_close()
        return ("filter", expression)

    def skip_blanks(self) -> None:
        while self.position < len(self.text) and self.text[self.position] == " ":
            self.position += 1

    def expect_close(self) -> None:
        self.skip_blanks()
        if self.position >= len(self.text) or self.text[self.position] != "]":
            raise self.fail("']' is expected")
        self.position += 1


# -- indefinite paths --------------------------------------------------------


def _compile_query(text: str, parsed: _ParsedPath) -> _IndefiniteQuery:
    """Compile an indefinite path into an object with `findall(root) -> list`.

    Names, indexes, slices, wildcards and recursive descent are evaluated here
    with Jayway's rules (a slice or wildcard on a value of the wrong type selects
    nothing). Filter expressions are evaluated by python-jsonpath, which accepts
    Jayway's filter syntax (&&, ||, !, comparisons, `in`, `=~ /regex/`).
    """
    return _IndefiniteQuery(text, parsed.segments)


class _IndefiniteQuery:
    __slots__ = ("_steps",)

    def __init__(self, text: str, segments: list[tuple]):
        last = len(segments) - 1
        self._steps = tuple(
            _compile_step(text, kind, argument, position == last) for position, (kind, argument) in enumerate(segments)
        )

    def findall(self, root: Any) -> list:
        nodes = [root]
        for step in self._steps:
            nodes = step(nodes, root)
        return nodes


# Each step maps (nodes, root) to the nodes it selects; only filters read the root.


def _compile_step(text: str, kind: str, argument: Any, is_last: bool):
    if kind == "name":
        return lambda nodes, root: [node[argument] for node in nodes if type(node) is dict and argument in node]
    if kind == "index":
        return lambda nodes, root: [
            node[argument] for node in nodes if type(node) is list and -len(node) <= argument < len(node)
        ]
    if kind == "indexes":
        return lambda nodes, root: [
            node[index] for node in nodes if type(node) is list for index in argument if -len(node) <= index < len(node)
        ]
    if kind == "names":
        if is_last:
            # Jayway merges several names at the end of a path into one object per node.
            return lambda nodes, root: [
                {name: node[name] for name in argument if name in node} for node in nodes if type(node) is dict
            ]
        return lambda nodes, root: [node[name] for node in nodes if type(node) is dict for name in argument if name in node]
    if kind == "wildcard":
        return _select_children
    if kind == "slice":
        start, end = argument
        return lambda nodes, root: [item for node in nodes if type(node) is list for item in node[start:end]]
    if kind == "filter":
        return _FilterStep(text, argument)
    if kind == "descent":
        inner_kind, inner_argument = argument
        if inner_kind == "filter":
            # Under recursive descent a filter tests every value below the
            # start, each once.
            predicate = _FilterStep(text, inner_argument)
            return lambda nodes, root: predicate.select_matching(
                [item for node in nodes for item in _descendants(node)], root
            )
        inner = _compile_step(text, inner_kind, inner_argument, is_last)
        return lambda nodes, root: inner([item for node in nodes for item in _self_and_descendants(node)], root)
    raise AssertionError(f"unknown path segment kind {kind!r}")


def _select_children(nodes: list, root: Any) -> list:
    children = []
    for node in nodes:
        if type(node) is dict:
            children.extend(node.values())
        elif type(node) is list:
            children.extend(node)
    return children


def _self_and_descendants(node: Any) -> list:
    """Return the node and every value below it, in document order (pre-order)."""
    collected = []
    stack = [node]
    while stack:
        current = stack.pop()
        collected.append(current)
        if type(current) is dict:
            stack.extend(reversed(list(current.values())))
        elif type(current) is list:
            stack.extend(reversed(current))
    return collected


def _descendants(node: Any) -> list:
    return _self_and_descendants(node)[1:]


class _FilterStep:
    """A filter segment `[?(expression)]`, evaluated with python-jsonpath.

    On an array it selects the elements that match. On an object it selects the
    object itself when it matches, because Jayway applies a filter to a
    non-array value that way. `@` matches scalars too, as in Jayway. The AWS documentation lists "`@` only
    matches objects" among the limits of reference paths, which take no filters
    here. A `$` in the expression is the document's root. python-jsonpath reads it as
    `_`, its name for extra data passed to a filter, because its own `$` would be
    the list of candidates.
    """

    __slots__ = ("_query",)

    def __init__(self, text: str, expression: str):
        self._query = _compile_with_library(text, f"$[?({_rename_root_references(expression)})]")

    def __call__(self, nodes: list, root: Any) -> list:
        selected = []
        for node in nodes:
            if type(node) is list:
                selected.extend(self._find(node, root))
            elif type(node) is dict:
                selected.extend(self._find([node], root))
        return selected

    def select_matching(self, nodes: list, root: Any) -> list:
        return self._find(nodes, root)

    def _find(self, candidates: list, root: Any) -> list:
        import jsonpath

        if not candidates:
            return []
        try:
            return self._query.findall(candidates, filter_context=root)
        except jsonpath.JSONPathError:
            # NOTE: a filter that fails at run time (a type error inside the
            # expression) selects nothing here, and Jayway's behaviour is unverified.
            return []


def _rename_root_references(expression: str) -> str:
    """Replace each root reference `$` in a filter expression with `_`.

    String literals and `=~ /regex/` literals are copied unchanged, so a `$` in
    them keeps its meaning. A `$` followed by a name (a variable) is left alone,
    and python-jsonpath rejects it.
    """
    output = []
    index = 0
    length = len(expression)
    while index < length:
        char = expression[index]

        if char in "'\"":
            end = _end_of_literal(expression, index, char)
            output.append(expression[index:end])
            index = end
            continue

        if expression.startswith("=~", index):
            output.append("=~")
            index += 2
            while index < length and expression[index] == " ":
                output.append(" ")
                index += 1
            if index < length and expression[index] == "/":
                end = _end_of_literal(expression, index, "/")
                output.append(expression[index:end])
                index = end
            continue

        is_root = char == "$" and (index + 1 == length or expression[index + 1] in ".[ )=!<>&|,")
        output.append("_" if is_root else char)
        index += 1
    return "".join(output)


def _end_of_literal(expression: str, start: int, delimiter: str) -> int:
    """Return the index after the literal that opens at `start`; backslashes escape."""
    index = start + 1
    while index < len(expression):
        if expression[index] == "\\":
            index += 2
            continue
        if expression[index] == delimiter:
            return index + 1
        index += 1
    return len(expression)


def _compile_with_library(text: str, body: str):
    import jsonpath

    try:
        return jsonpath.compile(body)
    except jsonpath.JSONPathError as error:
        # python-jsonpath's messages span several lines with a caret diagram;
        # the first line names the problem.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DefinitionSyntaxError(f"The path '{text}' is invalid: {reason}") from None


# -- path functions ----------------------------------------------------------
#
# Jayway functions that end a path and turn its selection into one value. The
# AWS documentation names length() for Paths and excludes functions from
# reference paths.
# NOTE: which other Jayway functions AWS accepts is not recorded. These follow
# Jayway's definitions: the aggregations return floating-point numbers and fail
# on an array without numbers.


def _function_length(path: str, selected: Any) -> Any:
    return len(selected) if type(selected) in (list, dict) else None


def _numbers(path: str, selected: Any) -> list:
    numbers = []
    if type(selected) is list:
        numbers = [float(item) for item in selected if type(item) in (int, float)]
    if not numbers:
        raise PathNotFound(path, "Aggregation function attempted to calculate value using empty array")
    return numbers


def _function_min(path: str, selected: Any) -> float:
    return min(_numbers(path, selected))


def _function_max(path: str, selected: Any) -> float:
    return max(_numbers(path, selected))


def _function_sum(path: str, selected: Any) -> float:
    return float(sum(_numbers(path, selected)))


def _function_avg(path: str, selected: Any) -> float:
    numbers = _numbers(path, selected)
    return sum(numbers) / len(numbers)


def _function_stddev(path: str, selected: Any) -> float:
    numbers = _numbers(path, selected)
    mean = sum(numbers) / len(numbers)
    variance = sum(number * number for number in numbers) / len(numbers) - mean * mean
    return max(variance, 0.0) ** 0.5


def _function_keys(path: str, selected: Any) -> Any:
    return list(selected) if type(selected) is dict else None


def _function_first(path: str, selected: Any) -> Any:
    if type(selected) is list and selected:
        return selected[0]
    raise PathNotFound(path, "first() needs a non-empty array")


def _function_last(path: str, selected: Any) -> Any:
    if type(selected) is list and selected:
        return selected[-1]
    raise PathNotFound(path, "last() needs a non-empty array")


_FUNCTIONS = {
    "length": _function_length,
    "min": _function_min,
    "max": _function_max,
    "avg": _function_avg,
    "stddev": _function_stddev,
    "sum": _function_sum,
    "keys": _function_keys,
    "first": _function_first,
    "last": _function_last,
}


# -- helpers ---------------------------------------------------------------



def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = _json_text(value)
    if len(text) > 60:
        text = text[:60] + "..."
    return f"the {_json_type(value)} {text}"


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=repr)
