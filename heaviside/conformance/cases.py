"""Case files: loading, query-language groups and skip reasons.

Two directories use this format. The corpus of executions recorded against
AWS has one `*.json` file per execution, with `behaviours` codes for its fake
functions and `features` tags. The regression cases have neither, and add
`"kind": "template"` cases and the expected status `INVALID_DEFINITION`.
Features of a case without tags are derived from its definition, so
`--feature` and the summary work for both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heaviside.asl.errors import HeavisideError

__all__ = ["Case", "CaseFileError", "load_cases", "load_case", "QUERY_LANGUAGE_GROUPS"]

# Query-language groups, in the order the report lists them. A case belongs to
# the first group whose tag it has; "JSONPath" is every case with none of them.
QUERY_LANGUAGE_GROUPS = (
    ("Mixed", "QueryLanguage:Mixed"),
    ("JSONata", "QueryLanguage:JSONata"),
    ("JSONPath with variables", "Variables"),
)
JSONPATH_GROUP = "JSONPath"

_STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")


class CaseFileError(HeavisideError):
    """A case file or directory that cannot be read or does not have the case format."""


@dataclass(frozen=True)
class Case:
    """One recorded execution (or regression case) and its expected outcome."""

    id: str
    path: Path
    expected: dict
    definition: dict | None = None
    input: Any = None
    functions: dict = field(default_factory=dict)
    behaviours: dict | None = None
    features: tuple[str, ...] = ()
    execution_type: str = "STANDARD"
    normalize: tuple[tuple[str, str], ...] = ()
    normalized_output_paths: tuple[tuple[str, str], ...] = ()
    runtime_value_placeholders: tuple[str, ...] = ()
    context_names: dict = field(default_factory=dict)
    kind: str = "execution"
    title: str | None = None

    @property
    def query_language(self) -> str:
        """Name of the query-language group the case counts in."""
        for group, tag in QUERY_LANGUAGE_GROUPS:
            if tag in self.features:
                return group
        return JSONPATH_GROUP

    @property
    def expects_invalid_definition(self) -> bool:
        return self.expected.get("status") == "INVALID_DEFINITION"

    def skip_reason(self, known_behaviours: Iterable[str]) -> str | None:
        """Return why this case cannot run here, or None when it can."""
        if self.kind == "template":
            return "template case: it holds a SAM template, not a state machine definition"
        if self.definition is None:
            return "the case has no definition"
        if self.expects_invalid_definition:
            return None
        behaviours = self.behaviours or {}
        known = set(known_behaviours)
        for name in sorted(self.functions):
            code = behaviours.get(name)
            if code is None:
                return f"function {name!r} has no behaviour code, only a description in words"
            if code not in known:
                return f"function {name!r} has the unknown behaviour code {code!r}"
        return None


def load_cases(locations: Iterable[str | Path]) -> list[Case]:
    """Load the cases in each directory (its `*.json` files) or file, sorted by id within a directory.

    Raises CaseFileError for a location that does not exist, a directory
    without case files, or a file that is not a case.
    """
    cases: list[Case] = []
    for location in locations:
        path = Path(location)
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            if not files:
                raise CaseFileError(f"{path}: no case files (*.json) in this directory")
            loaded = [load_case(file) for file in files]
            cases.extend(sorted(loaded, key=lambda case: case.id))
        elif path.is_file():
            cases.append(load_case(path))
        else:
            raise CaseFileError(f"{path}: no such file or directory")
    return cases


def load_case(path: Path) -> Case:
    """Load one case file. Raises CaseFileError naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CaseFileError(f"{path}: cannot read the file: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CaseFileError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(data, dict):
        raise CaseFileError(f"{path}: a case file must hold a JSON object")

    expected = data.get("expected")
    if not isinstance(expected, dict) or not isinstance(expected.get("status"), str):
        raise CaseFileError(f"{path}: missing 'expected' object with a 'status'")
    kind = data.get("kind", "execution")
    definition = data.get("definition")
    if kind != "template" and not isinstance(definition, dict):
        raise CaseFileError(f"{path}: missing 'definition' object")

    features = data.get("features")
    if features is None:
        features = _derive_features(definition) if isinstance(definition, dict) else []
    return Case(
        id=str(data.get("id") or path.stem),
        path=path,
        expected=expected,
        definition=definition if isinstance(definition, dict) else None,
        input=data.get("input"),
        functions=dict(data.get("functions") or {}),
        behaviours=data.get("behaviours"),
        features=tuple(features),
        execution_type=data.get("execution_type") or "STANDARD",
        normalize=tuple((rule["pattern"], rule["replacement"]) for rule in data.get("normalize") or ()),
        normalized_output_paths=tuple(
            (rule["path"], rule["replacement"]) for rule in data.get("normalized_output_paths") or ()
        ),
        runtime_value_placeholders=tuple(data.get("runtime_value_placeholders") or ()),
        context_names=dict(data.get("context_names") or {}),
        kind=kind,
        title=data.get("title"),
    )


def _derive_features(definition: dict) -> list[str]:
    """Tag a definition the way the corpus tags its cases: state types, query language, variables."""
    features: set[str] = set()
    languages: set[str] = set()
    top_language = definition.get("QueryLanguage", "JSONPath")
    languages.add(top_language)

    def visit(machine: dict) -> None:
        states = machine.get("States")
        if not isinstance(states, dict):
            return
        for state in states.values():
            if not isinstance(state, dict):
                continue
            if state.get("Type") in _STATE_TYPES:
                features.add(state["Type"])
            languages.add(state.get("QueryLanguage", top_language))
            if "Assign" in state or any(isinstance(rule, dict) and "Assign" in rule for rule in state.get("Choices", ())):
                features.add("Variables")
            for branch in state.get("Branches", ()):
                if isinstance(branch, dict):
                    visit(branch)
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    visit(state[key])

    visit(definition)
    if len(languages) > 1:
        features.add("QueryLanguage:Mixed")
    else:
        features.add(f"QueryLanguage:{languages.pop()}")
    return sorted(features)
