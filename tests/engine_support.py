"""Values that tests of the engine API share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from heaviside.engine import ExecutionInfo


def execution_info(execution_input: Any, start_time: datetime, execution_type: str = "STANDARD") -> ExecutionInfo:
    """Return the execution `e` of the state machine `m` (region us-east-1, account 111111111111)."""
    return ExecutionInfo(
        id="arn:aws:states:us-east-1:111111111111:execution:m:e",
        name="e",
        input=execution_input,
        start_time=start_time,
        role_arn="arn:aws:iam::111111111111:role/r",
        state_machine_id="arn:aws:states:us-east-1:111111111111:stateMachine:m",
        state_machine_name="m",
        execution_type=execution_type,
    )
