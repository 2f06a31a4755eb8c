"""Lambda Python runtimes and the JSONata engine.

The JSONata engine, jlens, ships only manylinux_2_28 wheels, which need glibc
2.28 or newer. Lambda's python3.12 and newer runtimes run on Amazon Linux 2023
(glibc 2.34), but python3.11 runs on Amazon Linux 2 (glibc 2.26) and cannot
load it. heaviside imports jlens only to compile JSONata expressions, so
everything else runs on python3.11.

So a runtime layer built for python3.11 leaves jlens out, and a JSONata
machine needs python3.12 or newer for its invoker, for its task functions and
for the `sam build` of the layer.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Iterable

JSONATA_ENGINE = "jlens"
JSONATA_MIN_RUNTIME = "python3.12"
_JSONATA_MIN_MINOR = 12

# pip evaluates this marker with the interpreter that `sam build` runs for the
# layer, which has the Python version of the layer's BuildMethod runtime.
JSONATA_ENGINE_MARKER = 'python_version >= "3.12"'

_PYTHON_RUNTIME = re.compile(r"python3\.(\d+)")
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def cannot_load_jsonata(runtime: Any) -> bool:
    """Return whether `runtime` is a Lambda Python runtime older than python3.12.

    Other values (a non-Python runtime, an intrinsic function) return False,
    because nothing is known about them.
    """
    match = _PYTHON_RUNTIME.fullmatch(runtime) if isinstance(runtime, str) else None
    return match is not None and int(match.group(1)) < _JSONATA_MIN_MINOR


def jsonata_engine_import_error() -> str | None:
    """Import the JSONata engine here; return the import error's message, or None when it loads.

    In the deployed macro function this shows whether the runtime layer it
    runs with (the layer the invokers get) was built with the engine.
    """
    try:
        importlib.import_module(JSONATA_ENGINE)
    except ImportError as error:
        return str(error)
    return None


def layer_requirements(dependencies: Iterable[str]) -> list[str]:
    """Return requirements.txt lines for a runtime layer from heaviside's runtime dependencies.

    The JSONata engine's line gets `JSONATA_ENGINE_MARKER`, so that a layer
    built for python3.11 leaves it out instead of failing: sam build rejects
    a manylinux_2_28 wheel for python3.11.
    """
    lines = []
    for dependency in dependencies:
        match = _REQUIREMENT_NAME.match(dependency)
        name = _normalize(match.group(1)) if match else ""
        if name != JSONATA_ENGINE:
            lines.append(dependency)
        elif ";" in dependency:
            requirement, marker = dependency.split(";", 1)
            lines.append(f"{requirement.rstrip()}; ({marker.strip()}) and {JSONATA_ENGINE_MARKER}")
        else:
            lines.append(f"{dependency}; {JSONATA_ENGINE_MARKER}")
    return lines


def _normalize(name: str) -> str:
    """Return a distribution name in the normalized form of PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()
