"""Execution records of local template runs, kept in a state directory (``.heaviside/`` by default).

Each run stores its definition content-addressed, as
``<state dir>/definitions/<sha256>.json``. It adds one execution record to
the SQLite database ``<state dir>/executions.sqlite3``, with the execution
ARN, name, state machine, definition digest, status, input, output or error
and cause, and start and stop times in milliseconds since the Unix epoch.
The stores are those of `heaviside.local.stores`, so a record reads back
with ``SQLiteStore(path).get_execution(arn)``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from heaviside.asl.errors import HeavisideError
from heaviside.local.stores import DirectoryDefinitionStore, SQLiteStore
from heaviside.runtime.errors import NotFound
from heaviside.runtime.stores.base import ExecutionRecord

logger = logging.getLogger(__name__)

DEFAULT_STATE_DIR = ".heaviside"
DATABASE_NAME = "executions.sqlite3"


class RecordError(HeavisideError):
    """The state directory cannot be used, or the execution name is taken; the message names the cause."""


class ExecutionRecorder:
    """Store the definitions and execution records of local runs under `state_dir`."""

    def __init__(self, state_dir: str | os.PathLike):
        self.state_dir = Path(state_dir)
        self.database = self.state_dir / DATABASE_NAME
        if self.state_dir.exists() and not self.state_dir.is_dir():
            raise RecordError(f"state directory {self.state_dir}: it is a file, not a directory; choose another --state-dir")
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.definitions = DirectoryDefinitionStore(self.state_dir)
            self.executions = SQLiteStore(self.database)
        except OSError as error:
            raise RecordError(
                f"state directory {self.state_dir}: cannot store execution records there: {error.strerror or error}; "
                "choose another --state-dir"
            ) from None
        except sqlite3.Error as error:
            raise RecordError(
                f"state directory {self.state_dir}: {self.database} is not a usable SQLite database ({error}); "
                "move it away or choose another --state-dir"
            ) from None

    def put_definition(self, definition: dict) -> str:
        """Store `definition` under its SHA-256 digest, unless it is there; return the digest."""
        return self.definitions.put_definition(definition_text(definition))

    def check_name_unused(self, execution_arn: str, name: str) -> None:
        """Raise `RecordError` when an execution with this ARN is already recorded.

        Step Functions rejects a second Standard execution with the same name
        (ExecutionAlreadyExists), and a recorded ARN names one execution.
        """
        try:
            existing = self.executions.get_execution(execution_arn)
        except NotFound:
            return
        raise RecordError(
            f"execution name {name!r} is already used by the execution {execution_arn} recorded in {self.database} "
            f"({existing.status}); choose another --execution-name"
        )

    def record(
        self,
        *,
        execution_arn: str,
        name: str,
        state_machine: str,
        digest: str,
        execution_input: Any,
        status: str,
        output: Any,
        error: str | None,
        cause: str | None,
        start_time: int,
        stop_time: int,
    ) -> None:
        """Store the record of an execution that ended; times are milliseconds since the Unix epoch."""
        record = ExecutionRecord(
            execution_id=execution_arn,
            name=name,
            state_machine=state_machine,
            definition_digest=digest,
            input=execution_input,
            start_time=start_time,
        )
        _, created = self.executions.create_execution(record)
        if not created:
            logger.warning("Execution %s is already recorded in %s; its record was not changed", execution_arn, self.database)
            return
        self.executions.end_execution(
            execution_arn,
            status,
            output=output if status == "SUCCEEDED" else None,
            error=error,
            cause=cause,
            stop_time=stop_time,
        )


def definition_text(definition: dict) -> str:
    """Return the definition's compact JSON text, the form whose digest names it in the definition store."""
    return json.dumps(definition, separators=(",", ":"), ensure_ascii=False)
