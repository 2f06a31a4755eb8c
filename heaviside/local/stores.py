"""Local stores: definitions and blobs in a directory, records and joins in SQLite.

They implement the interfaces of `heaviside.runtime.stores.base` with the
same guarantees as the AWS stores. They are safe to share between threads
and between processes on one machine, because every write runs in its own
SQLite transaction (``BEGIN IMMEDIATE``) and file writes go through a
temporary file and an atomic rename.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

from heaviside.runtime.errors import NotFound, StoreError
from heaviside.runtime.stores.base import (
    END_STATUSES,
    RUNNING,
    ChildOutcome,
    ExecutionRecord,
    HistoryEntry,
    JoinSpec,
    JoinState,
    definition_digest,
)

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    execution_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state_machine TEXT NOT NULL,
    digest TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_time INTEGER NOT NULL,
    stop_time INTEGER
);
CREATE TABLE IF NOT EXISTS history (
    execution_id TEXT NOT NULL,
    key TEXT NOT NULL,
    time INTEGER NOT NULL,
    states TEXT NOT NULL,
    PRIMARY KEY (execution_id, key)
);
CREATE TABLE IF NOT EXISTS joins (
    execution_id TEXT NOT NULL,
    join_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    max_concurrency INTEGER NOT NULL,
    tolerated_failure_count INTEGER,
    tolerated_failure_percentage REAL,
    parent TEXT,
    children TEXT,
    arrived INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    claimed_by INTEGER,
    PRIMARY KEY (execution_id, join_id)
);
CREATE TABLE IF NOT EXISTS arrivals (
    execution_id TEXT NOT NULL,
    join_id TEXT NOT NULL,
    child_index INTEGER NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    failed INTEGER NOT NULL,
    PRIMARY KEY (execution_id, join_id, child_index)
);
CREATE TABLE IF NOT EXISTS hops (
    execution_id TEXT NOT NULL,
    hop_id TEXT NOT NULL,
    PRIMARY KEY (execution_id, hop_id)
);
"""


class DirectoryDefinitionStore:
    """Definitions as ``<root>/definitions/<sha256>.json``."""

    def __init__(self, root: str | os.PathLike):
        self.directory = Path(root) / "definitions"
        self.directory.mkdir(parents=True, exist_ok=True)

    def put_definition(self, text: str) -> str:
        digest = definition_digest(text)
        path = self.directory / f"{digest}.json"
        if not path.exists():
            _write_atomically(path, text.encode("utf-8"))
        return digest

    def get_definition(self, digest: str) -> str:
        path = self.directory / f"{digest}.json"
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"definition {digest} is not in {self.directory}") from None


