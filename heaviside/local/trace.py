"""Trace records of the in-process runner: what an execution does, as it happens.

`heaviside.local.run(..., observe=callback)` passes the callback one record
per step of the execution: a state entered, a retry scheduled, an error
caught or not caught, a Map started and each of its iterations ended. The
records are built from what the runner hands to and receives from the engine,
so the engine stays free of I/O. Every record carries `seconds`, the elapsed
execution time on the runner's scaled clock (see `heaviside.local.runner`).

`format_record` turns a record into the line that ``heaviside run --trace``
prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

from heaviside.engine import (
    Arrive,
    Cursor,
    Fail,
    Fork,
    FunctionFailed,
    FunctionNotFound,
    JoinFailed,
    ScheduleDelay,
    TaskFailed,
)


@dataclass(frozen=True)
class StateEntered:
    """The execution entered `state`, of type `state_type` (Task, Map ...)."""

    seconds: float
    state: str
    state_type: str


@dataclass(frozen=True)
class RetryScheduled:
    """`state` failed with `error` and its Retry schedules attempt `attempt` in `delay` seconds.

    `attempt` counts retries from 1, summed over the state's retriers, as
    ``$$.State.RetryCount`` does after the retry. `delay` is in execution
    time, as the Retry field gives it (before the time scale). `error` is
    None when the failure came from the engine itself, for example a result
    over the size limit, because the runner then receives no failure event.
    """

    seconds: float
    state: str
    error: str | None
    attempt: int
    delay: float


@dataclass(frozen=True)
class ErrorCaught:
    """A Catch of `state` handled `error` and the execution continues at `next_state`."""

    seconds: float
    state: str
    error: str
    next_state: str


@dataclass(frozen=True)
class StateFailed:
    """`state` failed with `error`, which neither its Retry nor its Catch handled.

    At the top level this fails the execution. Inside a Parallel branch or a
    Map iteration it fails that branch or iteration, and the Parallel or Map
    state then fails unless the Map tolerates the failure.
    """

    seconds: float
    state: str
    error: str


@dataclass(frozen=True)
class MapStarted:
    """The Map state `state` starts `iterations` iterations, at most `max_concurrency` at a time (0: no limit).

    A Map whose iterations contain no Task or Wait state runs them inside
    one engine call, so it produces no Map records.
    """

    seconds: float
    state: str
    iterations: int
    max_concurrency: int


@dataclass(frozen=True)
class IterationEnded:
    """Iteration `index` of the Map state `state` ended; `ended` of `iterations` have ended so far.

    `failed` is true when this iteration failed, and `failures` counts the
    failed ones so far.
    """

    seconds: float
    state: str
    index: int
    failed: bool
    ended: int
    failures: int
    iterations: int


TraceRecord = Union[StateEntered, RetryScheduled, ErrorCaught, StateFailed, MapStarted, IterationEnded]


def format_record(record: TraceRecord) -> str:
    """Format `record` as one trace line: elapsed seconds, state type or blank, and the text."""
    elapsed = f"{record.seconds:10.3f}s"
    if isinstance(record, StateEntered):
        return f"{elapsed}  {record.state_type:<8}  {record.state}"
    return f"{elapsed}  {'':<8}  {describe_record(record)}"


def describe_record(record: TraceRecord) -> str:
    """Describe a record other than `StateEntered` in words, starting with the state name."""
    if isinstance(record, RetryScheduled):
        error = f"{record.error}, " if record.error else ""
        return f"{record.state}: {error}retry {record.attempt} in {round(record.delay, 3)}s"
    if isinstance(record, ErrorCaught):
        return f"{record.state}: {record.error}, caught, next {record.next_state}"
    if isinstance(record, StateFailed):
        return f"{record.state}: {record.error}, not caught"
    if isinstance(record, MapStarted):
        noun = "iteration" if record.iterations == 1 else "iterations"
        limit = f", at most {record.max_concurrency} at a time" if record.max_concurrency else ""
        return f"{record.state}: {record.iterations} {noun}{limit}"
    if isinstance(record, IterationEnded):
        failures = f", {record.failures} failed" if record.failures else ""
        return f"{record.state}: {record.ended} of {record.iterations} iterations ended{failures}"
    return f"{record.state}: entered"


class Tracer:
    """Build trace records from the runner's engine calls and pass them to `observe`.

    The runner calls every method on its own thread, one engine call at a
    time: `state_entered` is the engine's ``on_enter`` callback, and
    `advancing` and `advanced` surround each `advance` call. For a failure
    event, the states entered during the call are held back until the call
    returns, so the retry, catch or failure record comes before them.
    """

    def __init__(self, clock: Any, observe: Callable[[TraceRecord], None]):
        # `clock` has now() and start, as the runner's ScaledClock does.
        self._clock = clock
        self._observe = observe
        # The failure being handled by the current engine call: cursor, error and time, or None.
        self._failure: tuple[Cursor, str, float] | None = None
        self._held_back: list[StateEntered] = []
        # Per join id of a running Map: [ended, failed] iterations.
        self._map_counts: dict[str, list[int]] = {}

    @classmethod
    def create(
        cls,
        clock: Any,
        trace: Callable[[str], None] | None = None,
        observe: Callable[[TraceRecord], None] | None = None,
    ) -> "Tracer | None":
        """Return a tracer that passes every record to `observe` and a line per state entered to `trace`.

        Returns None when both are None, so an untraced run pays nothing.
        """
        if trace is None and observe is None:
            return None

        def dispatch(record: TraceRecord) -> None:
            if trace is not None and isinstance(record, StateEntered):
                trace(format_record(record))
            if observe is not None:
                observe(record)

        return cls(clock, dispatch)

    def state_entered(self, state_name: str, state_type: str) -> None:
        record = StateEntered(self._elapsed_seconds(), state_name, state_type)
        if self._failure is not None:
            self._held_back.append(record)
        else:
            self._observe(record)

    def advancing(self, cursor: Cursor, event: Any) -> None:
        """Note the engine call about to handle `event` at `cursor`."""
        error = _failure_error(event)
        if error is not _NOT_A_FAILURE:
            self._failure = (cursor, error, self._elapsed_seconds())

    def advanced(self, actions: list) -> None:
        """Report what the engine did with a failure event (retry, catch or neither), then the states it entered."""
        if self._failure is None:
            return
        cursor, error, seconds = self._failure
        held_back = self._held_back
        self._failure = None
        self._held_back = []

        retry = _retry_of(cursor, actions)
        if retry is not None:
            self._observe(RetryScheduled(seconds, cursor.state, error, retry.cursor.retry_count, retry.seconds))
        elif held_back:
            # A catcher moves the thread to its Next state within the same call.
            self._observe(ErrorCaught(seconds, cursor.state, error, held_back[0].state))
        elif any(isinstance(action, Fail) or (isinstance(action, Arrive) and action.failed) for action in actions):
            self._observe(StateFailed(seconds, cursor.state, error))
        for record in held_back:
            self._observe(record)

    def forked(self, fork: Fork) -> None:
        if fork.kind != "iteration":
            return
        if fork.children:
            self._map_counts[fork.join_id] = [0, 0]
        self._observe(MapStarted(self._elapsed_seconds(), fork.cursor.state, len(fork.children), fork.max_concurrency))

    def arrived(self, fork: Fork, arrival: Arrive) -> None:
        counts = self._map_counts.get(fork.join_id)
        if counts is None:
            return
        counts[0] += 1
        counts[1] += 1 if arrival.failed else 0
        if counts[0] == len(fork.children):
            del self._map_counts[fork.join_id]
        self._observe(
            IterationEnded(
                self._elapsed_seconds(),
                fork.cursor.state,
                arrival.index,
                arrival.failed,
                counts[0],
                counts[1],
                len(fork.children),
            )
        )


    def _elapsed_seconds(self) -> float:
        return (self._clock.now() - self._clock.start).total_seconds()


_NOT_A_FAILURE = object()


def _failure_error(event: Any) -> Any:
    """Return the error name of a failure event, as the engine names it, or `_NOT_A_FAILURE`."""
    if isinstance(event, FunctionFailed):
        payload = event.payload if isinstance(event.payload, dict) else {}
        return payload.get("errorType") or "Lambda.Unknown"
    if isinstance(event, FunctionNotFound):
        return "Lambda.ResourceNotFoundException"
    if isinstance(event, (TaskFailed, JoinFailed)):
        return event.error
    return _NOT_A_FAILURE


def _retry_of(cursor: Cursor, actions: list) -> ScheduleDelay | None:
    """Return the action that retries the state at `cursor`, if the engine scheduled one."""
    for action in actions:
        if (
            isinstance(action, ScheduleDelay)
            and action.cursor.state == cursor.state
            and action.cursor.frames == cursor.frames
            and action.cursor.retry_count > cursor.retry_count
        ):
            return action
    return None
