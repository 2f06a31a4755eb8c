"""Rules for a whole state machine and for each nested one (Parallel branches,
Map item processors): StartAt, the States object, unique state names,
transition targets, reachability and terminal states.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from heaviside.asl.errors import Problem
from heaviside.asl.validation import fields as field_tables
from heaviside.asl.validation.report import (
    DUPLICATE_STATE_NAME,
    INVALID_STATE_NAME,
    JSONATA,
    JSONPATH,
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    QUERY_LANGUAGES,
    Report,
    describe,
    is_integer,
    join,
    join_words,
    quote,
    with_article,
)
from heaviside.asl.validation.states import check_state
from heaviside.asl.validation.values import check_json_values
from heaviside.asl.validation.variables import assigned_names

MAX_STATE_NAME_LENGTH = 80
# Step Functions rejects definitions over 1 MiB of JSON text (a hard quota).
MAX_DEFINITION_BYTES = 1_048_576


@dataclass(frozen=True)
class Scope:
    """Settings that the states of one States object inherit from the scopes around them."""

    # The machine's QueryLanguage: the default of every state at any depth.
    top_language: str
    # Variables assigned by the enclosing scopes, which this scope may read
    # but not assign.
    outer_names: frozenset[str] = frozenset()
    # The States object of this scope, whose assignments its inner scopes see.
    states: Mapping[Any, Any] = field(default_factory=dict)

    def inner(self, state: dict, *, distributed: bool = False) -> "Scope":
        """Return the scope of a branch or item processor of `state`.

        A distributed Map runs each iteration as a child execution that cannot
        see the parent's variables, so its processor starts with no outer names.
        The enclosing state's own Assign and catchers run after its branches
        or iterations end, so their names do not count as outer ones: AWS
        accepted a Parallel whose catcher and branch assign the same name.
        """
        if distributed:
            return Scope(self.top_language)
        # NOTE: AWS documents that inner scopes may not reassign outer names,
        # but not how it decides statically which names are outer. This takes
        # every name assigned by another state of the enclosing States object.
        others = [other for other in self.states.values() if other is not state]
        return Scope(self.top_language, self.outer_names | _names_assigned_in(others))


def validate(raw: Any) -> list[Problem]:
    """Return every problem of a definition; an empty list means AWS would accept it.

    Never raises: malformed input of any shape becomes problems.
    """
    report = Report()
    try:
        _validate(raw, report)
    except RecursionError:
        report.add("$", "The definition is nested too deeply to validate; flatten it.")
    return report.problems


def _validate(raw: Any, report: Report) -> None:
    if not isinstance(raw, dict):
        report.add("$", f"A state machine definition must be a JSON object with StartAt and States, not {describe(raw)}.")
        return

    for field in raw:
        if field not in field_tables.TOP_LEVEL_FIELDS:
            report.add(join("$", field), f"Field {quote(str(field))} is not supported at the top level of a state machine; remove it.")
    if "Comment" in raw and not isinstance(raw["Comment"], str):
        report.add("$.Comment", f"Comment must be a string, not {describe(raw['Comment'])}.")
    if "Version" in raw and not isinstance(raw["Version"], str):
        report.add("$.Version", f"Version must be a string such as \"1.0\", not {describe(raw['Version'])}.")
    if "TimeoutSeconds" in raw:
        timeout = raw["TimeoutSeconds"]
        if not is_integer(timeout) or timeout < 1:
            report.add("$.TimeoutSeconds", f"TimeoutSeconds must be a positive integer, not {describe(timeout)}.")
    language = raw.get("QueryLanguage", JSONPATH)
    if language not in QUERY_LANGUAGES:
        report.add("$.QueryLanguage", f"QueryLanguage must be \"JSONPath\" or \"JSONata\", not {describe(language)}.")
        # As for a state, any value other than "JSONPath" selects JSONata.
        language = JSONATA

    checker = MachineChecker(report)
    checker.check_machine("$", raw, None, "state machine", Scope(language))
    check_json_values(report, "$", raw, frozenset(checker.states_objects))
    _check_size(report, raw)


def _check_size(report: Report, raw: dict) -> None:
    try:
        size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    except TypeError:
        # Values that are not JSON, which check_json_values reports.
        return
    except ValueError:
        report.add("$", "The definition contains a value that contains itself (a recursive YAML alias or a circular Python object), which JSON cannot represent.")
        return
    except RecursionError:
        report.add("$", "The definition is nested too deeply to measure its size; flatten it.")
        return
    if size > MAX_DEFINITION_BYTES:
        report.add("$", f"The definition is {size} bytes of JSON, over the limit of {MAX_DEFINITION_BYTES} bytes (1 MiB); move large constants into the input or into S3.")


class MachineChecker:
    """Walks a machine and its nested machines, sharing the report and the
    record of state names, which must be unique across all of them."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.state_names: dict[str, str] = {}
        # ids of the States objects walked, whose repeated keys are state names
        self.states_objects: set[int] = set()

    def check_machine(
        self,
        path: str,
        machine: Any,
        allowed_fields: frozenset[str] | None,
        kind: str,
        scope: Scope,
    ) -> None:
        """Check one States object with its StartAt; `allowed_fields` is None at the top level,
        whose fields the caller checks."""
        report = self.report
        if not isinstance(machine, dict):
            described_kind = with_article(kind)
            report.add(path, f"{described_kind[0].upper()}{described_kind[1:]} must be an object with StartAt and States, not {describe(machine)}.")
            return
        if allowed_fields is not None:
            for field in machine:
                if field not in allowed_fields:
                    report.add(join(path, field), f"Field {quote(str(field))} is not supported in {with_article(kind)}; use {join_words(sorted(allowed_fields), 'or')}.")
            if "Comment" in machine and not isinstance(machine["Comment"], str):
                report.add(join(path, "Comment"), f"Comment must be a string, not {describe(machine['Comment'])}.")

        states = machine.get("States")
        states_path = join(path, "States")
        if "States" not in machine:
            report.add(path, f"This {kind} has no States; add a States object that maps state names to states.")
            states = None
        elif not isinstance(states, dict) or not states:
            report.add(states_path, f"States must be an object with at least one state, not {describe(states)}.")
            states = None

        start_at = machine.get("StartAt")
        if "StartAt" not in machine:
            report.add(path, f"This {kind} has no StartAt; add \"StartAt\" with the name of its first state.")
            start_at = None
        elif not isinstance(start_at, str):
            report.add(join(path, "StartAt"), f"StartAt must be a state name string, not {describe(start_at)}.")
            start_at = None
        elif states is not None and start_at not in states:
            report.add(join(path, "StartAt"), f"StartAt names the state {quote(start_at)}, which is not in this States object; add it or correct the name.", MISSING_TRANSITION_TARGET)

        if states is None:
            return

        self.states_objects.add(id(states))
        for name in getattr(states, "duplicate_keys", ()):
            report.add(join(states_path, name), f"The state name {quote(str(name))} appears more than once in this States object; state names must be unique, so rename or remove one.", DUPLICATE_STATE_NAME)

        scope = replace(scope, states=states)
        for name, state in states.items():
            state_path = join(states_path, name)
            self._check_state_name(state_path, name)
            check_state(self, state_path, state, scope)

        self._check_graph(path, states_path, states, start_at, kind)

    def _check_state_name(self, path: str, name: Any) -> None:
        if not isinstance(name, str):
            self.report.add(path, f"A state name must be a string, not {describe(name)}.")
            return
        if len(name) > MAX_STATE_NAME_LENGTH:
            self.report.add(path, f"The state name {quote(name)} has {len(name)} characters; the maximum is {MAX_STATE_NAME_LENGTH}, so shorten it.", INVALID_STATE_NAME)
        first = self.state_names.get(name)
        if first is not None:
            self.report.add(path, f"The state name {quote(name)} is already used at {first}; state names must be unique in the whole state machine, nested ones included.", DUPLICATE_STATE_NAME)
        else:
            self.state_names[name] = path

    def _check_graph(self, path: str, states_path: str, states: dict, start_at: str | None, kind: str) -> None:
        report = self.report
        edges: dict[Any, list[str]] = {}
        for name, state in states.items():
            targets = []
            for target_path, target in _transitions(join(states_path, name), state):
                if target in states:
                    targets.append(target)
                else:
                    suggestion = _closest_state_name(target, states)
                    hint = f" (did you mean {quote(suggestion)}?)" if suggestion is not None else ""
                    report.add(target_path, f"The transition target {quote(target)} is not a state of this {kind}{hint}; add it or correct the name (a transition cannot leave its branch or Map).", MISSING_TRANSITION_TARGET)
            edges[name] = targets

        # AWS reports a States object without any terminal state once, and
        # then skips the reachability check (recorded with AWS's validator).
        if not any(_is_terminal(state) for state in states.values()):
            report.add(path, f"This {kind} has no terminal state; give a state \"End\": true, or add a Succeed or Fail state.", MISSING_END_STATE)
            return

        if start_at in states:
            reachable = _reachable(start_at, edges)
            for name in states:
                if name not in reachable:
                    report.add(join(states_path, name), f"State {quote(str(name))} is not reachable from StartAt {quote(start_at)}; add a transition to it or remove it.", MISSING_TRANSITION_TARGET)


