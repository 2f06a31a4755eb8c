"""The in-process runner: one whole execution through the engine, on this machine.

The engine decides; this module performs its actions. Engine calls all happen
on the caller's thread, one event at a time. Task handlers run on a thread
pool, except when nothing else could run meanwhile (see `_Runner._runs_inline`):
then the handler runs on the caller's thread, which saves the pool's hand-off.
Delays and timeouts use a scaled clock: with ``time_scale=0.01``
a 60-second Wait takes 0.6 seconds of real time, and the context object
shows times as if the full minute had passed.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import queue
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from heaviside.asl.model import Definition, build_definition
from heaviside.engine import (
    Arrive,
    Cursor,
    DelayElapsed,
    DispatchTask,
    Enter,
    ExecutionInfo,
    Fail,
    Fork,
    FunctionFailed,
    FunctionNotFound,
    JoinCompleted,
    JoinFailed,
    ScheduleDelay,
    Succeed,
    TaskFailed,
    TimedOut,
    advance,
    compile_program,
    start,
)
from heaviside.engine.lambda_tasks import copy_event, result_event
from heaviside.local.trace import TraceRecord, Tracer

logger = logging.getLogger(__name__)

REGION = "us-east-1"
ACCOUNT = "111111111111"
DEFAULT_STATE_MACHINE_NAME = "heaviside-local"
DEFAULT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/heaviside-local"
# Threads for Task handlers; Parallel and Map children beyond this queue up.
MAX_WORKERS = 32

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"


@dataclass
class Execution:
    """The outcome of a local run: `output` when SUCCEEDED, else `error` and `cause` (either may be None)."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    execution_arn: str = ""
    name: str = ""
    start_time: datetime | None = None
    stop_time: datetime | None = None

    def to_json(self) -> dict:
        if self.status == SUCCEEDED:
            return {"status": self.status, "output": self.output}
        result: dict[str, Any] = {"status": self.status}
        if self.error is not None:
            result["error"] = self.error
        if self.cause is not None:
            result["cause"] = self.cause
        return result


def run(
    definition: Any,
    input: Any = None,
    *,
    functions: Mapping[str, Callable] | None = None,
    time_scale: float = 1.0,
    names: Mapping[str, str | None] | None = None,
    execution_type: str = "STANDARD",
    trace: Callable[[str], None] | None = None,
    observe: Callable[[TraceRecord], None] | None = None,
) -> Execution:
    """Run one execution of `definition` with `input` and return its outcome.

    `definition` is a dict, JSON text, a path to a JSON or YAML file, or a
    model from `heaviside.load_definition`. A dict, text or path is validated
    first, and an invalid one raises `heaviside.InvalidDefinition`. `functions` maps function names
    or ARNs to handlers ``(event, context)``. `time_scale` (> 0) multiplies
    every Wait, retry interval, Task timeout and the execution timeout.
    `names` may set ``state_machine``, ``execution`` and ``role_arn`` for the
    context object. `trace` receives one line per state entered, and
    `observe` a record per step (see `heaviside.local.trace`).
    """
    if not time_scale > 0:
        raise ValueError(f"time_scale must be greater than 0, got {time_scale!r}")
    model = _load(definition)
    runner = _Runner(model, functions or {}, time_scale, names or {}, execution_type, trace, observe)
    return runner.run(input)


def _load(definition: Any) -> Definition:
    if isinstance(definition, Definition):
        return definition
    try:
        from heaviside.asl.load import load_definition
    except ImportError:  # pragma: no cover - the loader ships with heaviside
        if isinstance(definition, str) and not Path(definition).exists():
            definition = json.loads(definition)
        return build_definition(definition)
    return load_definition(definition)


class ScaledClock:
    """The execution's clock: real elapsed time divided by the time scale.

    `now()` runs after every Task call, so within half a millisecond of
    execution time it returns the moment it computed last. The context
    object shows milliseconds, and the time never goes backwards.
    """

    def __init__(self, time_scale: float):
        self.time_scale = time_scale
        self.start = datetime.now(timezone.utc)
        self._origin = time.monotonic()
        self._reuse_seconds = 0.0005 * time_scale
        self._last_reading = self._origin
        self._last_now = self.start

    def now(self) -> datetime:
        reading = time.monotonic()
        if reading - self._last_reading < self._reuse_seconds:
            return self._last_now
        moment = self.start + timedelta(seconds=(reading - self._origin) / self.time_scale)
        self._last_reading = reading
        self._last_now = moment
        return moment

    def real_seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() * self.time_scale)


@dataclass
class _Join:
    fork: Fork
    outputs: list
    arrived: int = 0
    failed: int = 0
    events: int = 0
    next_index: int = 0
    done: bool = False