class DirectoryBlobStore:
    """Blobs as ``<root>/blobs/<execution prefix>/<sha256>.json``; keys are paths relative to `root`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def put_blob(self, execution_id: str, data: bytes) -> str:
        key = f"blobs/{definition_digest(execution_id)[:32]}/{definition_digest(data)}.json"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        return key

    def get_blob(self, key: str) -> bytes:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoreError(f"blob key {key!r} points outside the blob directory {self.root}")
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {key} is not in {self.root}") from None


class SQLiteStore:
    """Execution records, joins and hop marks in one SQLite database file."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._local = threading.local()
        # executescript() commits on its own, so the schema runs outside _transaction().
        self._connection().executescript(_SCHEMA)

    # executions

    def create_execution(self, record: ExecutionRecord) -> tuple[ExecutionRecord, bool]:
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO executions (execution_id, name, state_machine, digest, status, input,"
                " start_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.execution_id,
                    record.name,
                    record.state_machine,
                    record.definition_digest,
                    record.status,
                    _dumps(record.input),
                    record.start_time,
                ),
            )
            created = cursor.rowcount == 1
        if created:
            return record, True
        logger.info("Execution %s exists; returning the existing record", record.execution_id)
        return self.get_execution(record.execution_id), False

    def get_execution(self, execution_id: str) -> ExecutionRecord:
        row = self._connection().execute(
            "SELECT name, state_machine, digest, status, input, output, error, cause, start_time, stop_time"
            " FROM executions WHERE execution_id = ?",
            (execution_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"execution {execution_id} does not exist")
        return ExecutionRecord(
            execution_id=execution_id,
            name=row[0],
            state_machine=row[1],
            definition_digest=row[2],
            status=row[3],
            input=_loads(row[4]),
            output=_loads(row[5]),
            error=row[6],
            cause=row[7],
            start_time=row[8],
            stop_time=row[9],
        )

    def end_execution(self, execution_id, status, *, output=None, error=None, cause=None, stop_time) -> bool:
        if status not in END_STATUSES:
            raise ValueError(f"{status!r} is not an end status; use one of {END_STATUSES}")
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_time = ?"
                " WHERE execution_id = ? AND status = ?",
                (status, _dumps(output), error, cause, stop_time, execution_id, RUNNING),
            )
            return cursor.rowcount == 1

    def append_history(self, execution_id: str, entry: HistoryEntry) -> bool:
        with self._transaction() as connection:
            if connection.execute(
                "SELECT 1 FROM executions WHERE execution_id = ?", (execution_id,)
            ).fetchone() is None:
                return False
            cursor = connection.execute(
                "INSERT OR IGNORE INTO history (execution_id, key, time, states) VALUES (?, ?, ?, ?)",
                (execution_id, entry.key, entry.time, _dumps([list(state) for state in entry.states])),
            )
            return cursor.rowcount == 1

    def get_history(self, execution_id: str) -> list[HistoryEntry]:
        rows = self._connection().execute(
            "SELECT key, time, states FROM history WHERE execution_id = ? ORDER BY rowid", (execution_id,)
        ).fetchall()
        return [HistoryEntry(key, time, [tuple(state) for state in _loads(states)]) for key, time, states in rows]

    # joins

    def create_join(self, spec: JoinSpec) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO joins (execution_id, join_id, size, kind, max_concurrency,"
                " tolerated_failure_count, tolerated_failure_percentage, parent, children)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.execution_id,
                    spec.join_id,
                    spec.size,
                    spec.kind,
                    spec.max_concurrency,
                    spec.tolerated_failure_count,
                    spec.tolerated_failure_percentage,
                    _dumps(spec.parent),
                    _dumps(spec.children),
                ),
            )

    def get_join(self, execution_id: str, join_id: str) -> JoinSpec:
        row = self._connection().execute(
            "SELECT size, kind, max_concurrency, tolerated_failure_count, tolerated_failure_percentage,"
            " parent, children FROM joins WHERE execution_id = ? AND join_id = ?",
            (execution_id, join_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"join {join_id} of execution {execution_id} does not exist")
        return JoinSpec(
            execution_id=execution_id,
            join_id=join_id,
            size=row[0],
            kind=row[1],
            max_concurrency=row[2],
            tolerated_failure_count=row[3],
            tolerated_failure_percentage=row[4],
            parent=_loads(row[5]),
            children=_loads(row[6]),
        )

    def arrive(self, arrival: ChildOutcome, *, execution_id: str, join_id: str) -> JoinState:
        with self._transaction() as connection:
            header = connection.execute(
                "SELECT 1 FROM joins WHERE execution_id = ? AND join_id = ?", (execution_id, join_id)
            ).fetchone()
            if header is None:
                raise NotFound(f"join {join_id} of execution {execution_id} does not exist")
            cursor = connection.execute(
                "INSERT OR IGNORE INTO arrivals (execution_id, join_id, child_index, output, error, cause, failed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    execution_id,
                    join_id,
                    arrival.index,
                    None if arrival.failed else _dumps(arrival.output),
                    arrival.error if arrival.failed else None,
                    arrival.cause if arrival.failed else None,
                    1 if arrival.failed else 0,
                ),
            )
            duplicate = cursor.rowcount == 0
            if duplicate:
                logger.info(
                    "Repeated arrival of index %d at join %s of execution %s; nothing changed",
                    arrival.index,
                    join_id,
                    execution_id,
                )
            else:
                connection.execute(
                    "UPDATE joins SET arrived = arrived + 1, failed = failed + ? WHERE execution_id = ? AND join_id = ?",
                    (1 if arrival.failed else 0, execution_id, join_id),
                )
            arrived, failed, size, claimed_by = connection.execute(
                "SELECT arrived, failed, size, claimed_by FROM joins WHERE execution_id = ? AND join_id = ?",
                (execution_id, join_id),
            ).fetchone()
        return JoinState(
            arrived=arrived,
            failed=failed,
            size=size,
            claimed_by=claimed_by,
            duplicate=duplicate,
            spec=self.get_join(execution_id, join_id),
        )

    def claim(self, execution_id: str, join_id: str, index: int) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE joins SET claimed_by = ? WHERE execution_id = ? AND join_id = ?"
                " AND (claimed_by IS NULL OR claimed_by = ?)",
                (index, execution_id, join_id, index),
            )
            return cursor.rowcount == 1

    def claimed(self, execution_id: str, join_id: str) -> bool:
        row = self._connection().execute(
            "SELECT claimed_by FROM joins WHERE execution_id = ? AND join_id = ?", (execution_id, join_id)
        ).fetchone()
        return row is not None and row[0] is not None

    def outcomes(self, execution_id: str, join_id: str) -> list[ChildOutcome]:
        rows = self._connection().execute(
            "SELECT child_index, output, error, cause, failed FROM arrivals"
            " WHERE execution_id = ? AND join_id = ? ORDER BY child_index",
            (execution_id, join_id),
        ).fetchall()
        return [
            ChildOutcome(index=row[0], output=_loads(row[1]), error=row[2], cause=row[3], failed=bool(row[4]))
            for row in rows
        ]

    # hops

    def claim_hop(self, execution_id: str, hop_id: str) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO hops (execution_id, hop_id) VALUES (?, ?)", (execution_id, hop_id)
            )
            return cursor.rowcount == 1

    # connections

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            # isolation_level=None: transactions are begun explicitly below,
            # and a connection is never shared across threads or a fork.
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def _transaction(self):
        return _Transaction(self._connection())


class _Transaction:
    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        else:
            self.connection.execute("ROLLBACK")


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
