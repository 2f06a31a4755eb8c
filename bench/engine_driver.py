"""A minimal synchronous driver for the engine, for measuring the interpreter alone.

It performs the engine's actions in the calling thread: Task handlers are
called within the engine's own call (its `inline` interface) while no Fork
is open, and as dispatched actions otherwise, Fork children run one after
another, and nothing is stored.
Delays are not supported, because the benchmark workloads have no Wait state
and no retry backoff.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from heaviside.engine import (
    Arrive,
    DispatchTask,
    Enter,
    ExecutionInfo,
    Fail,
    Fork,
    JoinCompleted,
    JoinFailed,
    Succeed,
    TimedOut,
    advance,
    compile_program,
    start,
)
from heaviside.engine.lambda_tasks import copy_event, result_event

_START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class _InlineCalls:
    """The engine's `inline` interface: calls handlers by bare function name, as a Lambda would receive them."""

    def __init__(self, functions: Mapping[str, Callable]):
        self.functions = functions

    def invoke(self, function: str, payload: Any, state: str) -> Any:
        handler = self.functions[function.split(":")[-1]]
        return result_event(handler(copy_event(payload), None), "bench")

    def now(self) -> datetime:
        return _START
_MACHINE_ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:bench"


class DriverError(RuntimeError):
    """The execution did not succeed, or needed something this driver does not perform."""


def run_inline(model, execution_input: Any, functions: Mapping[str, Callable]) -> Any:
    """Run one execution of `model` with `execution_input` and return its output.

    `functions` maps bare function names to handlers ``(payload, context)``;
    the handler's result passes through JSON as a Lambda result does.
    Raises `DriverError` when the execution fails or times out.
    """
    program = compile_program(model)
    execution = ExecutionInfo(
        id="arn:aws:states:us-east-1:111111111111:execution:bench:inline",
        name="inline",
        input=execution_input,
        start_time=_START,
        role_arn="arn:aws:iam::111111111111:role/bench",
        state_machine_id=_MACHINE_ARN,
        state_machine_name="bench",
    )
    joins: dict[str, dict] = {}
    calls = _InlineCalls(functions)
    pending = list(start(program, execution, _START, inline=calls))
    while pending:
        action = pending.pop(0)
        if isinstance(action, Succeed):
            return action.output
        if isinstance(action, Fail):
            raise DriverError(f"execution failed: {action.error}: {action.cause}")
        if isinstance(action, TimedOut):
            raise DriverError("execution timed out")
        if isinstance(action, DispatchTask):
            handler = functions[action.function.split(":")[-1]]
            event = result_event(handler(copy_event(action.payload), None), "bench")
            pending[:0] = advance(program, execution, action.cursor, event, _START)
        elif isinstance(action, Fork):
            joins[action.join_id] = {"fork": action, "outputs": [None] * len(action.children), "arrived": 0}
            if not action.children:
                pending[:0] = advance(program, execution, action.cursor, JoinCompleted([], 0), _START)
            for child in action.children:
                pending.extend(advance(program, execution, child.cursor, Enter(child.input), _START))
        elif isinstance(action, Arrive):
            join = joins[action.join_id]
            fork = join["fork"]
            if action.failed:
                del joins[action.join_id]
                event: Any = JoinFailed(*fork.join_failure(action.error, action.cause))
                pending[:0] = advance(program, execution, fork.cursor, event, _START)
                continue
            join["outputs"][action.index] = action.output
            join["arrived"] += 1
            if join["arrived"] == len(fork.children):
                del joins[action.join_id]
                event = JoinCompleted(join["outputs"], None)
                inline = None if joins else calls
                pending[:0] = advance(program, execution, fork.cursor, event, _START, inline=inline)
        else:
            raise DriverError(f"the benchmark driver does not perform {type(action).__name__}")
    raise DriverError("the engine returned no final action")
