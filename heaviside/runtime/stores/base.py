"""The store interfaces that the runtime and the local runner both implement.

Each interface is small and documents its guarantees, so that the AWS stores
(S3, DynamoDB) and the local ones (SQLite, directories) pass the same
contract tests. Values cross these interfaces as plain JSON values, and
times as milliseconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Protocol, runtime_checkable

from heaviside.asl.model import record

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
ABORTED = "ABORTED"
END_STATUSES = (SUCCEEDED, FAILED, TIMED_OUT, ABORTED)


def definition_digest(text: str | bytes) -> str:
    """Return the SHA-256 hex digest that names a definition in the definition store."""
    # Imported here because hashlib loads OpenSSL (2 to 3 ms), which only the
    # stores need, not the import of the task decorator.
    import hashlib

    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@runtime_checkable
class DefinitionStore(Protocol):
    """Definitions by content: ``definitions/<sha256>.json``, written once per digest."""

    def put_definition(self, text: str) -> str:
        """Store `text` (the definition's JSON) unless its digest is present; return the digest."""

    def get_definition(self, digest: str) -> str:
        """Return the definition text stored under `digest`; raise `NotFound` when absent."""


@runtime_checkable
class BlobStore(Protocol):
    """Payloads over the envelope budget, under a key prefix per execution."""

    def put_blob(self, execution_id: str, data: bytes) -> str:
        """Store `data` for `execution_id` and return its key; the same data gives the same key."""

    def get_blob(self, key: str) -> bytes:
        """Return the blob stored under `key`; raise `NotFound` when absent."""


@record
class ExecutionRecord:
    """One execution as DescribeExecution reports it; `output` is a JSON value."""

    execution_id: str
    name: str
    state_machine: str
    definition_digest: str
    status: str = RUNNING
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start_time: int = 0
    stop_time: int | None = None

    def to_json(self) -> dict:
        data = {
            "executionArn": self.execution_id,
            "name": self.name,
            "stateMachine": self.state_machine,
            "status": self.status,
            "startDate": self.start_time,
            "input": self.input,
        }
        if self.stop_time is not None:
            data["stopDate"] = self.stop_time
        if self.status == SUCCEEDED:
            data["output"] = self.output
        if self.error is not None:
            data["error"] = self.error
        if self.cause is not None:
            data["cause"] = self.cause
        return data


@runtime_checkable
class ExecutionStore(Protocol):
    """Execution records: created once per execution id, ended once."""

    def create_execution(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        """Store `record` unless its execution id exists.

        Returns the stored record and whether this call created it, so a second
        start with the same name returns the first execution.
        """

    def get_execution(self, execution_id: str) -> ExecutionRecord:
        """Return the record of `execution_id`; raise `NotFound` when absent."""

    def end_execution(
        self,
        execution_id: str,
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
        stop_time: int,
    ) -> bool:
        """Record the end of a running execution; return False if it had already ended."""


@record
class HistoryEntry:
    """The states that one hop of an execution entered, in order of entry.

    `key` names the hop's write (the hop id and a counter), so a repeated
    write of the same key is ignored. `time` is when the first of these
    states was entered, in microseconds since the Unix epoch. `states`
    contains ``(state name, state type)`` pairs.
    """

    key: str
    time: int
    states: list[tuple[str, str]]


def history_path(entries: list[HistoryEntry]) -> list[tuple[str, str]]:
    """Return the states of `entries` in a stable order: by time, then key, then order within an entry.

    States of one thread follow each other in time, because each hop is
    dispatched after the previous one entered its states. Concurrent
    Parallel branches and Map iterations interleave by the clocks of the
    processes that ran them.
    """
    return [state for entry in sort_history(entries) for state in entry.states]


def sort_history(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Return `entries` ordered by time, then key (see `history_path`)."""
    return sorted(entries, key=lambda entry: (entry.time, entry.key))


@runtime_checkable
class HistoryStore(Protocol):
    """The states entered by an execution, appended hop by hop (optional, ``HEAVISIDE_HISTORY``)."""

    def append_history(self, execution_id: str, entry: HistoryEntry) -> bool:
        """Append `entry` to the execution's history unless an entry with its key is there.

        Returns False when the key was already written or the execution has no record.
        """

    def get_history(self, execution_id: str) -> list[HistoryEntry]:
        """Return the execution's history entries in the order they were written; [] when none."""


@record
class JoinSpec:
    """The fixed part of a join: its size, its rules and how to resume its parent.

    `parent` and `children` are opaque JSON values written by the driver: the
    parent cursor, and the children's cursors and inputs. The store keeps
    them as they are.
    """

    execution_id: str
    join_id: str
    size: int
    kind: str = "branch"
    max_concurrency: int = 0
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None
    parent: Any = None
    children: Any = None


@record
class JoinState:
    """The counters of a join after an arrival.

    `claimed_by` is the index of the arrival that resumed (or is resuming) the
    parent, or None while no arrival has. `spec` is the join's spec when the store
    read it together with the counters, which saves the driver a read.
    """

    arrived: int
    failed: int
    size: int
    claimed_by: int | None = None
    duplicate: bool = False
    spec: JoinSpec | None = None


@record
class ChildOutcome:
    """One arrived child: `output` when it succeeded, else `error` and `cause`."""

    index: int
    output: Any = None
    error: str | None = None
    cause: str | None = None
    failed: bool = False


@runtime_checkable
class JoinStore(Protocol):
    """Joins of Parallel branches and Map iterations, safe under repeated and concurrent arrivals."""

    def create_join(self, spec: JoinSpec) -> None:
        """Store `spec` unless the join exists (a repeated fork changes nothing)."""

    def get_join(self, execution_id: str, join_id: str) -> JoinSpec:
        """Return the join's spec; raise `NotFound` when absent."""

    def arrive(self, arrival: ChildOutcome, *, execution_id: str, join_id: str) -> JoinState:
        """Record a child's outcome once per (join, index) and count it, in one atomic step.

        A repeated arrival changes nothing and returns the current counters
        with ``duplicate=True``.
        """

    def claim(self, execution_id: str, join_id: str, index: int) -> bool:
        """Make arrival `index` the one that resumes the parent.

        Returns True for the first claim and for any repeated claim by the same
        index (a redelivered arrival must be able to finish the work), False
        when another index has the claim.
        """

    def outcomes(self, execution_id: str, join_id: str) -> list[ChildOutcome]:
        """Return every arrived child, in index order."""

    def claimed(self, execution_id: str, join_id: str) -> bool:
        """Return whether an arrival has claimed the join (it failed or completed); False when it does not exist."""


@runtime_checkable
class HopStore(Protocol):
    """Hop marks: the first claim of a hop id succeeds and every later one fails."""

    def claim_hop(self, execution_id: str, hop_id: str) -> bool:
        """Return True for the first claim of `hop_id` in `execution_id`, False for every later one."""


@record
class Stores:
    """The stores one driver uses; any of them may be None where not configured."""

    definitions: DefinitionStore | None = None
    blobs: BlobStore | None = None
    executions: ExecutionStore | None = None
    joins: JoinStore | None = None
    hops: HopStore | None = None
    extra: dict = field(default_factory=dict)
