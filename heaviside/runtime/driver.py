"""The Lambda driver: performs the engine's actions from inside a Lambda function.

The task decorator and the invoker both end a hop the same way: they hand an
event to the engine and perform the actions it returns. Dispatching a Task is
an asynchronous invoke that carries an envelope. A short delay is slept in
place, and a long one goes to the SQS delay queue. A fork creates a join and
starts its first children here. Each arrival is counted in the join store,
and the arrival that completes the join resumes the parent. The end of the
execution is written to its record. With ``HEAVISIDE_HISTORY`` on, the states
each hop entered are appended to that record too.

One `Driver` lives per container (`Driver.from_environment()` is cached),
with its stores, dispatcher and compiled programs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from heaviside.asl.model import record
from heaviside.engine import (
    Arrive,
    Cursor,
    DelayElapsed,
    DispatchTask,
    Enter,
    ExecutionInfo,
    Fail,
    Fork,
    FunctionNotFound,
    JoinCompleted,
    JoinFailed,
    ScheduleDelay,
    Succeed,
    TimedOut,
    advance,
    compile_program,
    start,
)
from heaviside.runtime import envelope as envelopes
from heaviside.runtime.config import RuntimeConfig
from heaviside.runtime.dispatcher import FunctionNotFoundError, LambdaDispatcher, SqsDelayQueue
from heaviside.runtime.envelope import HeavisideContext
from heaviside.runtime.errors import RuntimeConfigurationError
from heaviside.runtime.stores.base import (
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    ChildOutcome,
    HistoryEntry,
    JoinSpec,
    Stores,
)

logger = logging.getLogger(__name__)

# A delay is slept in place only if the Lambda keeps at least this much time
# afterwards for the rest of the hop.
SLEEP_MARGIN_SECONDS = 10.0

DEFAULT_ROLE_ARN_NAME = "heaviside"


def _new_hop_id() -> str:
    # 64 random bits as 16 hex digits. The uuid module is not imported for
    # this, because importing it costs about 3 ms (it imports platform).
    return os.urandom(8).hex()


def _compile_stored_definition(text: str):
    """Compile a definition from the definition store, validating it only if compiling fails.

    The invoker validates a definition before it stores it, so a hop does not
    validate it again and does not import the validator or, for a JSONPath
    definition, the JSONata modules. A stored definition that fails to build
    or compile is validated, so that its problems are raised as
    `InvalidDefinition` as at a start.
    """
    from heaviside.asl.load import read_definition
    from heaviside.asl.model import build_definition

    raw = read_definition(text)
    try:
        return compile_program(build_definition(raw))
    except Exception:
        from heaviside.asl.load import load_definition

        load_definition(raw)
        raise


@record
class ExecutionEnd:
    """The end of an execution: status SUCCEEDED, FAILED or TIMED_OUT, with output or error and cause."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None


