"""A machine's definition as the macro publishes it: placeholders and substitutions.

Intrinsic functions inside an inline Definition are replaced by
``${definition_substitution_N}`` placeholders, numbered the way the SAM
translator numbers them (depth first, keys in sorted order, from 1), and
merged with the user's DefinitionSubstitutions. CloudFormation then resolves
the values at deploy time through ``Fn::Sub``.

One deliberate difference from the SAM translator concerns numbers. A
placeholder in a field that ASL requires to be a number (``TimeoutSeconds``,
``MaxConcurrency`` ...), or a ``Ref`` to a parameter of type Number anywhere,
is written without quotes, so the deployed definition has a number there. The translator writes
``"TimeoutSeconds": "${definition_substitution_1}"``, a string that Step
Functions then rejects with SCHEMA_VALIDATION_FAILED.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

# Fields whose value ASL requires to be a number.
NUMERIC_FIELDS = frozenset(
    {
        "BackoffRate",
        "HeartbeatSeconds",
        "IntervalSeconds",
        "MaxAttempts",
        "MaxConcurrency",
        "MaxDelaySeconds",
        "MaxInputBytesPerBatch",
        "MaxItems",
        "MaxItemsPerBatch",
        "NumericEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "Seconds",
        "TimeoutSeconds",
        "ToleratedFailureCount",
        "ToleratedFailurePercentage",
    }
)

SUBSTITUTION_NAME = "definition_substitution_{}"
SUBSTITUTION_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
_DYNAMIC_REFERENCE = re.compile(r"^{{resolve:([a-z-]+):(.+)}}$")
_NUMBER_PARAMETER_TYPES = frozenset({"Number", "AWS::SSM::Parameter::Value<Number>"})


@dataclass
class PublishedDefinition:
    """A definition with ``${name}`` placeholders and the values CloudFormation substitutes.

    `raw` is the definition with every intrinsic replaced by a placeholder
    string. `substitutions` maps each placeholder name to its value, a literal
    or an intrinsic function. `numeric` names the placeholders written
    without quotes.
    """

    raw: dict[str, Any]
    substitutions: dict[str, Any] = field(default_factory=dict)
    numeric: frozenset[str] = frozenset()

    def text(self) -> str:
        """Render the definition as compact JSON for ``Fn::Sub``.

        A ``${`` that starts no known placeholder is escaped as ``${!``, so
        CloudFormation leaves it as written, as Step Functions does with names
        missing from DefinitionSubstitutions.
        """
        text = json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False)
        for name in self.numeric:
            text = text.replace(f'"${{{name}}}"', f"${{{name}}}")
        return escape_unknown_placeholders(text, self.used_substitutions(text))

    def used_substitutions(self, text: str | None = None) -> dict[str, Any]:
        """Return the substitutions whose placeholder occurs in the definition, in name order."""
        if text is None:
            text = json.dumps(self.raw, ensure_ascii=False)
        return {name: value for name, value in sorted(self.substitutions.items()) if f"${{{name}}}" in text}


def replace_intrinsics(
    definition: dict[str, Any], parameters: dict[str, Any] | None = None
) -> PublishedDefinition:
    """Replace each intrinsic function and dynamic reference in `definition` by a placeholder.

    `parameters` is the template's Parameters section; a ``Ref`` to one of
    type Number becomes an unquoted placeholder wherever it is.
    """
    raw = copy.deepcopy(definition)
    substitutions: dict[str, Any] = {}
    numeric: set[str] = set()
    parameters = parameters or {}

    for number, path in enumerate(_paths_to_intrinsics(raw), start=1):
        parent = raw
        for step in path[:-1]:
            parent = parent[step]
        name = SUBSTITUTION_NAME.format(number)
        value = parent[path[-1]]
        substitutions[name] = value
        parent[path[-1]] = f"${{{name}}}"
        if path[-1] in NUMERIC_FIELDS or _is_number_parameter(value, parameters):
            numeric.add(name)

    return PublishedDefinition(raw=raw, substitutions=substitutions, numeric=frozenset(numeric))


def is_intrinsic(value: Any) -> bool:
    """Tell whether `value` is an intrinsic function, by the SAM translator's rule."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key in ("Ref", "Condition") or key.startswith("Fn::")
    return False


def is_dynamic_reference(value: Any) -> bool:
    """Tell whether `value` is a CloudFormation dynamic reference (``{{resolve:ssm:name}}``)."""
    return isinstance(value, str) and _DYNAMIC_REFERENCE.match(value) is not None


def placeholder_name(value: Any) -> str | None:
    """Return ``name`` when `value` is exactly the placeholder ``${name}``, else None."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return value[2:-1]
    return None


def escape_unknown_placeholders(text: str, known: dict[str, Any]) -> str:
    """Escape every ``${`` in `text` that does not start one of the `known` placeholders."""
    if not known:
        return text.replace("${", "${!")
    names = "|".join(re.escape(name) for name in sorted(known, key=len, reverse=True))
    return re.sub(r"\$\{(?!(?:" + names + r")\})", "${!", text)


def substitute(text: str, values: dict[str, str]) -> str:
    """Resolve `text` the way ``Fn::Sub`` with a variable map does, for tests and local runs.

    Each ``${name}`` with a name in `values` is replaced by its value, and
    each escaped ``${!`` becomes ``${``.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        return values.get(name, match.group(0))

    return re.sub(r"\$\{([^}]*)\}", replace, text)


def iter_states(definition: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (name, JSON path, state) for every state, inside Parallel branches and Map too."""
    states = definition.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        path = f"{prefix}$.States.{name}" if not prefix else f"{prefix}.States.{name}"
        yield name, path, state
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from iter_states(branch, f"{path}.Branches[{index}]")
        for key in ("ItemProcessor", "Iterator"):
            processor = state.get(key)
            if isinstance(processor, dict):
                yield from iter_states(processor, f"{path}.{key}")


def _paths_to_intrinsics(value: Any, path: list[Any] | None = None) -> list[list[Any]]:
    path = path or []
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: item[0])
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []

    found = []
    for key, item in items:
        if is_intrinsic(item) or is_dynamic_reference(item):
            found.append([*path, key])
        elif isinstance(item, (dict, list)):
            found.extend(_paths_to_intrinsics(item, [*path, key]))
    return found


def _is_number_parameter(value: Any, parameters: dict[str, Any]) -> bool:
    if not (isinstance(value, dict) and list(value) == ["Ref"]):
        return False
    parameter = parameters.get(value["Ref"])
    return isinstance(parameter, dict) and parameter.get("Type") in _NUMBER_PARAMETER_TYPES
