"""The task decorator `@heaviside.task` and the `current()` helper for handlers.

Without an envelope the decorated handler runs unchanged, so the function
stays usable on its own. With one, the decorator runs one hop. It unwraps
the envelope and calls the handler under the Task's TimeoutSeconds, with
exactly the effective input Step Functions would pass and the Lambda context
object unchanged. Then it hands the outcome to the engine, and the driver
performs the engine's actions (next Task, delay, fork, join arrival, end of
the execution) before the Lambda returns.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
from typing import Any, Callable

from heaviside.asl.model import record
from heaviside.engine import Cursor, FunctionFailed, TaskFailed
from heaviside.engine.lambda_tasks import result_event
from heaviside.runtime import envelope as envelopes
from heaviside.runtime import faults
from heaviside.runtime.driver import container_driver
from heaviside.runtime.envelope import HeavisideContext

logger = logging.getLogger(__name__)

__all__ = ["TaskInfo", "current", "task"]


@record(frozen=True)
class TaskInfo:
    """The identity of the running hop: execution, state machine, state and retry count."""

    execution_id: str
    execution_name: str
    state_machine_name: str
    state_name: str
    retry_count: int


_current: contextvars.ContextVar[TaskInfo | None] = contextvars.ContextVar("heaviside_current", default=None)


def current() -> TaskInfo | None:
    """Return the execution id, state name and retry count of the running hop, or None outside one."""
    return _current.get()


def task(handler: Callable | None = None):
    """Decorate a Lambda handler so that it runs as a heaviside Task; usable as ``@task`` or ``@task()``."""

    def decorate(function: Callable) -> Callable:
        if getattr(function, "__heaviside_task__", False):
            return function

        @functools.wraps(function)
        def wrapper(event, context=None):
            if envelopes.is_envelope(event):
                driver = container_driver()
                heaviside_context, effective_input = driver.decode(event)
                return _run_hop(function, heaviside_context, effective_input, context, synchronous=False)
            heaviside_context = envelopes.context_from_client_context(context)
            if heaviside_context is not None:
                return _run_hop(function, heaviside_context, event, context, synchronous=True)
            return function(event, context)

        wrapper.__heaviside_task__ = True
        return wrapper

    return decorate(handler) if handler is not None else decorate


def _run_hop(
    function: Callable,
    heaviside_context: HeavisideContext,
    effective_input: Any,
    lambda_context: Any,
    *,
    synchronous: bool,
) -> Any:
    driver = container_driver()
    if not driver.claim_hop(heaviside_context):
        return None
    cursor = Cursor.from_json(heaviside_context.cursor)
    if driver.stopped(heaviside_context, cursor):
        return None
    info = TaskInfo(
        execution_id=heaviside_context.execution_id,
        execution_name=heaviside_context.execution_name,
        state_machine_name=heaviside_context.state_machine_name,
        state_name=cursor.state,
        retry_count=cursor.retry_count,
    )
    request_id = getattr(lambda_context, "aws_request_id", "") or ""
    timeout = heaviside_context.timeout_seconds
    real_timeout = None if timeout is None else timeout * driver.config.time_scale
    if heaviside_context.deadline is not None:
        # The execution's TimeoutSeconds also bounds the handler; past the
        # deadline the engine ends the execution as TIMED_OUT.
        until_deadline = (heaviside_context.deadline / 1000 - driver.now(heaviside_context).timestamp())
        until_deadline = max(0.0, until_deadline * driver.config.time_scale)
        real_timeout = until_deadline if real_timeout is None else min(real_timeout, until_deadline)
    logger.info(
        "Running state %r of execution %s (retry %d)", info.state_name, info.execution_id, info.retry_count
    )

    result, error, timed_out = _call(function, effective_input, lambda_context, real_timeout, info)
    if timed_out:
        logger.info("State %r of execution %s timed out after %s s", info.state_name, info.execution_id, timeout)
        event: Any = TaskFailed("States.Timeout", "")
    elif error is not None:
        logger.info(
            "Handler of state %r of execution %s raised %s", info.state_name, info.execution_id, type(error).__name__
        )
        event = FunctionFailed(error_payload(error, request_id), request_id)
    else:
        event = result_event(result, request_id)

    faults.checkpoint(faults.AFTER_HANDLER)
    driver.resume(heaviside_context, event, remaining_seconds=_remaining_seconds(lambda_context))
    if synchronous and error is not None:
        raise error
    return result


def _call(function, effective_input, lambda_context, timeout, info) -> tuple[Any, BaseException | None, bool]:
    """Call the handler; return (result, exception raised, whether it timed out)."""
    if timeout is None:
        token = _current.set(info)
        try:
            return function(effective_input, lambda_context), None, False
        except Exception as error:
            return None, error, False
        finally:
            _current.reset(token)

    outcome: dict[str, Any] = {}

    def run() -> None:
        _current.set(info)
        try:
            outcome["result"] = function(effective_input, lambda_context)
        except Exception as error:
            outcome["error"] = error

    # The handler runs in a thread so that the hop can go on when it exceeds
    # the Task's TimeoutSeconds. Python cannot stop that thread; it ends with
    # the handler or when Lambda freezes the container.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return None, None, True
    return outcome.get("result"), outcome.get("error"), False


def error_payload(error: BaseException, request_id: str) -> dict:
    """Build the Lambda Python runtime's error payload for an exception a handler raised.

    The first traceback frame is the caller's own and is left out of ``stackTrace``.
    """
    # Only a failing handler needs traceback, so a hop that succeeds does not import it.
    import traceback

    # Plain tuples, as Lambda's runtime passes them, print without the caret
    # lines that Python 3.11 adds for frames with column positions.
    frames = [(frame.filename, frame.lineno, frame.name, frame.line) for frame in traceback.extract_tb(error.__traceback__)[1:]]
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _remaining_seconds(lambda_context: Any) -> Callable[[], float]:
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: float("inf")
    return lambda: remaining() / 1000
