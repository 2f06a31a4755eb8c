"""Exceptions of the Lambda runtime, in names a caller can catch."""

from __future__ import annotations

from heaviside.asl.errors import HeavisideError


class RuntimeConfigurationError(HeavisideError):
    """A required environment variable is missing or has an invalid value."""


class EnvelopeError(HeavisideError, ValueError):
    """An event that claims to be an envelope but cannot be decoded."""


class EnvelopeTooLarge(EnvelopeError):
    """A heaviside context that does not fit where it has to travel."""


class StoreError(HeavisideError):
    """A store operation failed for a reason other than a missing item."""


class NotFound(StoreError, KeyError):
    """A definition, blob or execution record that a store does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"
