"""The interpreter: a pure `advance()` over a cursor that returns actions.

The engine decides and never acts. It reads no clock (the caller passes
`now`, a timezone-aware `datetime`), starts no threads, does no I/O and
imports nothing from `heaviside.runtime` or `heaviside.local`. Two drivers
perform its actions: the in-process runner (`heaviside.local`) and the
Lambda runtime (`heaviside.runtime`).

API
---

``program = compile_program(definition)``
    Compile a `heaviside.asl.model.Definition` once: paths, payload
    templates, intrinsic calls, Choice rules and JSONata expressions are
    parsed here, so no transition parses anything. `compile_program` caches
    by the definition object's identity, so calling it per hop is cheap.

``actions = start(program, execution, now)``
    Begin an execution. `execution` is an `ExecutionInfo` (execution ARN and
    name, input, start time, role ARN, state machine ARN and name). The
    driver keeps it and passes the same value to every `advance` call,
    because the context object (``$$.Execution.*``) is built from it.

``actions = advance(program, execution, cursor, event, now)``
    Continue the execution at `cursor` after `event`, one of:

    - ``Enter(input)``: a Fork child starts at its cursor with this input;
    - ``TaskSucceeded(result, request_id, size)``: the Task's function returned;
      `size` is an upper bound of the result's JSON size, or None;
    - ``FunctionFailed(payload, request_id)``: the handler raised; `payload`
      is the Lambda error payload ``{"errorMessage", "errorType",
      "requestId", "stackTrace"}``; the engine shapes Error and Cause as
      Step Functions does for the Task's Resource form;
    - ``FunctionNotFound(function, request_id)``: no function has that name; the
      engine raises ``Lambda.ResourceNotFoundException`` with AWS's cause;
    - ``TaskFailed(error, cause)``: any other failure of the task, for
      example ``States.Timeout`` when the driver enforced `timeout_seconds`;
    - ``DelayElapsed()``: a `ScheduleDelay` is due;
    - ``JoinCompleted(outputs, events)``: every child of a `Fork` arrived;
      `outputs` is in index order and `events` the sum of the arrivals'
      `events` (None when not counted: later history event ids then leave
      out the children's events);
    - ``JoinFailed(error, cause)``: a child failed (beyond the tolerated
      failures of a Map); the engine applies the state's Retry and Catch.

Both functions take a keyword argument `on_enter`, a callable that receives
the name and type of every state entered during the call (for tracing), and
a keyword argument `inline`, an `InlineTasks` object with
``invoke(function, payload, state) -> Event`` and ``now() -> datetime``.
With `inline`, the engine calls a Task's function through it within the same
call, instead of returning `DispatchTask`, for every Task without
TimeoutSeconds, and reads `now()` after each call. A driver passes it only
when nothing else of the execution could run meanwhile (no Fork open, no
other Task or delay pending). The engine ignores it when the definition has
TimeoutSeconds, because a call could run past the execution's deadline.
Both return a list of actions for the driver to perform:

- ``DispatchTask(cursor, function, payload, timeout_seconds, state)``: call
  the Lambda function `function` (a name or ARN, exactly as the definition
  gives it) with `payload`, the effective input the handler receives, and
  report the outcome with `advance(..., cursor, TaskSucceeded | ...)`;
- ``ScheduleDelay(cursor, seconds, until)``: call `advance(..., cursor,
  DelayElapsed(), now)` at `until` (`seconds` after `now`);
- ``Fork(cursor, join_id, kind, children, max_concurrency,
  tolerated_failure_count, tolerated_failure_percentage)``: start each
  ``ForkChild(index, cursor, input)`` with `advance(..., child.cursor,
  Enter(child.input), now)`, at most `max_concurrency` at a time (0 means no
  limit), and wait for their `Arrive` actions. When all arrived, resume the
  parent with `JoinCompleted`; when a child fails and
  ``fork.exceeds_tolerance(failed_count)`` is true, resume it with
  ``JoinFailed(*fork.join_failure(error, cause))`` instead and drop later
  arrivals. `kind` is ``"branch"``
  (Parallel) or ``"iteration"`` (Map).
- ``Arrive(join_id, index, output, failed, error, cause, events)``: a child
  finished, with `output` on success, or with `failed` set and
  `error`/`cause` (either may be None) on failure; `events` counts the
  history events it added;
- ``Succeed(output)``, ``Fail(error, cause)``: the execution ended;
- ``TimedOut()``: the execution's own TimeoutSeconds elapsed.

An action list holds at most one action that continues a cursor, so a driver
can perform them in order. Control-only stretches (Pass, Choice, Succeed,
Fail, and Parallel branches or Map iterations with neither Task nor Wait
inside) are evaluated within one call.

``Cursor``
    Where one thread of an execution is: plain data with ``to_json()`` and
    ``Cursor.from_json(data)``, compact because it travels in every Lambda
    envelope. It holds the current state, the frames of enclosing Parallel
    branches and Map iterations (join id and index), retry counters, the
    state's entered time, the raw state input while a Task runs, the
    workflow variables in scope, and the history event counter that AWS's
    error causes quote ("entered at the event id #N").

Errors: the engine raises nothing for problems of the execution (they end in
`Fail`). It raises `EngineError` only when a driver misuses the API, for
example an event that does not fit the cursor's state.
"""

from heaviside.engine.actions import (
    Action,
    Arrive,
    DispatchTask,
    Fail,
    Fork,
    ForkChild,
    ScheduleDelay,
    Succeed,
    TimedOut,
)
from heaviside.engine.context import ExecutionInfo
from heaviside.engine.cursor import Cursor, Frame
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
from heaviside.engine.interpreter import InlineTasks, advance, start
from heaviside.engine.program import Program, compile_program

__all__ = [
    "Action",
    "Arrive",
    "Cursor",
    "DelayElapsed",
    "DispatchTask",
    "EngineError",
    "Enter",
    "Event",
    "ExecutionInfo",
    "Fail",
    "Fork",
    "ForkChild",
    "Frame",
    "FunctionFailed",
    "FunctionNotFound",
    "InlineTasks",
    "JoinCompleted",
    "JoinFailed",
    "Program",
    "ScheduleDelay",
    "Succeed",
    "TaskFailed",
    "TaskSucceeded",
    "TimedOut",
    "advance",
    "compile_program",
    "start",
]
