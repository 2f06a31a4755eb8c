"""The cursor: the position of one thread of an execution, as compact plain data.

A cursor travels in every Lambda envelope, so `to_json()` uses one- or
two-letter keys and leaves out every field that has its default value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heaviside.engine.errors import EngineError


@dataclass(frozen=True)
class Frame:
    """An enclosing Parallel branch or Map iteration: the join it arrives at, and its index.

    `first_event_id` is the history event id the child started at, so its
    arrival can report how many events it added (0 for a distributed Map's
    child executions, whose events are not in the parent's history).
    """

    join_id: str
    index: int
    first_event_id: int = 0


@dataclass(frozen=True)
class Cursor:
    """One thread of an execution, positioned at `state`.

    - `frames`: enclosing branches and iterations, outermost first;
    - `retries`: attempts made so far per retrier index of the current state;
    - `entered`: the state's entered time, as the context object shows it;
    - `input`: the raw state input, kept while a Task, Wait, Parallel or Map
      runs so that ResultPath and OutputPath can be applied afterwards;
    - `scopes`: workflow variables, one mapping per scope, outermost first;
    - `event_id`: the number of history events so far (AWS numbers
      ExecutionStarted 1); `entered_event_id` is the id of the current
      state's StateEntered event;
    - `transitions`: states entered by this thread, used to make join ids unique.
    """

    state: str
    frames: tuple[Frame, ...] = ()
    retries: tuple[int, ...] = ()
    entered: str = ""
    input: Any = None
    scopes: tuple[dict, ...] = ({},)
    event_id: int = 1
    entered_event_id: int = 0
    transitions: int = 0

    def with_changes(self, **changes: Any) -> "Cursor":
        """Return a copy with `changes` applied.

        This runs several times per transition, so it copies the attributes
        directly instead of going through `dataclasses.replace`.
        """
        copy = object.__new__(Cursor)
        attributes = copy.__dict__
        attributes.update(self.__dict__)
        attributes.update(changes)
        # An unknown name adds a key, so counting the keys checks every name at once.
        if len(attributes) != _FIELD_COUNT:
            unknown = sorted(set(changes) - set(self.__dict__))
            raise TypeError(f"Cursor has no field {unknown[0]!r}")
        return copy

    @property
    def retry_count(self) -> int:
        """Retries made in the current state, as ``$$.State.RetryCount`` shows it."""
        return sum(self.retries)

    def lookup_variables(self) -> dict:
        """Return the variables visible here, inner scopes hiding outer ones."""
        if len(self.scopes) == 1:
            return self.scopes[0]
        merged: dict = {}
        for scope in self.scopes:
            merged.update(scope)
        return merged

    def to_json(self) -> dict:
        data: dict[str, Any] = {"s": self.state}
        if self.frames:
            data["f"] = [_frame_json(frame) for frame in self.frames]
        if any(self.retries):
            data["r"] = list(self.retries)
        if self.entered:
            data["t"] = self.entered
        if self.input is not None:
            data["i"] = self.input
        if self.scopes != ({},):
            data["v"] = [scope for scope in self.scopes]
        data["e"] = self.event_id
        if self.entered_event_id:
            data["ee"] = self.entered_event_id
        if self.transitions:
            data["n"] = self.transitions
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Cursor":
        """Rebuild a cursor from `to_json()` output; raises `EngineError` when it is malformed."""
        try:
            frames = tuple(Frame(str(item[0]), int(item[1]), int(item[2]) if len(item) > 2 else 0) for item in data.get("f", ()))
            scopes = tuple(dict(scope) for scope in data.get("v", ({},)))
            return cls(
                state=str(data["s"]),
                frames=frames,
                retries=tuple(int(count) for count in data.get("r", ())),
                entered=str(data.get("t", "")),
                input=data.get("i"),
                scopes=scopes or ({},),
                event_id=int(data.get("e", 1)),
                entered_event_id=int(data.get("ee", 0)),
                transitions=int(data.get("n", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise EngineError(
                f"invalid cursor data {data!r} ({error}); pass the dict that Cursor.to_json() returned"
            ) from error


_FIELD_COUNT = len(Cursor.__dataclass_fields__)


def _frame_json(frame: Frame) -> list:
    if frame.first_event_id:
        return [frame.join_id, frame.index, frame.first_event_id]
    return [frame.join_id, frame.index]
