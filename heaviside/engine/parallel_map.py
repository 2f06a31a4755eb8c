"""Parallel and Map states: children, forks and joins.

Each Parallel branch and Map iteration runs as a child thread with its own
cursor: a frame (join id, index) on top of the parent's frames and a new,
empty variable scope on top of the parent's scopes. When the branches or the
iteration contain neither Task nor Wait, the children run here and now, one
after the other. Otherwise the engine returns a `Fork`, and the driver runs
the children.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from heaviside.asl.errors import StatesError
from heaviside.asl.model import ABSENT
from heaviside.asl.paths import PathNotFound
from heaviside.engine import fast_path, io
from heaviside.engine.actions import Arrive, Fork, ForkChild
from heaviside.engine.cursor import Cursor, Frame
from heaviside.engine.errors import unprefixed_error
from heaviside.engine.jsonata_support import JsonataScope, map_input_items


def execute_parallel(run, cursor: Cursor, state, raw_input: Any):
    from heaviside.engine.states import context_for, jsonata_scope

    if state.jsonata:
        effective = raw_input
        if state.arguments is not None:
            effective = jsonata_scope(run, cursor, raw_input).evaluate(state.arguments, "Arguments")
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        effective = io.select(state.input_path, raw_input, context, variables)
        if state.parameters is not None:
            effective = state.parameters.evaluate(effective, context, variables)

    join_id = _join_id(cursor)
    children = tuple(
        ForkChild(index, _child_cursor(cursor, join_id, index, branch.start_at, 1), effective)
        for index, branch in enumerate(state.branches)
    )
    return _run_children(run, cursor, state, raw_input, join_id, "branch", children, 0, None, None)


def execute_map(run, cursor: Cursor, state, raw_input: Any):
    from heaviside.engine.states import context_for, jsonata_scope

    variables = cursor.lookup_variables()
    context = context_for(run, cursor)
    fields = state.fields
    scope = None
    if state.fields["item_reader"] is not ABSENT:
        raise unprefixed_error(
            "States.ItemReaderFailed",
            f"The Map state '{state.name}' has an ItemReader; heaviside reads Map items from the "
            "state input only. Pass the items in the input (ItemsPath or Items) instead.",
        )
    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input)
        effective = raw_input
        if fields["items"] is not None:
            items = scope.items(fields["items"])
        else:
            items = map_input_items(raw_input)
    else:
        effective = io.select(state.input_path, raw_input, context, variables)
        items = effective
        if fields["items_path"] is not None:
            items = io.select(fields["items_path"], effective, context, variables)
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f"Map state input must be an array but was: {io.json_text(items)}")

    max_concurrency = _max_concurrency(state, effective, context, variables, scope)
    tolerated_count = _tolerated_count(state, effective, context, variables, scope)
    tolerated_percentage = _tolerated_percentage(state, effective, context, variables, scope)

    inputs = _iteration_inputs(run, cursor, state, items, effective, raw_input, variables)
    join_id = _join_id(cursor)
    body = state.branches[0]
    distributed = body.processor_config is not None and body.processor_config.mode == "DISTRIBUTED"
    if state.inline and not distributed and run.on_enter is None:
        # The first iteration starts after MapStateStarted and MapIterationStarted.
        ran = fast_path.run_iterations(run, body.start_at, inputs, cursor.event_id + 2, run.fast_steps())
        if ran is not None:
            outputs, events = ran
            return join_completed(run, cursor.with_changes(input=raw_input), state, outputs, events)

    def make_child(index: int) -> ForkChild:
        return ForkChild(index, _child_cursor(cursor, join_id, index, body.start_at, 2, distributed), inputs[index])

    if state.inline:
        children: Sequence[ForkChild] = _LazyChildren(make_child, len(inputs))
    else:
        children = tuple(make_child(index) for index in range(len(inputs)))
    return _run_children(
        run, cursor, state, raw_input, join_id, "iteration", children, max_concurrency, tolerated_count, tolerated_percentage
    )


def join_completed(run, cursor: Cursor, state, outputs: list, events: int | None = None):
    from heaviside.engine.states import complete

    raw_input = cursor.input
    cursor = cursor.with_changes(input=None)
    if events is not None:
        cursor = cursor.with_changes(event_id=cursor.event_id + _join_events(state, len(outputs), events))
    return complete(run, cursor, state, raw_input, list(outputs))


def _join_events(state, children: int, child_events: int) -> int:
    """Return the history events of a finished Parallel or Map, besides its StateEntered and StateExited.

    A Parallel adds ParallelStateStarted and ParallelStateSucceeded around its
    branches' events. A Map adds MapStateStarted and MapStateSucceeded, and a
    MapIterationStarted and MapIterationSucceeded around each iteration.
    """
    per_child = 2 if state.type == "Map" and not _is_distributed(state) else 0
    return 2 + child_events + per_child * children


def _is_distributed(state) -> bool:
    config = state.branches[0].processor_config if state.branches else None
    return config is not None and config.mode == "DISTRIBUTED"


def _run_children(run, cursor, state, raw_input, join_id, kind, children, max_concurrency, tolerated_count, tolerated_percentage):
    fork = Fork(
        cursor.with_changes(input=raw_input),
        join_id,
        kind,
        children,
        max_concurrency,
        tolerated_count,
        tolerated_percentage,
    )
    if not state.inline:
        return [fork]

    outputs = []
    failures = 0
    events = 0
    # The children run one after the other here, so each starts where the
    # previous one ended (after MapIterationSucceeded and MapIterationStarted).
    gap = 2 if kind == "iteration" else 0
    start = children[0].cursor.event_id if children else 0
    for child in children:
        child_cursor = _starting_at(child.cursor, start)
        actions = run.run_from(child_cursor, child.input)
        arrival = actions[-1]
        if not isinstance(arrival, Arrive):
            raise StatesError("States.Runtime", f"the {kind} {child.index} of '{state.name}' did not end")
        events += arrival.events
        start += arrival.events + gap
        if arrival.failed:
            failures += 1
            if fork.exceeds_tolerance(failures):
                raise _child_failure(fork, arrival)
            outputs.append(_error_output(arrival))
        else:
            outputs.append(arrival.output)
    return join_completed(run, cursor.with_changes(input=raw_input), state, outputs, events)


class _LazyChildren(Sequence):
    """The children of a Fork that runs inline, each built when it is read.

    An inline Map runs one iteration at a time, so building the cursors on
    demand keeps one of them alive instead of one per item.
    """

    def __init__(self, make_child: Callable[[int], ForkChild], count: int):
        self._make_child = make_child
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self._make_child(position) for position in range(*index.indices(self._count)))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"child index {index} is out of range for {self._count} children")
        return self._make_child(index)


def _starting_at(cursor: Cursor, event_id: int) -> Cursor:
    """Return a child cursor whose history starts at `event_id` (a child execution keeps its own)."""
    frame = cursor.frames[-1]
    if not frame.first_event_id or frame.first_event_id == event_id:
        return cursor
    frames = cursor.frames[:-1] + (Frame(frame.join_id, frame.index, event_id),)
    return cursor.with_changes(frames=frames, event_id=event_id)


def _child_failure(fork: Fork, arrival: Arrive) -> StatesError:
    error, cause = fork.join_failure(arrival.error, arrival.cause)
    return unprefixed_error(error, cause)


def _error_output(arrival: Arrive) -> dict:
    output: dict[str, Any] = {"Error": arrival.error}
    if arrival.cause is not None:
        output["Cause"] = arrival.cause
    return output


def _join_id(cursor: Cursor) -> str:
    # Unique within the execution: the parent's own frame path, the state, how
    # many states the parent thread entered, and the attempt (a retried Map or
    # Parallel forks again under a new id).
    parent = cursor.frames[-1].join_id + f".{cursor.frames[-1].index}" if cursor.frames else ""
    return f"{parent}/{cursor.state}@{cursor.transitions}.{cursor.retry_count}"


def _child_cursor(
    cursor: Cursor, join_id: str, index: int, start_at: str, started_events: int, distributed: bool = False
) -> Cursor:
    if distributed:
        # A distributed Map's iterations are child executions: they cannot
        # read the parent's variables, and their history starts again at 1.
        return Cursor(state=start_at, frames=cursor.frames + (Frame(join_id, index),))
    first_event_id = cursor.event_id + started_events
    frames = cursor.frames + (Frame(join_id, index, first_event_id),)
    # The history has ParallelStateStarted, or MapStateStarted and
    # MapIterationStarted, between the parent's entry and the child's first
    # state. NOTE: ids are exact for the first child only, because AWS
    # interleaves the events of concurrent children.
    return Cursor(
        state=start_at,
        frames=frames,
        scopes=cursor.scopes + ({},),
        event_id=first_event_id,
    )


def _iteration_inputs(run, cursor, state, items, effective, raw_input, variables) -> list:
    from heaviside.engine.states import context_for

    selector = state.fields["item_selector"]
    batcher = state.fields.get("item_batcher")
    if batcher:
        items = _batches(batcher, items)
    if selector is None:
        return list(items)
    inputs = []
    for index, item in enumerate(items):
        item_context = context_for(run, cursor, map_item=(index, item))
        if state.jsonata:
            scope = JsonataScope({"input": raw_input, "context": item_context}, variables, run.now_text)
            inputs.append(scope.evaluate(selector, "ItemSelector"))
        else:
            inputs.append(selector.evaluate(effective, item_context, variables))
    return inputs


def _batches(batcher: dict, items: list) -> list:
    size = batcher.get("MaxItemsPerBatch") or len(items) or 1
    batch_input = batcher.get("BatchInput")
    batches = []
    for start in range(0, len(items), size):
        batch: dict[str, Any] = {"Items": items[start : start + size]}
        if batch_input is not None:
            batch["BatchInput"] = batch_input
        batches.append(batch)
    return batches


def _max_concurrency(state, effective, context, variables, scope) -> int:
    fields = state.fields
    path = fields["max_concurrency_path"]
    if path is None:
        constant = fields["max_concurrency"]
        if constant is None:
            return 0
        if scope is not None:
            return int(scope.typed(constant, "MaxConcurrency"))
        return int(constant.evaluate())
    return _select_count(path, "MaxConcurrency", effective, context, variables)


def _tolerated_count(state, effective, context, variables, scope) -> int | None:
    fields = state.fields
    constant = fields["tolerated_failure_count"]
    if constant is not None:
        if scope is not None:
            return int(scope.typed(constant, "ToleratedFailureCount"))
        return int(constant.evaluate())
    path = fields["tolerated_failure_count_path"]
    if path is None:
        return None
    return _select_count(path, "ToleratedFailureCount", effective, context, variables)


def _tolerated_percentage(state, effective, context, variables, scope) -> float | None:
    fields = state.fields
    constant = fields["tolerated_failure_percentage"]
    if constant is not None:
        if scope is not None:
            return float(scope.typed(constant, "ToleratedFailurePercentage"))
        return float(constant.evaluate())
    path = fields["tolerated_failure_percentage_path"]
    if path is None:
        return None
    value = _select(path, effective, context, variables)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StatesError(
            "States.Runtime",
            f"The ToleratedFailurePercentagePath field refers to value {_quoted(value)} which is not a valid float: {path.text}",
        )
    if not 0 <= value <= 100 or math.isnan(value):
        raise StatesError("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100.")
    return float(value)


def _select_count(path, field_name: str, value, context, variables) -> int:
    """Read a non-negative integer through a `<field_name>Path`, with AWS's States.Runtime messages."""
    selected = _select(path, value, context, variables)
    if isinstance(selected, bool) or not isinstance(selected, int):
        raise StatesError(
            "States.Runtime",
            f"The {field_name}Path field refers to value {_quoted(selected)} which is not a valid integer: {path.text}",
        )
    if selected < 0:
        raise StatesError("States.Runtime", f"{field_name} cannot be negative.")
    return selected


def _select(path, value, context, variables):
    try:
        return path.get(value, context, variables)
    except PathNotFound as error:
        raise StatesError("States.Runtime", str(error)) from None


def _quoted(value: Any) -> str:
    """Quote a value as AWS's Map messages do: the JSON text inside double quotes."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f'"{text}"'
