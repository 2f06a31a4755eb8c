"""Values and definitions that several test files share."""

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


def failing_parallel(pause_seconds: int) -> dict:
    """Return a Parallel whose branch `Fails` fails while the other runs `Slow`, then `After`.

    Its Catch waits `pause_seconds` before the end, so a branch that was not
    stopped would run `After` meanwhile. The Tasks call `fails`, `slow` and `after`.
    """
    return {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Fails", "States": {"Fails": {"Type": "Task", "Resource": "fails", "End": True}}},
                    {
                        "StartAt": "Slow",
                        "States": {
                            "Slow": {"Type": "Task", "Resource": "slow", "Next": "After"},
                            "After": {"Type": "Task", "Resource": "after", "End": True},
                        },
                    },
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Pause"}],
                "End": True,
            },
            "Pause": {"Type": "Wait", "Seconds": pause_seconds, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
