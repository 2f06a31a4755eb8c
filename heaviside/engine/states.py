"""The behaviour of each state type, in both query languages.

`execute()` runs a state that was just entered, and the other entry points
resume a state after the event it waited for. Each returns an outcome
(`Transition`, `Finished`, `StateFailure`) or a list of actions, and raises
`StatesError` for errors that Retry and Catch may handle.
"""

from __future__ import annotations

from typing import Any

from heaviside.asl.errors import StatesError
from heaviside.asl.model import ABSENT
from heaviside.asl.paths import PathNotFound
from heaviside.engine import io, lambda_tasks, parallel_map
from heaviside.engine.actions import DispatchTask, ScheduleDelay
from heaviside.engine.context import build_context
from heaviside.engine.cursor import Cursor
from heaviside.engine.errors import unprefixed_error
from heaviside.engine.jsonata_support import JsonataScope
from heaviside.engine.outcomes import Finished, StateFailure, Transition
from heaviside.engine.waits import wait_until

function_error = lambda_tasks.function_error
function_not_found = lambda_tasks.function_not_found


def execute(run, cursor: Cursor, state, state_input: Any):
    handler = _HANDLERS[state.type]
    return handler(run, cursor, state, state_input)


# State types whose context object has State.RetryCount (recorded: a Task's
# Parameters read $$.State.RetryCount as 0 before any retry; a Pass state's
# $$.State has Name and EnteredTime only).
_RETRYING_TYPES = frozenset({"Task", "Parallel", "Map"})


def context_for(run, cursor: Cursor, map_item: tuple[int, Any] | None = None) -> dict:
    state_type = run.program.states[cursor.state].type
    retry_count = cursor.retry_count if state_type in _RETRYING_TYPES else None
    if map_item is not None:
        return build_context(run.execution, cursor.state, cursor.entered, retry_count, map_item)
    # A state reads the context object several times (paths, templates,
    # Assign), so the last one built is kept for the same state visit.
    key = (cursor.state, cursor.entered, retry_count, cursor.frames)
    if run.context_key != key:
        run.context = build_context(run.execution, cursor.state, cursor.entered, retry_count)
        run.context_key = key
    return run.context


def leave(cursor: Cursor, state, output: Any, next_state: str | None = None):
    """Leave the state with `output`: go to `next_state` (default: the state's Next) or end the thread."""
    target = next_state if next_state is not None else state.next
    if target is None:
        return Finished(cursor.with_changes(event_id=cursor.event_id + 1), output)
    return Transition(cursor.with_changes(event_id=cursor.event_id + 1, state=target), output)


def jsonata_scope(run, cursor: Cursor, raw_input: Any) -> JsonataScope:
    """Return the bindings of a JSONata state: ``$states.input``, ``$states.context`` and the variables."""
    states = {"input": raw_input, "context": context_for(run, cursor)}
    return JsonataScope(states, cursor.lookup_variables(), run.now_text)


def complete(run, cursor: Cursor, state, raw_input: Any, result: Any, selected: bool = True):
    """Finish a Pass, Task, Parallel or Map with its `result`: shape the output, assign, leave.

    `selected` is False for a Pass state, which has no ResultSelector.
    """
    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input)
        output = raw_input
        if state.type != "Pass":
            # $states.result exists for Task, Parallel and Map states only.
            scope = scope.with_states(result=result)
            output = result
        if state.output is not None:
            output = scope.evaluate(state.output, "Output")
        assigned = io.evaluate_assign(state.assign, scope.variables, states=scope.states, now=scope.now)
        io.check_result_size(state.name, output)
        return leave(io.assign_variables(cursor, assigned), state, output)

    variables = cursor.lookup_variables()
    context = context_for(run, cursor)
    if selected and state.result_selector is not None:
        result = state.result_selector.evaluate(result, context, variables)
    assigned = io.evaluate_assign(state.assign, variables, value=result, context=context)
    output = io.place_result(state.result_path, state.discards_result, raw_input, result)
    output = io.select(state.output_path, output, context, variables)
    io.check_result_size(state.name, output)
    return leave(io.assign_variables(cursor, assigned), state, output)


def _pass(run, cursor: Cursor, state, raw_input: Any):
    if state.jsonata:
        return complete(run, cursor, state, raw_input, raw_input, selected=False)
    variables = cursor.lookup_variables()
    context = context_for(run, cursor)
    effective = io.select(state.input_path, raw_input, context, variables)
    if state.parameters is not None:
        effective = state.parameters.evaluate(effective, context, variables)
    result = effective if state.result is ABSENT else state.result
    return complete(run, cursor, state, raw_input, result, selected=False)


def _task(run, cursor: Cursor, state, raw_input: Any):
    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input)
        effective = raw_input
        if state.arguments is not None:
            effective = scope.evaluate(state.arguments, "Arguments")
        timeout = scope.typed(state.fields["timeout_seconds"], "TimeoutSeconds")
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        effective = io.select(state.input_path, raw_input, context, variables)
        if state.parameters is not None:
            effective = state.parameters.evaluate(effective, context, variables)
        timeout = lambda_tasks.timeout_seconds(state, effective, context, variables)
    function, payload = lambda_tasks.invocation(state, effective)
    # TaskScheduled and TaskStarted follow the state's entry in the history.
    waiting = cursor.with_changes(input=raw_input, event_id=cursor.event_id + 2)
    return [DispatchTask(waiting, function, payload, None if timeout is None else float(timeout), state.name)]