class Driver:
    """Everything one container needs to run hops: configuration, stores, dispatcher and programs."""

    def __init__(
        self,
        config: RuntimeConfig,
        stores: Stores,
        *,
        dispatcher: LambdaDispatcher | None = None,
        delays: SqsDelayQueue | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.stores = stores
        self.dispatcher = dispatcher or LambdaDispatcher()
        self.delays = delays
        self.sleep = sleep
        self._programs: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, config: RuntimeConfig | None = None) -> "Driver":
        """Build the driver with the AWS stores named by the ``HEAVISIDE_*`` variables."""
        from heaviside.runtime.stores.aws import (
            DynamoDBExecutionStore,
            DynamoDBHopStore,
            DynamoDBJoinStore,
            S3BlobStore,
            S3DefinitionStore,
        )

        config = config or RuntimeConfig.from_environment()
        stores = Stores()
        if config.bucket:
            stores.definitions = S3DefinitionStore(config.bucket)
            stores.blobs = S3BlobStore(config.bucket)
        if config.table:
            ttl = config.execution_ttl_days
            stores.joins = DynamoDBJoinStore(config.table, blobs=stores.blobs, ttl_days=ttl)
            if config.execution_records:
                stores.executions = DynamoDBExecutionStore(config.table, blobs=stores.blobs, ttl_days=ttl)
            if config.hop_deduplication:
                stores.hops = DynamoDBHopStore(config.table, ttl_days=ttl)
        delays = SqsDelayQueue(config.delay_queue_url) if config.delay_queue_url else None
        return cls(config, stores, delays=delays)

    # programs and time

    def program(self, digest: str):
        """Return the compiled program of definition `digest`, loading it once per container."""
        program = self._programs.get(digest)
        if program is not None:
            return program
        if self.stores.definitions is None:
            raise RuntimeConfigurationError(
                "HEAVISIDE_BUCKET is not set; the heaviside runtime needs it to load definitions"
            )
        text = self.stores.definitions.get_definition(digest)
        program = _compile_stored_definition(text)
        with self._lock:
            self._programs[digest] = program
        return program

    def remember_program(self, digest: str, program) -> None:
        with self._lock:
            self._programs[digest] = program

    def now(self, context: HeavisideContext) -> datetime:
        """Return the current time on the execution's clock.

        With a time scale other than 1 (tests only), time since the
        execution's start runs faster by that factor, as in the local runner.
        """
        real = time.time()
        if self.config.time_scale == 1.0:
            return datetime.fromtimestamp(real, timezone.utc)
        start_seconds = context.start_time / 1000
        return datetime.fromtimestamp(start_seconds + (real - start_seconds) / self.config.time_scale, timezone.utc)

    def execution_info(self, context: HeavisideContext) -> ExecutionInfo:
        machine = context.state_machine_name
        arn_prefix = context.execution_id.split(":execution:")[0].split(":express:")[0]
        account = arn_prefix.split(":")[4] if arn_prefix.count(":") >= 4 else self.config.account
        return ExecutionInfo(
            id=context.execution_id,
            name=context.execution_name,
            input=context.execution_input,
            start_time=datetime.fromtimestamp(context.start_time / 1000, timezone.utc),
            role_arn=context.role_arn or f"arn:aws:iam::{account}:role/{DEFAULT_ROLE_ARN_NAME}",
            state_machine_id=f"{arn_prefix}:stateMachine:{machine}",
            state_machine_name=machine,
            execution_type=context.execution_type,
        )

    # the engine

    def start(self, context: HeavisideContext, program, *, remaining_seconds: Callable[[], float] | None = None):
        """Begin the execution of `context` and perform the first actions."""
        history = self._history(context, "start")
        actions = start(program, self.execution_info(context), self.now(context), on_enter=_observer(history))
        self.perform(context, actions, remaining_seconds=remaining_seconds, history=history)

    def resume(
        self,
        context: HeavisideContext,
        event: Any,
        *,
        remaining_seconds: Callable[[], float] | None = None,
        history_key: str | None = None,
    ) -> None:
        """Hand `event` to the engine at the context's cursor and perform the actions it returns.

        `history_key` names this hop's history entries (default: the hop id).
        A hop resumed a second way, such as through an OnFailure record, needs
        its own key, or its entries would be taken for repeats.
        """
        cursor = Cursor.from_json(context.cursor)
        if self.stopped(context, cursor):
            return
        history = self._history(context, history_key or context.hop_id or _new_hop_id())
        actions = self._advance(context, cursor, event, history)
        self.perform(context, actions, remaining_seconds=remaining_seconds, history=history)

    def perform(
        self,
        context: HeavisideContext,
        actions: Iterable[Any],
        *,
        remaining_seconds: Callable[[], float] | None = None,
        history: HopHistory | None = None,
    ) -> None:
        """Perform `actions` and every action that follows from them within this hop.

        Before each action, the states entered so far are written to the
        history, so they are stored before the execution's end (or a join's
        arrival) can be read.
        """
        remaining = remaining_seconds or (lambda: float("inf"))
        work = deque(actions)
        while work:
            if history is not None:
                history.flush()
            action = work.popleft()
            if isinstance(action, DispatchTask):
                work.extend(self._dispatch(context, action, history))
            elif isinstance(action, ScheduleDelay):
                work.extend(self._delay(context, action, remaining, history))
            elif isinstance(action, Fork):
                work.extend(self._fork(context, action, history))
            elif isinstance(action, Arrive):
                work.extend(self._arrive(context, action, history))
            elif isinstance(action, Succeed):
                self._end(context, ExecutionEnd(SUCCEEDED, output=action.output))
            elif isinstance(action, Fail):
                self._end(context, ExecutionEnd(FAILED, error=action.error, cause=action.cause))
            elif isinstance(action, TimedOut):
                self._end(context, ExecutionEnd(TIMED_OUT))
            else:
                raise TypeError(f"the engine returned an action this driver does not know: {action!r}")
        if history is not None:
            history.flush()

    def _advance(self, context: HeavisideContext, cursor: Cursor, event: Any, history: HopHistory | None) -> list:
        program = self.program(context.definition_digest)
        return advance(
            program, self.execution_info(context), cursor, event, self.now(context), on_enter=_observer(history)
        )

    def _history(self, context: HeavisideContext, key: str) -> HopHistory | None:
        if not self.config.history or self.stores.executions is None:
            return None
        return HopHistory(self.stores.executions, context.execution_id, key)

    # actions

    def _dispatch(self, context: HeavisideContext, action: DispatchTask, history: HopHistory | None) -> list:
        hop = replace(
            context,
            cursor=action.cursor.to_json(),
            hop_id=_new_hop_id(),
            timeout_seconds=action.timeout_seconds,
            due=None,
        )
        envelope = self.encode(hop, action.payload)
        try:
            self.dispatcher.invoke_event(
                action.function, envelope, execution_id=context.execution_id, state=action.state
            )
        except FunctionNotFoundError:
            logger.info(
                "Function %s of state %r of execution %s does not exist",
                action.function, action.state, context.execution_id,
            )
            return self._advance(context, action.cursor, FunctionNotFound(""), history)
        return []

    def _delay(
        self,
        context: HeavisideContext,
        action: ScheduleDelay,
        remaining: Callable[[], float],
        history: HopHistory | None,
    ) -> list:
        real_seconds = max(0.0, (action.until - self.now(context)).total_seconds() * self.config.time_scale)
        fits = real_seconds + SLEEP_MARGIN_SECONDS <= remaining()
        if self.delays is None or (real_seconds <= self.config.sleep_threshold_seconds and fits):
            if not fits:
                logger.warning(
                    "Sleeping %.3f s in state %r of execution %s with %.1f s left: HEAVISIDE_DELAY_QUEUE_URL "
                    "is not set", real_seconds, action.cursor.state, context.execution_id, remaining(),
                )
            logger.debug("Sleeping %.3f s in state %r of execution %s", real_seconds, action.cursor.state,
                         context.execution_id)
            self.sleep(real_seconds)
            return self._advance(context, action.cursor, DelayElapsed(), history)
        due = int(time.time() * 1000 + real_seconds * 1000)
        hop = replace(context, cursor=action.cursor.to_json(), hop_id=_new_hop_id(), due=due,
                      timeout_seconds=None)
        # An SQS message is limited to 256 KiB, so larger parts spill to S3.
        envelope = self.encode(hop, None, budget=min(self.config.envelope_budget, 250_000))
        self.delays.send(envelope, real_seconds, execution_id=context.execution_id, state=action.cursor.state)
        return []

    def _fork(self, context: HeavisideContext, fork: Fork, history: HopHistory | None) -> list:
        if not fork.children:
            return self._advance(context, fork.cursor, JoinCompleted([]), history)
        joins = self._joins()
        size = len(fork.children)
        limit = fork.max_concurrency if 0 < fork.max_concurrency < size else size
        children = None
        if limit < size:
            children = [[child.cursor.to_json(), child.input] for child in fork.children]
        joins.create_join(
            JoinSpec(
                execution_id=context.execution_id,
                join_id=fork.join_id,
                size=size,
                kind=fork.kind,
                max_concurrency=limit if limit < size else 0,
                tolerated_failure_count=fork.tolerated_failure_count,
                tolerated_failure_percentage=fork.tolerated_failure_percentage,
                parent=fork.cursor.to_json(),
                children=children,
            )
        )
        logger.info(
            "Forked %d %s(s) at join %s of execution %s, %d at a time",
            size, fork.kind, fork.join_id, context.execution_id, limit,
        )
        actions: list = []
        for child in fork.children[:limit]:
            actions.extend(self._advance(context, child.cursor, Enter(child.input), history))
        return actions

    def _arrive(self, context: HeavisideContext, arrival: Arrive, history: HopHistory | None) -> list:
        joins = self._joins()
        outcome = ChildOutcome(
            index=arrival.index,
            output=arrival.output,
            error=arrival.error,
            cause=arrival.cause,
            failed=arrival.failed,
        )
        state = joins.arrive(outcome, execution_id=context.execution_id, join_id=arrival.join_id)
        if state.claimed_by is not None and state.claimed_by != arrival.index:
            logger.info(
                "Arrival %d at join %s of execution %s is dropped: the join has already resumed its parent",
                arrival.index, arrival.join_id, context.execution_id,
            )
            return []
        spec = state.spec or joins.get_join(context.execution_id, arrival.join_id)
        fork = _fork_of(spec)
        parent = Cursor.from_json(spec.parent)

        if arrival.failed and fork.exceeds_tolerance(state.failed):
            if not joins.claim(context.execution_id, arrival.join_id, arrival.index):
                return []
            error, cause = _join_failure(fork, arrival.error, arrival.cause)
            logger.info("Join %s of execution %s failed with %s", arrival.join_id, context.execution_id, error)
            return self._advance(context, parent, JoinFailed(error, cause), history)

        if state.arrived >= spec.size:
            if not joins.claim(context.execution_id, arrival.join_id, arrival.index):
                return []
            outcomes = joins.outcomes(context.execution_id, arrival.join_id)
            failed = [item for item in outcomes if item.failed]
            if failed and fork.exceeds_tolerance(len(failed)):
                # Another arrival's failure crossed the tolerance and lost the
                # race for the claim to this one; the join still fails.
                error, cause = _join_failure(fork, failed[0].error, failed[0].cause)
                return self._advance(context, parent, JoinFailed(error, cause), history)
            logger.info("Join %s of execution %s completed", arrival.join_id, context.execution_id)
            return self._advance(context, parent, JoinCompleted([_output_of(item) for item in outcomes]), history)

        next_index = arrival.index + spec.max_concurrency
        if spec.max_concurrency and spec.children is not None and next_index < spec.size:
            cursor_json, child_input = spec.children[next_index]
            return self._advance(context, Cursor.from_json(cursor_json), Enter(child_input), history)
        return []

    def _end(self, context: HeavisideContext, end: ExecutionEnd) -> None:
        stop_time = int(time.time() * 1000)
        if self.stores.executions is None:
            logger.info("Execution %s ended with status %s (no execution record)", context.execution_id, end.status)
            return
        recorded = self.stores.executions.end_execution(
            context.execution_id,
            end.status,
            output=end.output,
            error=end.error,
            cause=end.cause,
            stop_time=stop_time,
        )
        if recorded:
            logger.info("Execution %s ended with status %s", context.execution_id, end.status)
        else:
            logger.warning(
                "Execution %s had already ended; this %s result is a repeat and is dropped",
                context.execution_id, end.status,
            )

    # envelopes

    def encode(self, context: HeavisideContext, effective_input: Any, *, budget: int | None = None) -> dict:
        return envelopes.encode(
            context,
            effective_input,
            blobs=self.stores.blobs,
            budget=budget or self.config.envelope_budget,
            execution_input_inline_limit=self.config.execution_input_inline_limit,
        )

    def decode(self, envelope: dict) -> tuple[HeavisideContext, Any]:
        return envelopes.decode(envelope, blobs=self.stores.blobs)

    def claim_hop(self, context: HeavisideContext, prefix: str = "") -> bool:
        """Return False when this hop (or its `prefix` variant) already ran; True without a hop store."""
        if context.hop_id is None or self.stores.hops is None:
            return True
        claimed = self.stores.hops.claim_hop(context.execution_id, prefix + context.hop_id)
        if not claimed:
            logger.info(
                "Hop %s%s of execution %s was delivered again; this delivery is skipped",
                prefix, context.hop_id, context.execution_id,
            )
        return claimed

    def stopped(self, context: HeavisideContext, cursor: Cursor) -> bool:
        """Return whether `cursor` is in a Parallel branch or Map iteration whose join was claimed.

        A claimed join has failed or completed, so its children stop, as AWS
        stops the other branches of a failed Parallel: a hop of one runs no
        handler and enters no state. Each enclosing join costs one read.
        """
        if not cursor.frames or self.stores.joins is None:
            return False
        for frame in cursor.frames:
            if self.stores.joins.claimed(context.execution_id, frame.join_id):
                logger.info(
                    "State %r of execution %s is not run, because its Parallel or Map (join %s) has ended",
                    cursor.state, context.execution_id, frame.join_id,
                )
                return True
        return False

    def _joins(self):
        if self.stores.joins is None:
            raise RuntimeConfigurationError(
                "HEAVISIDE_TABLE is not set; the heaviside runtime needs it for Parallel and Map states"
            )
        return self.stores.joins


