"""The rule that a definition is JSON: object keys are strings, numbers are
finite, and there are no other Python types (a dict handed to `validate`
directly, or YAML, can contain them)."""

from __future__ import annotations

import math
from typing import Any

from heaviside.asl.validation.report import Report, describe, join


def check_json_values(report: Report, path: str, value: Any, states_objects: frozenset[int] = frozenset()) -> None:
    """Report every part of `value` that is not plain JSON.

    Repeated keys of parsed JSON or YAML text are reported too, except in the
    States objects listed by `id` in `states_objects`, which the machine rules
    report as duplicate state names.
    """
    # An explicit stack instead of recursion, so that deep nesting is not a
    # RecursionError here.
    # A container reached twice (a YAML alias, or a dict that contains
    # itself) is checked once, which also ends cycles.
    visited: set[int] = set()
    pending = [(path, value)]
    while pending:
        current_path, current = pending.pop()
        if isinstance(current, (dict, list)):
            if id(current) in visited:
                continue
            visited.add(id(current))
        if isinstance(current, dict):
            if id(current) not in states_objects:
                for key in getattr(current, "duplicate_keys", ()):
                    report.add(join(current_path, key), f"The key {describe(key)} appears more than once in this object; keep one.")
            for key, item in current.items():
                if not isinstance(key, str):
                    report.add(join(current_path, key), f"Object keys must be strings, but this key is {describe(key)}; quote it.")
                pending.append((join(current_path, key), item))
        elif isinstance(current, list):
            pending.extend((join(current_path, index), item) for index, item in enumerate(current))
        elif isinstance(current, float) and not math.isfinite(current):
            report.add(current_path, f"The value {current!r} is not a JSON number; use a finite number.")
        elif current is None or isinstance(current, (str, bool, int, float)):
            continue
        else:
            report.add(current_path, f"The value is {describe(current)}; use a string, number, boolean, null, array or object.")
