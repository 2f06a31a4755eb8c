"""The Amazon States Language: loading, validation, the model, and the
compiled forms of paths, payload templates, intrinsic functions, Choice rules
and JSONata expressions. Pure: no I/O beyond reading a definition file."""

from heaviside.asl.errors import (
    DefinitionSyntaxError,
    HeavisideError,
    InvalidDefinition,
    Problem,
    StatesError,
)

__all__ = [
    "DefinitionSyntaxError",
    "HeavisideError",
    "InvalidDefinition",
    "Problem",
    "StatesError",
    "load_definition",
]


def load_definition(source):
    """Load, validate and compile a definition (see `heaviside.asl.load`)."""
    from heaviside.asl.load import load_definition as _load

    return _load(source)