class HopHistory:
    """The states one hop enters, written to the execution's history in batches.

    Batch *n* of a hop is written under the key ``<hop key>#<n>``. A hop
    delivered again is skipped by its hop mark before the engine runs, and
    the store ignores a key it already has, so a retried write adds nothing.
    A failed write is logged and skipped: the history is optional, and the
    execution goes on without it.
    """

    def __init__(self, store, execution_id: str, hop_key: str):
        self.store = store
        self.execution_id = execution_id
        self.hop_key = hop_key
        self.pending: list[tuple[str, str]] = []
        self.first_time = 0
        self.batches = 0

    def state_entered(self, state_name: str, state_type: str) -> None:
        if not self.pending:
            self.first_time = time.time_ns() // 1_000
        self.pending.append((state_name, state_type))

    def flush(self) -> None:
        """Write the pending states as one entry; do nothing when none are pending."""
        if not self.pending:
            return
        entry = HistoryEntry(f"{self.hop_key}#{self.batches}", self.first_time, self.pending)
        self.pending = []
        self.batches += 1
        try:
            written = self.store.append_history(self.execution_id, entry)
        except Exception as error:
            # Any store error (throttling, the 400 KB item limit) only costs these entries.
            logger.warning(
                "Writing history entry %s of execution %s failed (%s: %s); states %s are missing from its history",
                entry.key, self.execution_id, type(error).__name__, error, [name for name, _ in entry.states],
            )
            return
        if not written:
            logger.info(
                "History entry %s of execution %s was already written or the execution has no record; "
                "it is not written again", entry.key, self.execution_id,
            )