def task_succeeded(run, cursor: Cursor, state, event):
    result = lambda_tasks.shape_result(state, event.result, event.request_id)
    cursor = cursor.with_changes(event_id=cursor.event_id + 1)
    io.check_result_size(lambda_tasks.result_label(state), result)
    return complete(run, cursor, state, cursor.input, result)


def _choice(run, cursor: Cursor, state, raw_input: Any):
    if state.jsonata:
        return _jsonata_choice(run, cursor, state, raw_input)

    variables = cursor.lookup_variables()
    context = context_for(run, cursor)
    effective = io.select(state.input_path, raw_input, context, variables)
    for choice in state.choices:
        if choice.rule.matches(effective, context, variables):
            assign = choice.assign
            target = choice.next
            break
    else:
        if state.state.default is None:
            raise unprefixed_error("States.NoChoiceMatched", None)
        # The state's own Assign applies when the Default is taken.
        assign = state.assign
        target = state.state.default
    assigned = io.evaluate_assign(assign, variables, value=effective, context=context)
    output = io.select(state.output_path, effective, context, variables)
    return leave(io.assign_variables(cursor, assigned), state, output, next_state=target)


def _jsonata_choice(run, cursor: Cursor, state, raw_input: Any):
    scope = jsonata_scope(run, cursor, raw_input)
    for choice in state.choices:
        if scope.condition(choice.rule):
            target, assign, output_template = choice.next, choice.assign, choice.output
            break
    else:
        if state.state.default is None:
            raise unprefixed_error("States.NoChoiceMatched", None)
        target, assign, output_template = state.state.default, state.assign, state.output
    output = raw_input
    if output_template is not None:
        output = scope.evaluate(output_template, "Output")
    assigned = io.evaluate_assign(assign, scope.variables, states=scope.states, now=scope.now)
    return leave(io.assign_variables(cursor, assigned), state, output, next_state=target)


def _wait(run, cursor: Cursor, state, raw_input: Any):
    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input)
        until = wait_until(run, state, raw_input, None, scope.variables, scope)
        output = raw_input
        if state.output is not None:
            output = scope.evaluate(state.output, "Output")
        assigned = io.evaluate_assign(state.assign, scope.variables, states=scope.states, now=scope.now)
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        effective = io.select(state.input_path, raw_input, context, variables)
        until = wait_until(run, state, effective, context, variables, None)
        assigned = io.evaluate_assign(state.assign, variables, value=effective, context=context)
        output = io.select(state.output_path, effective, context, variables)
    waiting = io.assign_variables(cursor, assigned).with_changes(input=output)
    seconds = max(0.0, (until - run.now).total_seconds())
    return [ScheduleDelay(waiting, seconds, until)]


def delay_elapsed(run, cursor: Cursor, state):
    """Finish a Wait, or make the next attempt of a state that Retry delayed."""
    if state.type == "Wait":
        return leave(cursor.with_changes(input=None), state, cursor.input)
    raw_input = cursor.input
    return execute(run, cursor.with_changes(input=None), state, raw_input)


def _succeed(run, cursor: Cursor, state, raw_input: Any):
    if state.jsonata:
        output = raw_input
        if state.output is not None:
            output = jsonata_scope(run, cursor, raw_input).evaluate(state.output, "Output")
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        effective = io.select(state.input_path, raw_input, context, variables)
        output = io.select(state.output_path, effective, context, variables)
    return Finished(cursor.with_changes(event_id=cursor.event_id + 1), output)


def _fail(run, cursor: Cursor, state, raw_input: Any):
    fields = state.fields
    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input)
        error = scope.typed(fields["error"], "Error")
        cause = scope.typed(fields["cause"], "Cause")
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        error = _fail_field(fields["error"], fields["error_path"], "ErrorPath", raw_input, context, variables)
        cause = _fail_field(fields["cause"], fields["cause_path"], "CausePath", raw_input, context, variables)
    return StateFailure(cursor, error, cause)


def _fail_field(constant, path, field_name: str, raw_input, context, variables):
    if constant is not None:
        return constant.evaluate()
    if path is None:
        return None
    if hasattr(path, "get"):
        try:
            value = path.get(raw_input, context, variables)
        except PathNotFound:
            raise StatesError(
                "States.Runtime",
                f"The JSONPath '{path.text}' specified for the field '{field_name}' "
                f"could not be found in the input '{io.json_text(raw_input)}'",
            ) from None
    else:
        value = path.evaluate(raw_input, context, variables)[field_name]
    if isinstance(value, str):
        return value
    return io.json_text(value)


_HANDLERS = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": parallel_map.execute_parallel,
    "Map": parallel_map.execute_map,
}


def join_completed(run, cursor: Cursor, state, outputs: list, events: int | None = None):
    return parallel_map.join_completed(run, cursor, state, outputs, events)
