"""heaviside's own Heaviside::StateMachine properties, checked and turned into environment variables."""

from __future__ import annotations

import json
import re
from typing import Any

from sam_macro import contract
from sam_macro.definition import is_intrinsic
from sam_macro.errors import TemplateProblem

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EXECUTION_TYPES = ("STANDARD", "EXPRESS")
# Lambda accepts asynchronous invoke payloads of up to 1 MB (1,048,576 bytes).
MAX_ENVELOPE_BUDGET = 1_048_576
MIN_ENVELOPE_BUDGET = 1_024
# Lambda function names: letters, digits, hyphens and underscores, at most 64.
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def machine_settings(
    logical_id: str, properties: dict[str, Any], problems: list[TemplateProblem]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Turn heaviside's own properties into environment variables; check literal values."""
    environment: dict[str, Any] = {}
    invoker_environment: dict[str, Any] = {}

    def check(name: str, valid: bool, message: str) -> bool:
        value = properties.get(name)
        if is_intrinsic(value) or valid:
            return True
        problems.append(TemplateProblem(logical_id, name, f"{value!r} is invalid; {message}"))
        return False

    if "ExecutionRecords" in properties:
        value = properties["ExecutionRecords"]
        if check("ExecutionRecords", isinstance(value, bool), "use true or false"):
            environment[contract.EXECUTION_RECORDS] = json.dumps(value) if isinstance(value, bool) else value
    if "ExecutionTtlDays" in properties:
        value = properties["ExecutionTtlDays"]
        if check("ExecutionTtlDays", is_integer(value) and value >= 1, "use a whole number of days, at least 1"):
            environment[contract.EXECUTION_TTL_DAYS] = env_value(value)
    if "SleepThresholdSeconds" in properties:
        value = properties["SleepThresholdSeconds"]
        if check("SleepThresholdSeconds", is_number(value) and value >= 0, "use a number of seconds, 0 or more"):
            environment[contract.SLEEP_THRESHOLD] = env_value(value)
    if "EnvelopeBudgetBytes" in properties:
        value = properties["EnvelopeBudgetBytes"]
        valid = is_integer(value) and MIN_ENVELOPE_BUDGET <= value <= MAX_ENVELOPE_BUDGET
        message = f"use a whole number of bytes from {MIN_ENVELOPE_BUDGET} to {MAX_ENVELOPE_BUDGET}"
        if check("EnvelopeBudgetBytes", valid, message):
            environment[contract.ENVELOPE_BUDGET] = env_value(value)
    if "LogLevel" in properties:
        value = properties["LogLevel"]
        if check("LogLevel", value in LOG_LEVELS, f"use one of {', '.join(LOG_LEVELS)}"):
            environment[contract.LOG_LEVEL] = value
    if "Type" in properties:
        value = properties["Type"]
        if check("Type", value in EXECUTION_TYPES, f"use one of {', '.join(EXECUTION_TYPES)}"):
            invoker_environment[contract.EXECUTION_TYPE] = value

    name = properties.get("Name")
    if name is not None and not is_intrinsic(name) and not (isinstance(name, str) and FUNCTION_NAME.match(name)):
        problems.append(
            TemplateProblem(
                logical_id,
                "Name",
                f"{name!r} is invalid; the name is also the invoker's function name, so use 1 to 64 letters, "
                "digits, hyphens and underscores",
            )
        )
    tracing = properties.get("Tracing")
    if tracing is not None and not (isinstance(tracing, dict) and isinstance(tracing.get("Enabled", False), bool)):
        problems.append(TemplateProblem(logical_id, "Tracing", "use a mapping such as {Enabled: true}"))
    events = properties.get("Events")
    if events is not None and not isinstance(events, dict):
        problems.append(TemplateProblem(logical_id, "Events", "must be a mapping of event names to SAM events"))
    return environment, invoker_environment


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def env_value(value: Any) -> Any:
    """Environment variable values are strings; intrinsics stay as they are."""
    return value if is_intrinsic(value) else str(value)
