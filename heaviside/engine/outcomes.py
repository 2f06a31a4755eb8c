"""What running one state produces, before it becomes actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heaviside.engine.cursor import Cursor


@dataclass(frozen=True)
class Transition:
    """Go on to `cursor.state` with `output` as its input."""

    cursor: Cursor
    output: Any


@dataclass(frozen=True)
class Finished:
    """The thread reached an end state with `output`."""

    cursor: Cursor
    output: Any


@dataclass(frozen=True)
class StateFailure:
    """The thread fails with `error` and `cause`, which no catcher handled."""

    cursor: Cursor
    error: str | None
    cause: str | None
