"""Outcomes of running one state, before they become actions.

One is created per state entered, so they are plain slotted dataclasses,
because a frozen dataclass's `__init__` costs several times more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heaviside.engine.cursor import Cursor
from heaviside.engine.events import Event


@dataclass(slots=True)
class Transition:
    """Go on to `cursor.state` with `output` as its input."""

    cursor: Cursor
    output: Any


@dataclass(slots=True)
class Finished:
    """The thread reached an end state with `output`."""

    cursor: Cursor
    output: Any


@dataclass(slots=True)
class StateFailure:
    """The thread fails with `error` and `cause`, which no catcher handled."""

    cursor: Cursor
    error: str | None
    cause: str | None


@dataclass(slots=True)
class Resume:
    """The state at `cursor` waited for `event`, which has already happened: apply it next.

    A Task whose function the driver ran inline (see `InlineTasks`) ends so.
    """

    cursor: Cursor
    event: Event
