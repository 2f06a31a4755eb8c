"""Workflow variables: Assign fields, variable scopes, names and size limits.

An Assign field maps variable names to values. In a JSONPath state a key
ending in ``.$`` contains a path (``$.x``, ``$$.x``, ``$name``) or an intrinsic
function call; in a JSONata state any ``{% ... %}`` string at any depth is an
expression. Every expression of a state reads the variables as they were when
the state was entered, so ``{"a": "{% $b %}", "b": "{% $a %}"}`` swaps two
variables; the new values become visible in the next state.

Scopes: the machine's States object is the outer scope, and each Parallel
branch and Map iteration runs in a new inner scope. An inner scope reads the
outer variables; the validator rejects an inner Assign of a name that an outer
scope assigns, so at run time a name found in an outer scope can only come
from a catcher or Assign of the Parallel or Map state itself, and is set
there. An inner scope's variables end with its branch or iteration.

Limits, as AWS publishes them for variables: 256 KiB per variable, 256 KiB
per Assign and 10 MiB per execution. heaviside counts UTF-8 bytes of compact
JSON.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from heaviside.asl.errors import DefinitionSyntaxError, StatesError

__all__ = [
    "MAX_ASSIGN_BYTES",
    "MAX_EXECUTION_VARIABLES_BYTES",
    "MAX_VARIABLE_BYTES",
    "MAX_VARIABLE_NAME_LENGTH",
    "RESERVED_VARIABLE_NAME",
    "Assign",
    "VariableScopes",
    "check_assign_size",
    "compile_assign",
    "is_valid_variable_name",
    "variable_name_problem",
]

MAX_VARIABLE_BYTES = 256 * 1024
MAX_ASSIGN_BYTES = 256 * 1024
MAX_EXECUTION_VARIABLES_BYTES = 10 * 1024 * 1024
MAX_VARIABLE_NAME_LENGTH = 80

# `$states` is the reserved variable of JSONata states.
RESERVED_VARIABLE_NAME = "states"

# NOTE: AWS documents the limits but not the error it raises; heaviside uses
# States.DataLimitExceeded, AWS's error for other data over a size quota.
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

JSONPATH = "JSONPath"
JSONATA = "JSONata"


def variable_name_problem(name: Any) -> str | None:
    """Return why `name` cannot be a variable name, or None when it can.

    A name is a Unicode identifier (a letter or ``_``, then letters, digits
    and ``_``) of at most 80 characters, is not ``states``, and names a whole
    variable: Assign cannot set ``x.y`` or ``x[2]``.
    """
    if not isinstance(name, str):
        return f"The variable name {name!r} must be a string."
    if "." in name or "[" in name:
        base = name.split(".", 1)[0].split("[", 1)[0]
        return (
            f"Assign cannot set part of a variable ('{name}'); assign the whole variable "
            f"'{base}' with the new value instead."
        )
    if name == RESERVED_VARIABLE_NAME:
        return f"The variable name '{name}' is reserved by Step Functions; choose another name."
    if not name.isidentifier():
        return (
            f"The variable name '{name}' is invalid; a name starts with a letter or '_' "
            "and contains only letters, digits and '_'."
        )
    if len(name) > MAX_VARIABLE_NAME_LENGTH:
        return f"The variable name '{name}' has {len(name)} characters; the maximum is {MAX_VARIABLE_NAME_LENGTH}."
    return None


def is_valid_variable_name(name: Any) -> bool:
    return variable_name_problem(name) is None


def compile_assign(obj: Any, query_language: str) -> Assign:
    """Compile an Assign field of a state, Choice rule or catcher.

    `query_language` is ``JSONPath`` or ``JSONata``, the language of the state
    that contains the field. Raises DefinitionSyntaxError when `obj` is not an
    object, a name is invalid, or a value does not compile.
    """
    if not isinstance(obj, dict):
        raise DefinitionSyntaxError(f"Assign must be an object of variable names to values, not {_json(obj)}.")
    if query_language not in (JSONPATH, JSONATA):
        raise ValueError(f"query_language must be {JSONPATH!r} or {JSONATA!r}, not {query_language!r}")

    names = []
    for key in obj:
        name = key[:-2] if query_language == JSONPATH and isinstance(key, str) and key.endswith(".$") else key
        problem = variable_name_problem(name)
        if problem is not None:
            raise DefinitionSyntaxError(problem)
        names.append(name)

    if query_language == JSONATA:
        from heaviside.asl.jsonata import compile_jsonata_template

        template = compile_jsonata_template(obj, "Assign")
    else:
        from heaviside.asl.templates import compile_payload_template

        template = compile_payload_template(obj, "Assign")
    return Assign(query_language, tuple(names), template)


class Assign:
    """A compiled Assign field; `names` are the variables it sets."""

    __slots__ = ("query_language", "names", "_template")

    def __init__(self, query_language: str, names: tuple[str, ...], template: Any):
        self.query_language = query_language
        self.names = names
        self._template = template

    def evaluate(
        self,
        variables: Mapping[str, Any],
        *,
        value: Any = None,
        context: Mapping[str, Any] | None = None,
        states: Mapping[str, Any] | None = None,
        now: str | None = None,
    ) -> dict:
        """Return the new values by name, computed from the variables before this Assign.

        A JSONPath Assign reads `value` as ``$`` and `context` as ``$$``; a
        JSONata Assign reads `states` as ``$states`` and `now` (ISO 8601) as
        ``$now()``, which reads the clock when `now` is None. Raises
        StatesError for a failed expression and for values over the size limits.
        """
        if self.query_language == JSONATA:
            values = self._template.evaluate(states or {}, variables, now=now)
        else:
            values = self._template.evaluate(value, context, variables)
        check_assign_size(values)
        return values


def check_assign_size(values: Mapping[str, Any]) -> None:
    """Raise States.DataLimitExceeded when a value or the whole Assign is over 256 KiB."""
    total = 0
    for name, value in values.items():
        size = _json_size(value)
        if size > MAX_VARIABLE_BYTES:
            raise StatesError(
                DATA_LIMIT_EXCEEDED,
                f"The value assigned to the variable '{name}' is {size} bytes, over the limit of "
                f"{MAX_VARIABLE_BYTES} bytes (256 KiB) per variable.",
            )
        total += size
    if total > MAX_ASSIGN_BYTES:
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The values of this Assign are {total} bytes together, over the limit of "
            f"{MAX_ASSIGN_BYTES} bytes (256 KiB) per Assign.",
        )


class VariableScopes:
    """The variables of one thread of an execution, one mapping per scope, outermost first.

    Instances are immutable: `enter`, `leave` and `assign` return new ones.
    `to_json` gives plain data for the envelope; `from_json` reads it back.
    """

    __slots__ = ("scopes", "_visible", "_size")

    def __init__(self, scopes: Iterable[Mapping[str, Any]] = ({},), *, size: int | None = None):
        self.scopes: tuple[dict, ...] = tuple(dict(scope) for scope in scopes) or ({},)
        self._visible: dict | None = None
        self._size = size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariableScopes) and self.scopes == other.scopes

    def __repr__(self) -> str:
        return f"VariableScopes({list(self.scopes)!r})"

    @property
    def depth(self) -> int:
        return len(self.scopes)

    def visible(self) -> Mapping[str, Any]:
        """Return every variable this scope can read; the validator keeps names unique across scopes."""
        if self._visible is None:
            merged: dict = {}
            for scope in self.scopes:
                merged.update(scope)
            self._visible = merged
        return self._visible

    def enter(self) -> VariableScopes:
        """Return the scopes of a new Parallel branch or Map iteration."""
        return VariableScopes((*self.scopes, {}), size=self._size)

    def leave(self) -> VariableScopes:
        """Return the enclosing scopes, dropping the variables of the ending branch or iteration."""
        if len(self.scopes) == 1:
            raise ValueError("cannot leave the outermost variable scope")
        return VariableScopes(self.scopes[:-1])

    def assign(self, values: Mapping[str, Any]) -> VariableScopes:
        """Return the scopes with `values` set.

        A name that an enclosing scope contains is set in that scope (a catcher
        or Assign of a Parallel or Map state sets outer variables); any other
        name is set in the innermost scope. Raises States.DataLimitExceeded
        when the variables would exceed 10 MiB.
        """
        if not values:
            return self
        scopes = [dict(scope) for scope in self.scopes]
        size = self.size()
        for name, value in values.items():
            target = scopes[-1]
            for scope in scopes[:-1]:
                if name in scope:
                    target = scope
                    break
            if name in target:
                size -= _json_size(target[name])
            size += _json_size(value)
            target[name] = value
        if size > MAX_EXECUTION_VARIABLES_BYTES:
            raise StatesError(
                DATA_LIMIT_EXCEEDED,
                f"The workflow variables would take {size} bytes, over the limit of "
                f"{MAX_EXECUTION_VARIABLES_BYTES} bytes (10 MiB) per execution.",
            )
        return VariableScopes(scopes, size=size)

    def size(self) -> int:
        """Return the size of all variables in scope, in UTF-8 bytes of compact JSON."""
        if self._size is None:
            self._size = sum(_json_size(value) for scope in self.scopes for value in scope.values())
        return self._size

    def to_json(self) -> list[dict]:
        return [dict(scope) for scope in self.scopes]

    @classmethod
    def from_json(cls, data: Any) -> VariableScopes:
        """Read scopes written by `to_json`; raises ValueError for anything else."""
        if not isinstance(data, list) or not data or not all(isinstance(scope, dict) for scope in data):
            raise ValueError(f"variable scopes must be a non-empty list of objects, not {_json(data)[:200]}")
        return cls(data)


def _json_size(value: Any) -> int:
    return len(_json(value).encode("utf-8"))


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
