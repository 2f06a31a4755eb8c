"""Exceptions of the States language layer.

Two families: problems in a definition, found before anything runs
(`InvalidDefinition`, `DefinitionSyntaxError`), and errors raised while a
state runs (`StatesError`), which carry an ASL error name such as
``States.Runtime`` and become an execution failure unless a catcher handles
them.
"""

from __future__ import annotations

from heaviside.asl.model import record


class HeavisideError(Exception):
    """Base class of every exception heaviside raises on purpose."""


@record(frozen=True)
class Problem:
    """One problem in a definition.

    `path` is the JSON path of the offending field (``$.States.Wait.Seconds``),
    `code` is AWS's diagnostic code where it has one (``SCHEMA_VALIDATION_FAILED``,
    ``MISSING_TRANSITION_TARGET``), and `message` describes the change that fixes it.
    """

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"


class InvalidDefinition(HeavisideError):
    """A definition that AWS's validator would reject; `errors` lists every problem."""

    def __init__(self, errors: list[Problem]):
        self.errors = list(errors)
        lines = "\n".join(f"  {problem}" for problem in self.errors)
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid state machine definition ({count} {noun}):\n{lines}")


class DefinitionSyntaxError(HeavisideError, ValueError):
    """A path, intrinsic function call or JSONata expression that cannot be parsed.

    Raised by the compilers in `heaviside.asl`; the validator turns it into a
    `Problem` at the field where the text came from.
    """


class StatesError(HeavisideError):
    """A runtime error with an ASL error name, as a state's failure.

    `error` is the name that Retry and Catch match (``States.Runtime``,
    ``States.IntrinsicFailure``, or a task's own error type); `cause` is the
    text AWS reports. Evaluators raise it with the cause body only; the engine
    adds AWS's prefix ("An error occurred while executing the state ...").
    """

    def __init__(self, error: str, cause: str | None = None):
        self.error = error
        self.cause = cause
        super().__init__(f"{error}: {cause}" if cause is not None else error)
