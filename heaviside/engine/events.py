"""Events a driver reports to `advance()`: what happened to the cursor's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Enter:
    """A Fork child begins: its cursor's state receives `input`."""

    input: Any


# One is created per Task call, so it is a slotted dataclass: a frozen one's
# `__init__` costs three times as much. Drivers do not change events.
@dataclass(slots=True)
class TaskSucceeded:
    """The Task's function returned `result` (a JSON value).

    `size` is an upper bound of the result's size as compact UTF-8 JSON, in
    bytes, when the driver has one (it spares the engine measuring the
    result for the 256 KiB limit); None when it does not.
    """

    result: Any
    request_id: str = ""
    size: int | None = None


@dataclass(frozen=True)
class FunctionFailed:
    """The Task's handler raised; `payload` is the Lambda error payload.

    The payload has the Python runtime's keys: ``errorMessage``, ``errorType``,
    ``requestId`` and ``stackTrace``.
    """

    payload: dict
    request_id: str = ""


@dataclass(frozen=True)
class FunctionNotFound:
    """No Lambda function exists under `function`, the name the DispatchTask action gave."""

    function: str
    request_id: str = ""


@dataclass(frozen=True)
class TaskFailed:
    """The Task failed outside its handler (``States.Timeout``, ``Lambda.ServiceException`` ...)."""

    error: str
    cause: str | None = None


@dataclass(frozen=True)
class DelayElapsed:
    """The time of a `ScheduleDelay` action has come."""


@dataclass(frozen=True)
class JoinCompleted:
    """Every child of a Fork arrived; `outputs` lists their outputs by index.

    `events` is the sum of the children's `Arrive.events`, which keeps the
    history event ids in later error causes exact; None when the driver does
    not count them.
    """

    outputs: list
    events: int | None = None


@dataclass(frozen=True)
class JoinFailed:
    """A child of a Fork failed and the parent state fails with its error."""

    error: str
    cause: str | None = None


Event = Enter | TaskSucceeded | FunctionFailed | FunctionNotFound | TaskFailed | DelayElapsed | JoinCompleted | JoinFailed