@dataclass(order=True)
class _Timer:
    due: datetime
    sequence: int
    cursor: Cursor = field(compare=False)
    event: Any = field(compare=False)
    token: int | None = field(default=None, compare=False)


class LambdaContext:
    """A Lambda-like context object for handlers run by the local runner.

    Besides Lambda's attributes it has `time_scale` and `sleep(seconds)`, so
    a test handler that stands for a slow function can wait in scaled time.
    """

    # One is made per Task call, so the attributes that never change are the
    # class's, and the ones built from the name are built when read.
    function_version = "$LATEST"
    memory_limit_in_mb = "128"
    log_stream_name = "heaviside-local"
    identity = None
    client_context = None

    def __init__(self, function_name: str, request_id: str, deadline: float | None, time_scale: float):
        self.function_name = function_name
        self.aws_request_id = request_id
        self.time_scale = time_scale
        self._deadline = deadline

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        if self._deadline is None:
            return 900_000
        return max(0, int((self._deadline - time.monotonic()) / self.time_scale * 1000))

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.time_scale)


class _Runner:
    def __init__(self, model, functions, time_scale, names, execution_type, trace, observe=None):
        self.program = compile_program(model)
        self.functions = dict(functions)
        # Function name or ARN -> (handler or None, bare function name).
        self.resolved: dict[str, tuple[Callable | None, str]] = {}
        # Whether INFO logging is on, read once per run, so inline calls skip the logger's own check.
        self.logs_calls = logger.isEnabledFor(logging.INFO)
        self.time_scale = time_scale
        self.names = names
        self.execution_type = execution_type
        self.clock = ScaledClock(time_scale)
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        # Events of handlers run inline on this thread; `_step` takes these first.
        self.inline_events: deque = deque()
        self.pool: ThreadPoolExecutor | None = None
        self.deadline: datetime | None = None
        self.timers: list[_Timer] = []
        self.sequence = itertools.count()
        self.joins: dict[str, _Join] = {}
        # Ids of joins that failed. Events of their children still running are dropped.
        self.stopped_joins: set[str] = set()
        self.tasks: dict[int, bool] = {}
        self.task_tokens = itertools.count()
        self.outcome: Execution | None = None
        self.tracer = Tracer.create(self.clock, trace, observe)
        self.on_enter = self.tracer.state_entered if self.tracer is not None else None

    def run(self, execution_input: Any) -> Execution:
        execution = self._execution_info(execution_input)
        self.execution = execution
        deadline = None
        if self.program.timeout_seconds:
            deadline = execution.start_time + timedelta(seconds=self.program.timeout_seconds)
        self.deadline = deadline

        try:
            self._perform(
                start(self.program, execution, self.clock.now(), on_enter=self.on_enter, inline=self._inline_tasks())
            )
            while self.outcome is None:
                self._step(deadline)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
        self.outcome.execution_arn = execution.id
        self.outcome.name = execution.name
        self.outcome.start_time = execution.start_time
        self.outcome.stop_time = self.clock.now()
        return self.outcome

    def _execution_info(self, execution_input: Any) -> ExecutionInfo:
        machine_name = self.names.get("state_machine") or DEFAULT_STATE_MACHINE_NAME
        execution_name = self.names.get("execution") or _new_id()
        role_arn = self.names.get("role_arn") or DEFAULT_ROLE_ARN
        machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"
        if self.execution_type == "EXPRESS":
            execution_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:express:{machine_name}:{execution_name}:{_new_id()}"
        else:
            execution_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{execution_name}"
        return ExecutionInfo(
            id=execution_arn,
            name=execution_name,
            input=execution_input,
            start_time=self.clock.start,
            role_arn=role_arn,
            state_machine_id=machine_arn,
            state_machine_name=machine_name,
            execution_type=self.execution_type,
        )

    def _step(self, deadline: datetime | None) -> None:
        """Wait for the next event or timer, then hand it to the engine."""
        if self.inline_events:
            self._advance(*self.inline_events.popleft())
            return
        wake = self.timers[0].due if self.timers else None
        if deadline is not None and (wake is None or deadline < wake):
            wake = deadline
        timeout = None if wake is None else self.clock.real_seconds_until(wake)
        try:
            cursor, event = self.events.get(timeout=timeout)
        except queue.Empty:
            now = self.clock.now()
            if deadline is not None and now >= deadline:
                self.outcome = Execution(TIMED_OUT)
                return
            while self.timers and self.timers[0].due <= now:
                timer = heapq.heappop(self.timers)
                if timer.token is not None:
                    if not self.tasks.pop(timer.token, False):
                        continue
                self.events.put((timer.cursor, timer.event))
            return
        self._advance(cursor, event)

    def _advance(self, cursor: Cursor, event: Any) -> None:
        if self.stopped_joins and any(frame.join_id in self.stopped_joins for frame in cursor.frames):
            # As at AWS, a failed Parallel or Map stops its other branches and iterations:
            # a handler already running finishes, and its event and all that follows are dropped.
            logger.info(
                "execution %s: state %s is not continued, because its Parallel or Map failed",
                self.execution.id,
                cursor.state,
            )
            return
        if self.tracer is not None:
            self.tracer.advancing(cursor, event)
        actions = advance(
            self.program,
            self.execution,
            cursor,
            event,
            self.clock.now(),
            on_enter=self.on_enter,
            inline=self._inline_tasks(),
        )
        if self.tracer is not None:
            self.tracer.advanced(actions)
        self._perform(actions)

    def _perform(self, actions) -> None:
        alone = len(actions) == 1
        for action in actions:
            if isinstance(action, DispatchTask):
                self._dispatch(action, alone)
            elif isinstance(action, ScheduleDelay):
                self._schedule(action.until, action.cursor, DelayElapsed())
            elif isinstance(action, Fork):
                self._fork(action)
            elif isinstance(action, Arrive):
                self._arrive(action)
            elif isinstance(action, Succeed):
                self.outcome = Execution(SUCCEEDED, output=action.output)
            elif isinstance(action, Fail):
                self.outcome = Execution(FAILED, error=action.error, cause=action.cause)
            elif isinstance(action, TimedOut):
                self.outcome = Execution(TIMED_OUT)

    def _schedule(self, due: datetime, cursor: Cursor, event: Any, token: int | None = None) -> None:
        heapq.heappush(self.timers, _Timer(due, next(self.sequence), cursor, event, token))

    def _inline_tasks(self) -> "_Runner | None":
        """Return this runner as the engine's `inline` when Tasks may run on this thread within an engine call.

        That is so when the engine call is the only thing going on (see
        `_runs_inline`) and no tracer watches: a trace record comes from
        each event the engine receives, and inline calls bypass them.
        """
        if self.tracer is None and self._nothing_pending():
            return self
        return None

    def invoke(self, function: str, payload: Any, state: str) -> Any:
        """Call a Task's function on this thread and return the engine event (the engine's `InlineTasks`)."""
        request_id = _new_id()
        handler, name = self._resolve(function)
        if handler is None:
            logger.info("execution %s: function %s for state %s not found", self.execution.id, function, state)
            return FunctionNotFound(function, request_id)
        if self.logs_calls:
            logger.info("execution %s: invoking %s for state %s", self.execution.id, function, state)
        return self._invoke(handler, function, state, payload, LambdaContext(name, request_id, None, self.time_scale))

    def now(self) -> datetime:
        return self.clock.now()

    def _runs_inline(self, action: DispatchTask, alone: bool) -> bool:
        """Return whether the Task of `action` may run on this thread, blocking the runner until it returns.

        That is so when nothing else is pending: no other action of the same
        engine call, no Parallel or Map open, no other Task in flight, no
        timer and no queued event. The Task must also have no TimeoutSeconds
        and the execution no TimeoutSeconds, because only the runner's loop
        enforces them, and it cannot while a handler blocks its thread.
        """
        return alone and action.timeout_seconds is None and self._nothing_pending()

    def _nothing_pending(self) -> bool:
        """Return whether no execution timeout, join, Task, timer or event waits beside the current engine call."""
        return (
            self.deadline is None
            and not self.joins
            and not self.tasks
            and not self.timers
            and not self.inline_events
            and self.events.empty()
        )

    def _dispatch(self, action: DispatchTask, alone: bool = False) -> None:
        inline = self._runs_inline(action, alone)
        token = next(self.task_tokens)
        self.tasks[token] = True
        request_id = _new_id()
        handler, name = self._resolve(action.function)
        if handler is None:
            logger.info(
                "execution %s: function %s for state %s not found", self.execution.id, action.function, action.state
            )
            self.tasks.pop(token, None)
            self.events.put((action.cursor, FunctionNotFound(action.function, request_id)))
            return
        real_deadline = None
        if action.timeout_seconds is not None:
            due = self.clock.now() + timedelta(seconds=action.timeout_seconds)
            self._schedule(due, action.cursor, TaskFailed("States.Timeout", ""), token)
            real_deadline = time.monotonic() + action.timeout_seconds * self.time_scale
        context = LambdaContext(name, request_id, real_deadline, self.time_scale)
        logger.info("execution %s: invoking %s for state %s", self.execution.id, action.function, action.state)
        if inline:
            event = self._invoke(handler, action.function, action.state, action.payload, context)
            self.inline_events.append((action.cursor, event))
            self.tasks.pop(token, None)
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="heaviside-task")
        self.pool.submit(self._invoke_and_report, token, handler, action, context)

    def _invoke_and_report(self, token: int, handler: Callable, action: DispatchTask, context: LambdaContext) -> None:
        """Run a Task's handler on a pool thread and queue its event, unless the Task timed out meanwhile."""
        event = self._invoke(handler, action.function, action.state, action.payload, context)
        if self.tasks.pop(token, False):
            self.events.put((action.cursor, event))

    def _invoke(self, handler: Callable, function: str, state: str, payload: Any, context: LambdaContext) -> Any:
        """Call a Task's handler and return the engine event for its result or its exception."""
        request_id = context.aws_request_id
        try:
            result = handler(copy_event(payload), context)
        except Exception as error:  # the handler's own failure becomes the Task's error
            logger.info(
                "execution %s: function %s for state %s raised %s: %s",
                self.execution.id,
                function,
                state,
                type(error).__name__,
                error,
            )
            # The Lambda path's payload builder, imported only when a handler fails.
            from heaviside.runtime.decorator import error_payload

            return FunctionFailed(error_payload(error, request_id), request_id)
        return result_event(result, request_id)

    def _resolve(self, function: str) -> tuple[Callable | None, str]:
        """Return the handler of `function` (None when there is none) and the bare function name, remembered."""
        resolved = self.resolved.get(function)
        if resolved is None:
            resolved = self.resolved[function] = (self._find_function(function), _function_name(function))
        return resolved

    def _find_function(self, function: str) -> Callable | None:
        if function in self.functions:
            return self.functions[function]
        name = _function_name(function)
        if name in self.functions:
            return self.functions[name]
        for key, handler in self.functions.items():
            if _function_name(key) == name:
                return handler
        return None

    def _fork(self, fork: Fork) -> None:
        join = _Join(fork, [None] * len(fork.children))
        self.joins[fork.join_id] = join
        if self.tracer is not None:
            self.tracer.forked(fork)
        if not fork.children:
            self.events.put((fork.cursor, JoinCompleted([])))
            return
        limit = fork.max_concurrency or len(fork.children)
        for _ in range(min(limit, len(fork.children))):
            self._start_child(join)

    def _start_child(self, join: _Join) -> None:
        child = join.fork.children[join.next_index]
        join.next_index += 1
        self.events.put((child.cursor, Enter(child.input)))

    def _arrive(self, arrival: Arrive) -> None:
        join = self.joins.get(arrival.join_id)
        if join is None or join.done:
            return
        if self.tracer is not None:
            self.tracer.arrived(join.fork, arrival)
        join.arrived += 1
        join.events += arrival.events
        if arrival.failed:
            join.failed += 1
            if join.fork.exceeds_tolerance(join.failed):
                join.done = True
                self.stopped_joins.add(arrival.join_id)
                # Later arrivals find no join and are dropped, and Tasks may run inline again.
                del self.joins[arrival.join_id]
                error, cause = join.fork.join_failure(arrival.error, arrival.cause)
                self.events.put((join.fork.cursor, JoinFailed(error, cause)))
                return
            output: Any = {"Error": arrival.error}
            if arrival.cause is not None:
                output["Cause"] = arrival.cause
            join.outputs[arrival.index] = output
        else:
            join.outputs[arrival.index] = arrival.output
        if join.arrived == len(join.fork.children):
            join.done = True
            del self.joins[arrival.join_id]
            self.events.put((join.fork.cursor, JoinCompleted(join.outputs, join.events)))
        elif join.next_index < len(join.fork.children):
            self._start_child(join)


# Request ids and execution names: a random prefix per process and a counter,
# in the layout of a UUID, because uuid4() costs about 2.5 µs per call (measured
# on Python 3.11), half of a fast Task step. Every process draws its own prefix,
# forked ones included.
_ID_PREFIX = str(uuid.uuid4())[:24]
_id_counter = itertools.count(1)


def _draw_id_prefix() -> None:
    global _ID_PREFIX
    _ID_PREFIX = str(uuid.uuid4())[:24]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_draw_id_prefix)


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):012x}"


def _function_name(function: str) -> str:
    """Return the bare function name of a name, partial ARN or ARN (with or without a qualifier)."""
    parts = function.split(":")
    if "function" in parts:
        position = parts.index("function")
        if position + 1 < len(parts):
            return parts[position + 1]
    return function
