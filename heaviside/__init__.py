"""heaviside: run Amazon States Language state machines inside AWS Lambda.

The public names are imported lazily so that a Lambda that only needs the
task decorator does not pay for the rest.
"""

from heaviside.asl.errors import InvalidDefinition, StatesError

__all__ = ["InvalidDefinition", "StatesError", "load_definition", "task", "current"]


def load_definition(source):
    """Load a definition from a dict, JSON text or a JSON/YAML file, validate it
    and return the model; raises `InvalidDefinition` listing every problem."""
    from heaviside.asl.load import load_definition as _load

    return _load(source)


def __getattr__(name):
    if name in ("task", "current"):
        from heaviside.runtime import decorator

        return getattr(decorator, name)
    raise AttributeError(f"module 'heaviside' has no attribute {name!r}")
