"""The compile step: a definition's expressions parsed once into a `Program`.

Every path, payload template, Choice rule and JSONata expression of every
state (nested branches and iterations included) is compiled here, so a
transition only evaluates. State names are unique across the whole machine,
so one table maps each name to its compiled state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from heaviside.asl import model
from heaviside.asl.model import ABSENT, Definition, State, StateMachineBody
from heaviside.engine import compilers, fast_path
from heaviside.engine.cursor import Cursor


@dataclass
class CompiledChoice:
    rule: Any
    next: str
    assign: Any = None
    output: Any = None


@dataclass
class CompiledState:
    """A state with its expressions compiled, where None marks an absent field.

    `input_path` and `output_path` are compiled paths, or None when the
    definition sets them to null. `discards_result` is True for a null
    ResultPath, which keeps the raw input as the output.
    """

    state: State
    name: str
    type: str
    jsonata: bool
    next: str | None
    input_path: Any = None
    output_path: Any = None
    parameters: Any = None
    result_selector: Any = None
    result_path: Any = None
    discards_result: bool = False
    result: Any = ABSENT
    arguments: Any = None
    output: Any = None
    assign: Any = None
    retriers: tuple = ()
    catchers: tuple = ()
    choices: tuple = ()
    fields: dict = field(default_factory=dict)
    branches: tuple[StateMachineBody, ...] = ()
    # True when the branches or iteration have neither Task nor Wait inside,
    # so the engine evaluates them within one call instead of forking.
    inline: bool = False


@dataclass
class CompiledCatcher:
    catcher: model.Catcher
    result_path: Any
    discards_result: bool
    output: Any
    assign: Any


class Program:
    """A compiled definition: the start state, the compiled states and the timeout."""

    def __init__(self, definition: Definition):
        self.definition = definition
        self.start_at = definition.start_at
        # Where every execution starts; cursors are immutable, so one serves all.
        self.start_cursor = Cursor(state=definition.start_at)
        self.timeout_seconds = definition.timeout_seconds
        self.states: dict[str, CompiledState] = {}
        self._compile_body(definition)
        self.fast_steps = fast_path.compile_steps(self.states)
        # With a driver's inline calls, Task states take the fast path too.
        self.inline_steps = {**self.fast_steps, **fast_path.compile_task_steps(self.states)}

    def state(self, name: str) -> CompiledState:
        return self.states[name]

    def _compile_body(self, body: StateMachineBody) -> None:
        for state in body.states.values():
            self.states[state.name] = _compile_state(state)
            if isinstance(state, model.ParallelState):
                for branch in state.branches:
                    self._compile_body(branch)
            elif isinstance(state, model.MapState) and state.item_processor is not None:
                self._compile_body(state.item_processor)


_cache: dict[int, tuple[Definition, Program]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 64


def compile_program(definition: Definition) -> Program:
    """Compile `definition`, or return the program compiled earlier for the same object."""
    key = id(definition)
    cached = _cache.get(key)
    if cached is not None and cached[0] is definition:
        return cached[1]
    program = Program(definition)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (definition, program)
    return program


def _compile_state(state: State) -> CompiledState:
    jsonata = state.is_jsonata
    compiled = CompiledState(state=state, name=state.name, type=state.type, jsonata=jsonata, next=state.next)
    if jsonata:
        compiled.output = compilers.jsonata_template(state.output)
        compiled.assign = compilers.assign(state.assign, jsonata=True)
    else:
        compiled.input_path = compilers.path(state.input_path)
        compiled.output_path = compilers.path(state.output_path)
        compiled.assign = compilers.assign(state.assign, jsonata=False)

    result_path = getattr(state, "result_path", "$")
    if not jsonata:
        compiled.discards_result = result_path is None
        compiled.result_path = compilers.reference_path(result_path)
        compiled.parameters = compilers.payload_template(getattr(state, "parameters", ABSENT), "Parameters")
        compiled.result_selector = compilers.payload_template(
            getattr(state, "result_selector", ABSENT), "ResultSelector"
        )
    else:
        compiled.arguments = compilers.jsonata_template(getattr(state, "arguments", ABSENT))

    if isinstance(state, model.PassState):
        compiled.result = state.result
    elif isinstance(state, model.TaskState):
        _compile_task(state, compiled)
    elif isinstance(state, model.ChoiceState):
        compiled.choices = tuple(
            CompiledChoice(
                rule=compilers.choice_rule(branch.rule, jsonata),
                next=branch.next,
                assign=compilers.assign(branch.assign, jsonata=jsonata),
                output=compilers.jsonata_template(branch.output) if jsonata else None,
            )
            for branch in state.choices
        )
    elif isinstance(state, model.WaitState):
        _compile_wait(state, compiled)
    elif isinstance(state, model.FailState):
        _compile_fail(state, compiled)
    elif isinstance(state, model.ParallelState):
        compiled.branches = state.branches
        compiled.inline = all(_is_control_only(branch) for branch in state.branches)
    elif isinstance(state, model.MapState):
        _compile_map(state, compiled)

    if isinstance(state, (model.TaskState, model.ParallelState, model.MapState)):
        compiled.retriers = state.retry
        compiled.catchers = tuple(_compile_catcher(catcher, jsonata) for catcher in state.catch)
    return compiled


def _compile_task(state: model.TaskState, compiled: CompiledState) -> None:
    fields = compiled.fields
    fields["resource"] = state.resource
    fields["timeout_seconds"] = compilers.number_field(state.timeout_seconds, state.is_jsonata)
    fields["timeout_seconds_path"] = compilers.path(state.timeout_seconds_path, absent=None)
    fields["heartbeat_seconds"] = compilers.number_field(state.heartbeat_seconds, state.is_jsonata)
    fields["heartbeat_seconds_path"] = compilers.path(state.heartbeat_seconds_path, absent=None)


def _compile_wait(state: model.WaitState, compiled: CompiledState) -> None:
    fields = compiled.fields
    fields["seconds"] = compilers.number_field(state.seconds, state.is_jsonata)
    fields["seconds_path"] = compilers.path(state.seconds_path, absent=None)
    fields["timestamp"] = compilers.number_field(state.timestamp, state.is_jsonata)
    fields["timestamp_path"] = compilers.path(state.timestamp_path, absent=None)


def _compile_fail(state: model.FailState, compiled: CompiledState) -> None:
    fields = compiled.fields
    fields["error"] = compilers.number_field(state.error, state.is_jsonata)
    fields["cause"] = compilers.number_field(state.cause, state.is_jsonata)
    fields["error_path"] = compilers.fail_path(state.error_path, "ErrorPath")
    fields["cause_path"] = compilers.fail_path(state.cause_path, "CausePath")


def _compile_map(state: model.MapState, compiled: CompiledState) -> None:
    fields = compiled.fields
    jsonata = state.is_jsonata
    body = state.item_processor
    compiled.branches = (body,) if body is not None else ()
    compiled.inline = body is not None and _is_control_only(body)
    if jsonata:
        fields["items"] = compilers.jsonata_items(state.items)
        fields["item_selector"] = compilers.jsonata_template(state.item_selector)
    else:
        fields["items_path"] = compilers.path(state.items_path, absent=None)
        fields["item_selector"] = compilers.payload_template(state.item_selector, "ItemSelector")
    fields["max_concurrency"] = compilers.number_field(state.max_concurrency, jsonata)
    fields["max_concurrency_path"] = compilers.path(state.max_concurrency_path, absent=None)
    fields["tolerated_failure_count"] = compilers.number_field(state.tolerated_failure_count, jsonata)
    fields["tolerated_failure_count_path"] = compilers.path(state.tolerated_failure_count_path, absent=None)
    fields["tolerated_failure_percentage"] = compilers.number_field(state.tolerated_failure_percentage, jsonata)
    fields["tolerated_failure_percentage_path"] = compilers.path(
        state.tolerated_failure_percentage_path, absent=None
    )
    fields["item_batcher"] = state.item_batcher
    fields["item_reader"] = state.item_reader


def _compile_catcher(catcher: model.Catcher, jsonata: bool) -> CompiledCatcher:
    if jsonata:
        return CompiledCatcher(
            catcher=catcher,
            result_path=None,
            discards_result=False,
            output=compilers.jsonata_template(catcher.output),
            assign=compilers.assign(catcher.assign, jsonata=True),
        )
    return CompiledCatcher(
        catcher=catcher,
        result_path=compilers.reference_path(catcher.result_path),
        discards_result=catcher.result_path is None,
        output=None,
        assign=compilers.assign(catcher.assign, jsonata=False),
    )


def _is_control_only(body: StateMachineBody) -> bool:
    """Return whether `body` can run within one engine call: no Task, no Wait, no retry delays."""
    for state in body.states.values():
        if isinstance(state, (model.TaskState, model.WaitState)):
            return False
        if isinstance(state, (model.ParallelState, model.MapState)):
            if state.retry:
                return False
            nested = state.branches if isinstance(state, model.ParallelState) else (state.item_processor,)
            if not all(branch is not None and _is_control_only(branch) for branch in nested):
                return False
    return True
