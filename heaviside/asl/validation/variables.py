"""Rules for workflow variables: Assign fields, variable names and scopes.

A States object (the machine, a Parallel branch, a Map's ItemProcessor) is one
scope. An inner scope may read the variables of the scopes around it but may
not assign a name that an outer scope assigns. A catcher or the top-level
Assign of a Parallel or Map state belongs to the scope that contains the state.
"""

from __future__ import annotations

from typing import Any

from heaviside.asl.validation.expressions import (
    INPUT_AND_CONTEXT,
    check_jsonata_template,
    check_path_or_intrinsic,
    check_payload_template,
)
from heaviside.asl.validation.report import JSONATA, Report, describe, join, quote
from heaviside.asl.variables import variable_name_problem


def assigned_names(assign: Any) -> list[str]:
    """Return the variable names an Assign field sets (JSONPath `.$` suffixes removed)."""
    if not isinstance(assign, dict):
        return []
    names = []
    for key in assign:
        if isinstance(key, str):
            names.append(key[:-2] if key.endswith(".$") else key)
    return names


def check_assign(
    report: Report,
    path: str,
    assign: Any,
    language: str,
    outer_names: frozenset[str],
    available: frozenset[str] = INPUT_AND_CONTEXT,
) -> None:
    """Check one Assign field: an object of variable names to values.

    `available` lists the fields of `$states` that its JSONata expressions may read.
    """
    if not isinstance(assign, dict):
        report.add(path, f"Assign must be an object of variable names to values, not {describe(assign)}.")
        return

    for key, value in assign.items():
        value_path = join(path, key)
        if not isinstance(key, str):
            report.add(value_path, f"The variable name {key!r} must be a string.")
            continue

        is_expression_key = language != JSONATA and key.endswith(".$")
        name = key[:-2] if is_expression_key else key
        check_variable_name(report, value_path, name)
        if name in outer_names:
            report.add(
                value_path,
                f"The variable {quote(name)} is already assigned in an enclosing scope, so a Parallel branch "
                "or Map iteration may not assign it; give the inner variable another name.",
            )

        if language == JSONATA:
            check_jsonata_template(report, value_path, value, available)
        elif is_expression_key:
            check_path_or_intrinsic(report, value_path, value, f"the field {quote(key)}")
        else:
            check_payload_template(report, value_path, value, "Assign")


def check_variable_name(report: Report, path: str, name: str) -> None:
    problem = variable_name_problem(name)
    if problem is not None:
        report.add(path, problem)
