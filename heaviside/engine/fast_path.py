"""A fast path for stretches of Pass, Choice and Succeed states that read only their input.

Most control states of a JSONPath definition take their input, evaluate
compiled paths and templates against it, and move on. For such a state the
general path still builds the context object, merges the variable scopes,
copies the cursor twice and allocates an outcome. Here each such state is
compiled into a step ``step(state_input) -> (output, next state name)``,
where a next state of None ends the thread, and `run_fast` runs consecutive
steps in a loop that only counts history events, building one cursor at the
end. Steps also carry an upper bound of the data's size, so the 256 KiB
check serializes a whole document only when the bound could exceed it.

A state gets a step only when none of its strings can read the context
object or a variable (no ``$$`` and no ``$name``), and it has no Assign.
A step raises on any error, and `run_fast` then hands that state to the
general path, which runs it again and applies the error as usual. This is
safe because evaluators never mutate their inputs.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any, Callable

from heaviside.asl.model import ABSENT
from heaviside.engine import io, lambda_tasks
from heaviside.engine.events import TaskSucceeded
from heaviside.engine.outcomes import Finished, Resume, Transition

# Steps pass these as the context object and the variables. A path that
# reads either one finds nothing and raises, so the general path takes over.
_NO_CONTEXT: Any = MappingProxyType({})
_NO_VARIABLES: Any = MappingProxyType({})

# A `$` followed by anything but `.` or `[` may start `$$` (the context
# object) or a variable name, so the state keeps the general path.
_MAY_READ_CONTEXT_OR_VARIABLE = re.compile(r"\$[^.\[]")

# A step takes the state input and an upper bound of its size as UTF-8 JSON
# in bytes (None: unknown), and returns the output, the next state name and
# an upper bound of the output's size.
Step = Callable[[Any, "int | None"], tuple[Any, "str | None", "int | None"]]


def compile_steps(states: dict) -> dict[str, Step]:
    """Return a step for each compiled state that can take the fast path, by state name."""
    steps = {}
    for name, compiled in states.items():
        step = _compile_step(compiled)
        if step is not None:
            steps[name] = step
    return steps


class TaskStep:
    """A Task state run through the driver's inline calls (see `InlineTasks` in the interpreter).

    ``prepare(state_input) -> (function, payload)`` gives the call, and
    ``finish(state_input, input_size, event) -> (output, next state name,
    output size)`` shapes a `TaskSucceeded` into the output as `step` does.
    When `finish` raises, the general path applies the same event again,
    which is safe because `finish` changes nothing.
    """

    __slots__ = ("prepare", "finish")

    def __init__(self, prepare: Callable, finish: Callable):
        self.prepare = prepare
        self.finish = finish


def compile_task_steps(states: dict) -> dict[str, TaskStep]:
    """Return a `TaskStep` for each compiled Task state that can take the fast path, by state name."""
    steps = {}
    for name, compiled in states.items():
        if compiled.type == "Task":
            step = _task_step(compiled)
            if step is not None:
                steps[name] = step
    return steps


def run_fast(run, transition: Transition, steps: dict[str, Step]) -> Transition | Finished | Resume:
    """Run states from `transition` while they have steps; return where the general path continues.

    The result is a `Finished` when an end state was reached, a `Resume`
    when a Task's inline call did not succeed (or its result needs the
    general path), else a `Transition` to the first state without a step, to
    a state whose step raised, or to the state at which the history event
    limit applies. It is `transition` itself when no state ran.
    """
    cursor = transition.cursor
    state_name = cursor.state
    step = steps.get(state_name)
    if step is None:
        return transition

    value = transition.output
    size = None
    event_id = cursor.event_id
    entered_event_id = cursor.entered_event_id
    entered_at = run.now
    transitions = cursor.transitions
    max_events = run.max_events
    on_enter = run.on_enter
    states = run.program.states
    while step is not None and event_id < max_events:
        if type(step) is TaskStep:
            try:
                function, payload = step.prepare(value)
            except Exception:  # the general path runs the state again and reports the error
                break
            if on_enter is not None:
                on_enter(state_name, "Task")
            entered_event_id = event_id = event_id + 1
            transitions += 1
            entered_at = run.now
            event = run.call_inline(function, payload, state_name)
            # TaskScheduled and TaskStarted follow the state's entry.
            event_id += 2
            finished = False
            if type(event) is TaskSucceeded:
                try:
                    output, target, size = step.finish(value, size, event)
                    finished = True
                except Exception:  # the general path applies the event again and reports the error
                    pass
            if not finished:
                waiting = cursor.with_changes(
                    state=state_name,
                    entered=run.text_of(entered_at),
                    entered_event_id=entered_event_id,
                    event_id=event_id,
                    retries=(),
                    input=value,
                    transitions=transitions,
                )
                return Resume(waiting, event)
            # The TaskSucceeded event.
            event_id += 1
        else:
            try:
                output, target, size = step(value, size)
            except Exception:  # the general path runs the state again and reports the error
                break
            if on_enter is not None:
                on_enter(state_name, states[state_name].type)
            entered_event_id = event_id = event_id + 1
            transitions += 1
            entered_at = run.now
        if target is None:
            # As the general path leaves an end state: one more event. The
            # entered time is not set, because nothing reads it once the thread ends.
            ended = cursor.with_changes(
                state=state_name,
                entered_event_id=entered_event_id,
                event_id=event_id + 1,
                retries=(),
                input=None,
                transitions=transitions,
            )
            return Finished(ended, output)
        # The state's exit.
        event_id += 1
        state_name = target
        value = output
        step = steps.get(state_name)

    if transitions == cursor.transitions:
        return transition
    # The general path enters `state_name` next, with the current time.
    moved = cursor.with_changes(
        state=state_name,
        entered=run.now_text,
        entered_event_id=event_id - 1,
        event_id=event_id,
        retries=(),
        input=None,
        transitions=transitions,
    )
    return Transition(moved, value)


def run_iterations(run, start_at: str, inputs: list, first_event_id: int, steps: dict[str, Step]):
    """Run inline Map iterations through steps only; return (outputs, history events) or None.

    Each iteration starts at `start_at` with its input, one after the other,
    the first one at history event `first_event_id`, as the general path runs
    them. None means that some iteration reached a state without a step, a
    step that raised or the history event limit. The caller then runs the
    whole Map on the general path, which is safe because steps change
    nothing. It is meant for runs without an `on_enter` observer, which would
    otherwise see the states of the abandoned attempt.
    """
    first_step = steps.get(start_at)
    if first_step is None:
        return None
    max_events = run.max_events
    outputs = []
    event_id = first_event_id
    total_events = 0
    for value in inputs:
        step: Step | None = first_step
        size = None
        started_at = event_id
        while True:
            if step is None or event_id >= max_events:
                return None
            try:
                value, target, size = step(value, size)
            except Exception:  # the general path runs the Map again and reports the error
                return None
            # Each state adds its entered and exited events.
            event_id += 2
            if target is None:
                break
            step = steps.get(target)
        outputs.append(value)
        events = event_id - started_at
        total_events += events
        # MapIterationSucceeded and the next MapIterationStarted come between iterations.
        event_id += 2
    return outputs, total_events


def _compile_step(compiled) -> Step | None:
    if compiled.type not in ("Pass", "Choice", "Succeed"):
        return None
    if compiled.jsonata or compiled.assign is not None:
        return None
    if _may_read_context_or_variables(compiled.state):
        return None
    if compiled.type == "Pass":
        return _pass_step(compiled)
    if compiled.type == "Choice":
        if any(choice.assign is not None for choice in compiled.choices):
            return None
        return _choice_step(compiled)
    if compiled.type == "Succeed":
        return _succeed_step(compiled)
    return None


def _may_read_context_or_variables(state) -> bool:
    texts: list[str] = []
    _collect_strings(state, texts)
    for text in texts:
        if _MAY_READ_CONTEXT_OR_VARIABLE.search(text):
            return True
    return False


# Model class -> the names of its fields other than Comment.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _collect_strings(node: Any, texts: list[str]) -> None:
    """Append every string in a state model to `texts`: field values, keys and nested rules."""
    if isinstance(node, str):
        texts.append(node)
    elif isinstance(node, dict):
        for key, item in node.items():
            _collect_strings(key, texts)
            _collect_strings(item, texts)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect_strings(item, texts)
    else:
        kind = type(node)
        names = _FIELD_NAMES.get(kind)
        if names is None:
            if not dataclasses.is_dataclass(kind):
                return
            names = tuple(field.name for field in dataclasses.fields(kind) if field.name != "comment")
            _FIELD_NAMES[kind] = names
        for name in names:
            _collect_strings(getattr(node, name), texts)


def _selector(path) -> Callable[[Any], Any]:
    """Return an InputPath or OutputPath as a one-argument function; ``$`` is the identity."""
    if path is not None and path.text == "$":
        return _identity
    return lambda value: io.select(path, value, _NO_CONTEXT, _NO_VARIABLES)


def _identity(value: Any) -> Any:
    return value


def _pass_step(compiled) -> Step:
    select_input = _selector(compiled.input_path)
    # Comparing with `_identity` is cheaper than calling it, once per state.
    selects_input = select_input is not _identity
    parameters = compiled.parameters
    parameters_bound = None if parameters is None else _template_size_bound(parameters.template)
    fixed_result = compiled.result
    fixed_size = None if fixed_result is ABSENT else io.json_size(fixed_result)
    shape_output = _output_shaper(compiled)
    target = compiled.next
    # The Parameters output is the state's output: ResultPath and OutputPath are `$`.
    outputs_parameters = (
        parameters_bound is not None
        and fixed_result is ABSENT
        and not compiled.discards_result
        and (compiled.result_path is None or compiled.result_path.text == "$")
        and compiled.output_path is not None
        and compiled.output_path.text == "$"
    )

    def pass_step(raw_input: Any, input_size: int | None) -> tuple[Any, str | None, int | None]:
        effective = select_input(raw_input) if selects_input else raw_input
        if parameters is not None:
            effective = parameters.evaluate(effective, _NO_CONTEXT, _NO_VARIABLES)
        if outputs_parameters:
            bound = parameters_bound(effective)
            if bound <= io.MAX_STATE_DATA_BYTES:
                return effective, target, bound
        if fixed_result is not ABSENT:
            result, result_size = fixed_result, fixed_size
        elif parameters_bound is not None:
            result, result_size = effective, parameters_bound(effective)
        else:
            result, result_size = effective, None
        output, bound = shape_output(raw_input, input_size, result, result_size)
        return output, target, bound

    return pass_step


def _task_step(compiled) -> TaskStep | None:
    """Return the `TaskStep` of a JSONPath Task, or None when it needs the general path.

    A Task with TimeoutSeconds or TimeoutSecondsPath keeps the general path,
    because only the driver can enforce a timeout. Retry and Catch do not
    matter here: they apply to failures, which the general path handles.
    """
    if compiled.jsonata or compiled.assign is not None:
        return None
    fields = compiled.fields
    if fields.get("timeout_seconds") is not None or fields.get("timeout_seconds_path") is not None:
        return None
    if _may_read_context_or_variables(compiled.state):
        return None
    select_input = _selector(compiled.input_path)
    selects_input = select_input is not _identity
    parameters = compiled.parameters
    result_selector = compiled.result_selector
    selector_bound = None if result_selector is None else _template_size_bound(result_selector.template)
    resource = fields["resource"]
    shapes_result = lambda_tasks.is_lambda_invoke(resource)
    # `invocation` reads lambda:invoke's FunctionName and rejects other ARNs.
    fixed_function = lambda_tasks.names_function(resource)
    result_label = lambda_tasks.result_label(compiled)
    shape_output = _output_shaper(compiled)
    target = compiled.next

    def prepare(raw_input: Any) -> tuple[str, Any]:
        effective = select_input(raw_input) if selects_input else raw_input
        if parameters is not None:
            effective = parameters.evaluate(effective, _NO_CONTEXT, _NO_VARIABLES)
        if fixed_function:
            return resource, effective
        return lambda_tasks.invocation(compiled, effective)

    def finish(raw_input: Any, input_size: int | None, event) -> tuple[Any, str | None, int]:
        result = event.result
        result_size = event.size
        if shapes_result:
            result = lambda_tasks.shape_result(compiled, result, event.request_id)
            result_size = None
        if result_size is None or result_size > io.MAX_STATE_DATA_BYTES:
            result_size = io.json_size(result)
            if result_size > io.MAX_STATE_DATA_BYTES:
                io.check_result_size(result_label, result)
        if result_selector is not None:
            result = result_selector.evaluate(result, _NO_CONTEXT, _NO_VARIABLES)
            result_size = None if selector_bound is None else selector_bound(result)
        output, output_size = shape_output(raw_input, input_size, result, result_size)
        return output, target, output_size

    return TaskStep(prepare, finish)


def _output_shaper(compiled) -> Callable[[Any, "int | None", Any, "int | None"], tuple[Any, int]]:
    """Return ``shape(raw_input, input_size, result, result_size) -> (output, output_size)`` for a state.

    It applies ResultPath and OutputPath, as `io.place_result` and
    `io.select` do, and returns an upper bound of the output's size, raising
    States.DataLimitExceeded when the output is over the limit. Sizes are
    upper bounds in bytes, None when unknown.
    """
    select_output = _selector(compiled.output_path)
    selects_output = select_output is not _identity
    result_path = compiled.result_path
    discards_result = compiled.discards_result
    replaces_input = result_path is None or result_path.text == "$"
    # Placing a result adds at most the result and, per path step, the key
    # (at most 6 bytes per character once escaped), its quotes, colon and
    # comma, and braces for a created object.
    placing_overhead = 0 if replaces_input else 12 * len(result_path.text) + 8
    output_is_empty = compiled.output_path is None
    name = compiled.name

    def shape(raw_input: Any, input_size: int | None, result: Any, result_size: int | None) -> tuple[Any, int]:
        if discards_result:
            output = raw_input
        elif replaces_input:
            output = result
        else:
            output = result_path.set(raw_input, result)
        if selects_output:
            output = select_output(output)

        # Selecting with OutputPath only shrinks the output.
        if output_is_empty:
            bound = 2
        elif discards_result:
            bound = input_size
        elif replaces_input:
            bound = result_size
        else:
            if input_size is None:
                input_size = io.json_size(raw_input)
            if result_size is None:
                result_size = io.json_size(result)
            bound = input_size + result_size + placing_overhead
        if bound is None or bound > io.MAX_STATE_DATA_BYTES:
            bound = io.json_size(output)
            if bound > io.MAX_STATE_DATA_BYTES:
                io.check_result_size(name, output)
        return output, bound

    return shape


def _choice_step(compiled) -> Step:
    select_input = _selector(compiled.input_path)
    select_output = _selector(compiled.output_path)
    rules = tuple((choice.rule, choice.next) for choice in compiled.choices)
    default = compiled.state.default

    selects_input = select_input is not _identity
    selects_output = select_output is not _identity

    def choice_step(raw_input: Any, input_size: int | None) -> tuple[Any, str | None, int | None]:
        effective = select_input(raw_input) if selects_input else raw_input
        for rule, target in rules:
            if rule.matches(effective, _NO_CONTEXT, _NO_VARIABLES):
                break
        else:
            if default is None:
                raise LookupError("no choice matched and there is no Default")
            target = default
        if not (selects_input or selects_output):
            return effective, target, input_size
        if selects_output:
            effective = select_output(effective)
        return effective, target, _selected_size(input_size)

    return choice_step


def _succeed_step(compiled) -> Step:
    select_input = _selector(compiled.input_path)
    select_output = _selector(compiled.output_path)

    def succeed_step(raw_input: Any, input_size: int | None) -> tuple[Any, None, int | None]:
        return select_output(select_input(raw_input)), None, _selected_size(input_size)

    return succeed_step


def _template_size_bound(template: Any) -> Callable[[dict], int] | None:
    """Return a function that bounds the JSON size of a payload template's output, or None.

    It covers an object template whose `.$` keys are all at the top level.
    The keys and constant values there have a fixed size, so each evaluation
    measures only the values of the `.$` keys, most of them without
    serializing (see `_value_size_bound`). Any other template returns None.
    """
    if not isinstance(template, dict):
        return None
    fixed = 2 + max(0, len(template) - 1)
    dynamic_keys = []
    for key, item in template.items():
        if key.endswith(".$"):
            output_key = key[:-2]
            dynamic_keys.append(output_key)
        elif _has_dynamic_key(item):
            return None
        else:
            output_key = key
            fixed += io.json_size(item)
        fixed += io.json_size(output_key) + 1
    dynamic_keys = tuple(dynamic_keys)

    def output_size_bound(output: dict) -> int:
        size = fixed
        for key in dynamic_keys:
            value = output[key]
            # The two commonest cases of `_value_size_bound`, without the call.
            kind = type(value)
            if kind is int:
                size += 20 if -io.SHORT_INT_LIMIT < value < io.SHORT_INT_LIMIT else len(str(value))
            elif kind is str:
                size += 6 * len(value) + 2
            else:
                size += _value_size_bound(value)
        return size

    return output_size_bound


def _has_dynamic_key(node: Any) -> bool:
    if isinstance(node, dict):
        return any(key.endswith(".$") or _has_dynamic_key(item) for key, item in node.items())
    if isinstance(node, list):
        return any(_has_dynamic_key(item) for item in node)
    return False


def _value_size_bound(value: Any) -> int:
    """Return an upper bound of the size of `value` as compact UTF-8 JSON, in bytes.

    Scalars are bounded without serializing: a character of a string takes
    at most 6 bytes (an escape such as ``\\u001f``), and a float at most 6
    bytes more than its repr (``inf`` is written ``Infinity``). Arrays and
    objects are serialized.
    """
    kind = type(value)
    if kind is str:
        return 6 * len(value) + 2
    if value is None or kind is bool:
        return 5
    if kind is int:
        return len(str(value))
    if kind is float:
        return len(repr(value)) + 6
    return io.json_size(value)


def _selected_size(input_size: int | None) -> int | None:
    """Return a size bound for a part selected from a value of `input_size` bytes.

    A selected part is never larger than the whole, and a null path selects
    `{}`, which is 2 bytes.
    """
    return None if input_size is None else max(input_size, 2)