def _closest_state_name(target: Any, states: Mapping) -> str | None:
    """Return the state name closest to a misspelled transition target, or None when none is close."""
    if not isinstance(target, str):
        return None
    names = [name for name in states if isinstance(name, str)]
    matches = difflib.get_close_matches(target, names, n=1)
    return matches[0] if matches else None


def _transitions(path: str, state: Any):
    """Yield (JSON path, target) for every state name that `state` can go to."""
    if not isinstance(state, dict):
        return
    if isinstance(state.get("Next"), str):
        yield join(path, "Next"), state["Next"]
    if state.get("Type") == "Choice":
        if isinstance(state.get("Default"), str):
            yield join(path, "Default"), state["Default"]
        choices = state.get("Choices")
        if isinstance(choices, list):
            for index, rule in enumerate(choices):
                if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                    yield join(join(join(path, "Choices"), index), "Next"), rule["Next"]
    catchers = state.get("Catch")
    if isinstance(catchers, list):
        for index, catcher in enumerate(catchers):
            if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
                yield join(join(join(path, "Catch"), index), "Next"), catcher["Next"]


def _reachable(start: str, edges: dict[Any, list[str]]) -> set:
    seen = {start}
    pending = [start]
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def _is_terminal(state: Any) -> bool:
    if not isinstance(state, dict):
        return False
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _names_assigned_in(states: Iterable[Any]) -> frozenset[str]:
    names: set[str] = set()
    for state in states:
        if not isinstance(state, dict):
            continue
        names.update(assigned_names(state.get("Assign")))
        for rule in state.get("Choices", ()) if isinstance(state.get("Choices"), list) else ():
            if isinstance(rule, dict):
                names.update(assigned_names(rule.get("Assign")))
        for catcher in state.get("Catch", ()) if isinstance(state.get("Catch"), list) else ():
            if isinstance(catcher, dict):
                names.update(assigned_names(catcher.get("Assign")))
    return frozenset(names)
