"""Retry and Catch: what happens when a state fails.

Retriers are scanned in order and the first whose ErrorEquals matches
decides: it schedules another attempt, or, when its MaxAttempts are used up,
hands the error to the catchers. Attempt counts are kept per retrier in the
cursor and reset when the state is left.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from heaviside.asl.errors import StatesError
from heaviside.engine import io
from heaviside.engine.actions import ScheduleDelay
from heaviside.engine.cursor import Cursor
from heaviside.engine.io import assign_variables, place_result
from heaviside.engine.outcomes import StateFailure

# States.ALL matches every error except States.Runtime, which AWS treats as terminal.
# (States.DataLimitExceeded is documented as terminal too, but recordings show a
# States.ALL catcher handling it after a Lambda returned more than 256 KiB.)
_NOT_MATCHED_BY_ALL = frozenset({"States.Runtime"})
# States.Runtime fails the execution even when a retrier or catcher names it
# explicitly (recorded against AWS: a catcher of "States.Runtime" on a Task whose
# OutputPath selects nothing does not run).
_NEVER_HANDLED = frozenset({"States.Runtime"})


def error_matches(error_equals: tuple[str, ...], error: str | None, is_task: bool) -> bool:
    """Return whether a retrier's or catcher's ErrorEquals list matches `error`."""
    if error is None or error in _NEVER_HANDLED:
        return False
    for name in error_equals:
        if name == error:
            return True
        if name == "States.ALL" and error not in _NOT_MATCHED_BY_ALL:
            return True
        # States.TaskFailed stands for any error of a Task except a timeout.
        if name == "States.TaskFailed" and is_task and error != "States.Timeout" and error not in _NOT_MATCHED_BY_ALL:
            return True
    return False


def handle_failure(run, cursor: Cursor, state, raw_input: Any, error: str | None, cause: str | None):
    """Apply the state's Retry, then its Catch, to a failure; return the outcome."""
    is_task = state.type == "Task"

    for index, retrier in enumerate(state.retriers):
        if not error_matches(retrier.error_equals, error, is_task):
            continue
        attempts = cursor.retries[index] if index < len(cursor.retries) else 0
        if attempts < retrier.max_attempts:
            seconds = retry_delay(retrier, attempts, cursor)
            retries = list(cursor.retries) + [0] * (len(state.retriers) - len(cursor.retries))
            retries[index] = attempts + 1
            waiting = cursor.with_changes(retries=tuple(retries), input=raw_input)
            return [ScheduleDelay(waiting, seconds, run.now + timedelta(seconds=seconds))]
        break

    for catcher in state.catchers:
        if error_matches(catcher.catcher.error_equals, error, is_task):
            try:
                return _catch(run, cursor, state, catcher, raw_input, error, cause)
            except StatesError as catch_error:
                # The catcher's own ResultPath, Output or Assign failed, so the state fails with that error.
                return StateFailure(cursor, catch_error.error, run.cause_of(cursor, catch_error))

    return StateFailure(cursor, error, cause)


def retry_delay(retrier, attempts: int, cursor: Cursor) -> float:
    """Return the seconds before the next attempt: IntervalSeconds × BackoffRate^attempts, capped and jittered."""
    seconds = float(retrier.interval_seconds) * float(retrier.backoff_rate) ** attempts
    if retrier.max_delay_seconds is not None:
        seconds = min(seconds, float(retrier.max_delay_seconds))
    if retrier.jitter_strategy == "FULL":
        # The engine reads no entropy source: the jitter is derived from the
        # cursor, so a repeated delivery of the same hop picks the same delay.
        # Only FULL jitter needs `random`, so a Lambda hop imports it only then.
        import random

        seed = f"{cursor.state}/{cursor.frames}/{cursor.entered}/{attempts}"
        seconds = random.Random(seed).uniform(0, seconds)
    return seconds


def _catch(run, cursor: Cursor, state, catcher, raw_input: Any, error: str | None, cause: str | None):
    from heaviside.engine.states import context_for, jsonata_scope, leave

    error_output: dict[str, Any] = {"Error": error}
    if cause is not None:
        error_output["Cause"] = cause

    if state.jsonata:
        scope = jsonata_scope(run, cursor, raw_input).with_states(errorOutput=error_output)
        output = error_output
        if catcher.output is not None:
            output = scope.evaluate(catcher.output, "Output")
        assigned = io.evaluate_assign(catcher.assign, scope.variables, states=scope.states, now=scope.now)
    else:
        variables = cursor.lookup_variables()
        context = context_for(run, cursor)
        output = place_result(catcher.result_path, catcher.discards_result, raw_input, error_output)
        assigned = io.evaluate_assign(catcher.assign, variables, value=error_output, context=context)

    moved = assign_variables(cursor, assigned)
    return leave(moved, state, output, next_state=catcher.catcher.next)

