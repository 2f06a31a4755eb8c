"""`start()` and `advance()`: the loop that moves a cursor from state to state.

One call runs states until the cursor must wait for something outside the
engine (a Task's function, a delay, the children of a Fork) or the thread
ends. The per-type behaviour lives in `heaviside.engine.states`, input and
output processing in `heaviside.engine.io`, and Retry and Catch in
`heaviside.engine.retry`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

from heaviside.asl.errors import StatesError
from heaviside.engine import fast_path, lambda_tasks
from heaviside.engine import states as state_types
from heaviside.engine.actions import Action, Arrive, DispatchTask, Fail, Succeed, TimedOut
from heaviside.engine.context import ExecutionInfo, format_time
from heaviside.engine.cursor import Cursor
from heaviside.engine.errors import EngineError
from heaviside.engine.events import (
    DelayElapsed,
    Enter,
    Event,
    FunctionFailed,
    FunctionNotFound,
    JoinCompleted,
    JoinFailed,
    TaskFailed,
    TaskSucceeded,
)
from heaviside.engine.outcomes import Finished, Resume, StateFailure, Transition
from heaviside.engine.program import Program
from heaviside.engine.retry import handle_failure

logger = logging.getLogger(__name__)

# Step Functions ends a Standard execution whose history reaches 25,000 events
# (Step Functions quotas). Express executions have no history limit but run
# at most 5 minutes, so a higher cap only keeps a loop of control states from
# running forever inside one call. NOTE: AWS's error name and message for the
# history limit are not recorded here; States.Runtime is an assumption.
MAX_STANDARD_EVENTS = 25_000
MAX_EXPRESS_EVENTS = 1_000_000


# A callback a driver may pass to see each state entered: (state name, state type).
StateObserver = Callable[[str, str], None]


class InlineTasks(Protocol):
    """The driver's interface, passed as `inline`, for calling Task functions on its thread within an engine call."""

    def invoke(self, function: str, payload: Any, state: str) -> Event:
        """Call `function` with `payload` for the Task `state` and return its outcome as an event."""

    def now(self) -> datetime:
        """Return the time now, read after each call."""


def start(
    program: Program,
    execution: ExecutionInfo,
    now: datetime,
    *,
    on_enter: StateObserver | None = None,
    inline: InlineTasks | None = None,
) -> list[Action]:
    """Begin `execution` at the definition's StartAt state."""
    return Run(program, execution, now, on_enter, inline).run_from(program.start_cursor, execution.input)


def advance(
    program: Program,
    execution: ExecutionInfo,
    cursor: Cursor,
    event: Event,
    now: datetime,
    *,
    on_enter: StateObserver | None = None,
    inline: InlineTasks | None = None,
) -> list[Action]:
    """Continue the thread at `cursor` after `event` (see the package docstring)."""
    run = Run(program, execution, now, on_enter, inline)
    if run.deadline_passed():
        return [TimedOut()]
    if isinstance(event, Enter):
        return run.run_from(cursor, event.input)
    if cursor.state not in program.states:
        raise EngineError(f"the cursor names the state {cursor.state!r}, which the definition does not have")
    state = program.state(cursor.state)
    _check_event_fits(state, event)
    outcome = run.resume(cursor, state, event)
    return run.follow(cursor, outcome)


# The state types that wait for each kind of event.
_WAITING_TYPES = {
    TaskSucceeded: ("Task",),
    FunctionFailed: ("Task",),
    FunctionNotFound: ("Task",),
    TaskFailed: ("Task",),
    DelayElapsed: ("Wait", "Task", "Parallel", "Map"),
    JoinCompleted: ("Parallel", "Map"),
    JoinFailed: ("Parallel", "Map"),
}


def _check_event_fits(state, event: Event) -> None:
    expected = _WAITING_TYPES.get(type(event))
    if expected is None:
        raise EngineError(f"unknown event {event!r}; pass one of the events of heaviside.engine")
    if state.type not in expected:
        raise EngineError(
            f"the event {type(event).__name__} does not fit the state '{state.name}' "
            f"of type {state.type}; it only resumes {', '.join(expected)} states"
        )


