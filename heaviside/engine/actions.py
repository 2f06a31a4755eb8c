"""Actions returned by the engine: decisions as data, performed by a driver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from heaviside.engine.cursor import Cursor


@dataclass(frozen=True)
class DispatchTask:
    """Invoke the Lambda `function` with `payload` and report back on `cursor`.

    `function` is the name or ARN as the definition resolves it;
    `timeout_seconds` is the Task's TimeoutSeconds (None: no limit), after which
    the driver reports ``TaskFailed("States.Timeout")``.
    """

    cursor: Cursor
    function: str
    payload: Any
    timeout_seconds: float | None
    state: str


@dataclass(frozen=True)
class ScheduleDelay:
    """Report `DelayElapsed` on `cursor` at `until`, which is `seconds` after the call's `now`."""

    cursor: Cursor
    seconds: float
    until: datetime


@dataclass(frozen=True)
class ForkChild:
    """One Parallel branch or Map iteration: start `cursor` with `Enter(input)`."""

    index: int
    cursor: Cursor
    input: Any


@dataclass(frozen=True)
class Fork:
    """Run `children` and resume `cursor` (the parent) with the join's outcome.

    `max_concurrency` 0 means no limit. The tolerated failure fields come from
    a Map's ToleratedFailureCount and ToleratedFailurePercentage (None: unset).
    """

    cursor: Cursor
    join_id: str
    kind: str
    children: tuple[ForkChild, ...]
    max_concurrency: int = 0
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: float | None = None

    def exceeds_tolerance(self, failed_count: int) -> bool:
        """Return whether `failed_count` failed children make the whole state fail.

        Without tolerance settings any failure does; with them, the state fails
        once either threshold is exceeded.
        """
        if failed_count <= 0:
            return False
        if self.tolerated_failure_count is None and self.tolerated_failure_percentage is None:
            return True
        if self.tolerated_failure_count is not None and failed_count > self.tolerated_failure_count:
            return True
        if self.tolerated_failure_percentage is not None and self.children:
            return failed_count * 100 > self.tolerated_failure_percentage * len(self.children)
        return False

    def join_failure(self, error: str | None, cause: str | None) -> tuple[str | None, str | None]:
        """Return the error and cause of `JoinFailed` once a child failing with `error` exceeded the tolerance.

        Without tolerance settings the child's own error fails the state; with
        them, the state fails with States.ExceedToleratedFailureThreshold.
        """
        if self.tolerated_failure_count is None and self.tolerated_failure_percentage is None:
            return error, cause
        return (
            "States.ExceedToleratedFailureThreshold",
            "The specified tolerated failure threshold for the Map state was exceeded.",
        )


@dataclass(frozen=True)
class Arrive:
    """A child finished: `output` when it succeeded; when `failed`, `error` and `cause` (either may be None).

    `events` is the number of history events the child added; a driver sums
    them into `JoinCompleted.events`.
    """

    join_id: str
    index: int
    output: Any = None
    failed: bool = False
    error: str | None = None
    cause: str | None = None
    events: int = 0


@dataclass(frozen=True)
class Succeed:
    """The execution succeeded with `output`."""

    output: Any


@dataclass(frozen=True)
class Fail:
    """The execution failed; `error` and `cause` are None where AWS reports none."""

    error: str | None
    cause: str | None


@dataclass(frozen=True)
class TimedOut:
    """The execution ran longer than the definition's TimeoutSeconds."""


Action = DispatchTask | ScheduleDelay | Fork | Arrive | Succeed | Fail | TimedOut
