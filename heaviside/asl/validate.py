"""Validate a state machine definition the way AWS's ValidateStateMachineDefinition does.

The rules live in the `heaviside.asl.validation` package; this module is the
stable import path that `load.py` and other callers use.
"""

from heaviside.asl.validation import validate

__all__ = ["validate"]