class Run:
    """The execution-wide values of one engine call: program, execution and the time now."""

    def __init__(
        self,
        program: Program,
        execution: ExecutionInfo,
        now: datetime,
        on_enter: StateObserver | None = None,
        inline: InlineTasks | None = None,
    ):
        self.program = program
        self.execution = execution
        self.now = now
        self.on_enter = on_enter
        # A Task call may run past an execution deadline, which only the driver can enforce.
        self.inline = inline if not program.timeout_seconds else None
        self._now_text: str | None = None
        self.context: dict | None = None
        self.context_key: tuple | None = None

    @property
    def now_text(self) -> str:
        """`now` as the context object shows times, formatted once per value of `now`."""
        text = self._now_text
        if text is None:
            text = self._now_text = format_time(self.now)
        return text

    def call_inline(self, function: str, payload: Any, state: str) -> Event:
        """Call a Task's function through the driver's `inline` and move `now` past the call."""
        event = self.inline.invoke(function, payload, state)
        self.now = self.inline.now()
        self._now_text = None
        return event

    def deadline_passed(self) -> bool:
        timeout = self.program.timeout_seconds
        if not timeout:
            return False
        return self.now >= self.execution.start_time + timedelta(seconds=timeout)

    def run_from(self, cursor: Cursor, state_input: Any) -> list[Action]:
        """Enter `cursor.state` with `state_input` and run until the thread must wait or ends."""
        steps = self.fast_steps()
        if steps and cursor.state in steps:
            outcome = fast_path.run_fast(self, Transition(cursor, state_input), steps)
            if outcome.cursor is not cursor:
                return self.follow(cursor, outcome)
        cursor = self.enter(cursor)
        outcome = self.execute(cursor, state_input)
        return self.follow(cursor, outcome)

    def fast_steps(self) -> dict:
        """Return the program's fast steps, or none while debug logging shows every state entered."""
        if logger.isEnabledFor(logging.DEBUG):
            return {}
        if self.inline is not None:
            return self.program.inline_steps
        return self.program.fast_steps

    def text_of(self, moment: datetime) -> str:
        """Format `moment` as the context object shows times."""
        return self.now_text if moment is self.now else format_time(moment)

    def follow(self, cursor: Cursor, outcome) -> list[Action]:
        """Turn an outcome into actions, entering further states while the outcome is a transition."""
        steps = self.fast_steps()
        while True:
            if steps and isinstance(outcome, Transition) and outcome.cursor.state in steps:
                outcome = fast_path.run_fast(self, outcome, steps)
            if isinstance(outcome, Resume):
                outcome = self.resume(outcome.cursor, self.program.state(outcome.cursor.state), outcome.event)
                continue
            if isinstance(outcome, Transition):
                if outcome.cursor.event_id >= self.max_events:
                    return [self.fail(outcome.cursor, *self.history_limit_error())]
                cursor = self.enter(outcome.cursor)
                outcome = self.execute(cursor, outcome.output)
                continue
            if isinstance(outcome, Finished):
                return [self.finish(outcome.cursor, outcome.output)]
            if isinstance(outcome, StateFailure):
                return [self.fail(outcome.cursor, outcome.error, outcome.cause)]
            if self.inline is not None and len(outcome) == 1:
                action = outcome[0]
                if type(action) is DispatchTask and action.timeout_seconds is None:
                    event = self.call_inline(action.function, action.payload, action.state)
                    outcome = Resume(action.cursor, event)
                    continue
            return outcome

    @property
    def max_events(self) -> int:
        if self.execution.execution_type == "EXPRESS":
            return MAX_EXPRESS_EVENTS
        return MAX_STANDARD_EVENTS

    def history_limit_error(self) -> tuple[str, str]:
        return (
            "States.Runtime",
            f"The execution reached the limit of {self.max_events} history events; "
            "a loop of states that never ends is the usual cause.",
        )

    def enter(self, cursor: Cursor) -> Cursor:
        if cursor.state not in self.program.states:
            raise EngineError(f"the cursor names the state {cursor.state!r}, which the definition does not have")
        state_type = self.program.states[cursor.state].type
        logger.debug("execution %s enters state %s (%s)", self.execution.id, cursor.state, state_type)
        if self.on_enter is not None:
            self.on_enter(cursor.state, state_type)
        event_id = cursor.event_id + 1
        return cursor.with_changes(
            entered=self.now_text,
            entered_event_id=event_id,
            event_id=event_id,
            retries=(),
            input=None,
            transitions=cursor.transitions + 1,
        )

    def execute(self, cursor: Cursor, state_input: Any):
        """Run the cursor's state on `state_input`; errors go to Retry and Catch."""
        state = self.program.state(cursor.state)
        try:
            return state_types.execute(self, cursor, state, state_input)
        except StatesError as error:
            return handle_failure(self, cursor, state, state_input, error.error, self.cause_of(cursor, error))

    def resume(self, cursor: Cursor, state, event: Event):
        """Apply a driver event to the state that waited for it."""
        raw_input = cursor.input
        try:
            if isinstance(event, TaskSucceeded):
                return state_types.task_succeeded(self, cursor, state, event)
            if isinstance(event, FunctionFailed):
                error, cause = state_types.function_error(state, event.payload)
                return handle_failure(self, cursor.with_changes(event_id=cursor.event_id + 1), state, raw_input, error, cause)
            if isinstance(event, FunctionNotFound):
                function = event.function or lambda_tasks.dispatched_function(self, cursor, state)
                error, cause = state_types.function_not_found(self, function, event.request_id)
                return handle_failure(self, cursor.with_changes(event_id=cursor.event_id + 1), state, raw_input, error, cause)
            if isinstance(event, TaskFailed):
                return handle_failure(
                    self, cursor.with_changes(event_id=cursor.event_id + 1), state, raw_input, event.error, event.cause
                )
            if isinstance(event, DelayElapsed):
                return state_types.delay_elapsed(self, cursor, state)
            if isinstance(event, JoinCompleted):
                return state_types.join_completed(self, cursor, state, event.outputs, event.events)
            if isinstance(event, JoinFailed):
                return handle_failure(self, cursor, state, raw_input, event.error, event.cause)
        except StatesError as error:
            return handle_failure(self, cursor, state, raw_input, error.error, self.cause_of(cursor, error))
        raise EngineError(f"unknown event {event!r}")

    def cause_of(self, cursor: Cursor, error: StatesError) -> str | None:
        """Return AWS's cause for an evaluation error: the state prefix, then the evaluator's text."""
        if getattr(error, "unprefixed", False) or error.cause is None:
            return error.cause
        return (
            f"An error occurred while executing the state '{cursor.state}' "
            f"(entered at the event id #{cursor.entered_event_id}). {error.cause}"
        )

    def finish(self, cursor: Cursor, output: Any) -> Action:
        if cursor.frames:
            frame = cursor.frames[-1]
            return Arrive(frame.join_id, frame.index, output=output, events=_child_events(cursor))
        logger.info("execution %s succeeded", self.execution.id)
        return Succeed(output)

    def fail(self, cursor: Cursor, error: str | None, cause: str | None) -> Action:
        if cursor.frames:
            frame = cursor.frames[-1]
            return Arrive(frame.join_id, frame.index, failed=True, error=error, cause=cause, events=_child_events(cursor))
        logger.info("execution %s failed in state %s: %s", self.execution.id, cursor.state, error)
        # AWS leaves an empty cause out of the execution's failure (a Task
        # timeout's cause is "" in the error output, and absent here).
        return Fail(error, cause or None)


def _child_events(cursor: Cursor) -> int:
    """Return the history events a child added since it started (0 for a child execution)."""
    first = cursor.frames[-1].first_event_id
    return cursor.event_id - first if first else 0
