"""Errors of the engine itself (misuse by a driver), as opposed to execution failures."""

from __future__ import annotations

from heaviside.asl.errors import HeavisideError, StatesError


class EngineError(HeavisideError):
    """A driver called the engine with an event or cursor that does not fit.

    Problems of the execution itself never raise: they end in a `Fail` action.
    """


def unprefixed_error(error: str, cause: str | None) -> StatesError:
    """Return a StatesError whose cause AWS reports as is, without the state prefix.

    AWS prefixes evaluation errors with "An error occurred while executing the
    state ..."; size limit and timeout errors carry their own text.
    """
    exception = StatesError(error, cause)
    exception.unprefixed = True
    return exception