def _observer(history: HopHistory | None) -> Callable[[str, str], None] | None:
    return history.state_entered if history is not None else None


_driver: Driver | None = None
_driver_lock = threading.Lock()


def container_driver() -> Driver:
    """Return this container's driver, built from the environment on first use."""
    global _driver
    if _driver is None:
        with _driver_lock:
            if _driver is None:
                driver = Driver.from_environment()
                if driver.config.log_level:
                    logging.getLogger("heaviside").setLevel(driver.config.log_level.upper())
                _driver = driver
    return _driver


def reset_container_driver() -> None:
    """Forget the container's driver (tests use it after changing the environment)."""
    global _driver
    _driver = None


def _forget_after_fork() -> None:
    # A forked process (a local endpoint's worker) builds its own driver from
    # its own environment; Lambda containers never fork.
    global _driver, _driver_lock
    _driver = None
    _driver_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _fork_of(spec: JoinSpec) -> Fork:
    # exceeds_tolerance() needs only the number of children and the tolerances.
    return Fork(
        cursor=None,
        join_id=spec.join_id,
        kind=spec.kind,
        children=(None,) * spec.size,
        max_concurrency=spec.max_concurrency,
        tolerated_failure_count=spec.tolerated_failure_count,
        tolerated_failure_percentage=spec.tolerated_failure_percentage,
    )


def _join_failure(fork: Fork, error: str | None, cause: str | None) -> tuple[str | None, str | None]:
    if fork.tolerated_failure_count is None and fork.tolerated_failure_percentage is None:
        return error, cause
    return (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold for the Map state was exceeded.",
    )


def _output_of(outcome: ChildOutcome) -> Any:
    # A tolerated failed iteration contributes its error output to the Map's result.
    if not outcome.failed:
        return outcome.output
    output: dict[str, Any] = {"Error": outcome.error}
    if outcome.cause is not None:
        output["Cause"] = outcome.cause
    return output



def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def deadline_ms(start_ms: int, timeout_seconds: int | None) -> int | None:
    if not timeout_seconds:
        return None
    return start_ms + int(timedelta(seconds=timeout_seconds).total_seconds() * 1000)
