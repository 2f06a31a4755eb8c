"""Runtime configuration, read once per container from environment variables.

The CloudFormation macro sets these on every function it wires up; tests set
them by hand. Endpoints are not configured here: boto3 reads
``AWS_ENDPOINT_URL`` and per-service ``AWS_ENDPOINT_URL_<SERVICE>`` itself
(boto3 1.28 and newer), which is how tests reach moto and the local Lambda
endpoint.
"""

from __future__ import annotations

import os
from typing import Mapping

from heaviside.asl.model import record
from heaviside.runtime.errors import RuntimeConfigurationError

# Lambda accepts asynchronous invoke payloads of up to 1 MB. The default
# budget leaves a quarter of that for the OnFailure destination record, which
# wraps the original payload together with the error response.
DEFAULT_ENVELOPE_BUDGET = 786_432

# The execution input travels in every envelope because `$$.Execution.Input`
# may be read by any state; above this size it travels as a blob reference.
DEFAULT_EXECUTION_INPUT_INLINE_LIMIT = 4_096

DEFAULT_SLEEP_THRESHOLD_SECONDS = 5.0
DEFAULT_EXECUTION_TTL_DAYS = 90

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@record(frozen=True)
class RuntimeConfig:
    """Names of the AWS resources a heaviside function uses, and its tuning knobs.

    `bucket` contains definitions and blobs, `table` contains execution records,
    joins and hop marks, `delay_queue_url` is the SQS queue whose consumer is the invoker,
    and `invoker` is the name or ARN of the invoker function.
    """

    bucket: str | None = None
    table: str | None = None
    delay_queue_url: str | None = None
    invoker: str | None = None
    state_machine: str | None = None
    definition: str | None = None
    execution_type: str = "STANDARD"
    envelope_budget: int = DEFAULT_ENVELOPE_BUDGET
    execution_input_inline_limit: int = DEFAULT_EXECUTION_INPUT_INLINE_LIMIT
    sleep_threshold_seconds: float = DEFAULT_SLEEP_THRESHOLD_SECONDS
    execution_records: bool = True
    execution_ttl_days: int = DEFAULT_EXECUTION_TTL_DAYS
    hop_deduplication: bool = True
    history: bool = False
    time_scale: float = 1.0
    log_level: str | None = None
    region: str = "us-east-1"
    account: str = "000000000000"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "RuntimeConfig":
        """Read every ``HEAVISIDE_*`` variable; raise `RuntimeConfigurationError` on a bad value."""
        env = os.environ if environ is None else environ
        return cls(
            bucket=env.get("HEAVISIDE_BUCKET") or None,
            table=env.get("HEAVISIDE_TABLE") or None,
            delay_queue_url=env.get("HEAVISIDE_DELAY_QUEUE_URL") or None,
            invoker=env.get("HEAVISIDE_INVOKER") or None,
            state_machine=env.get("HEAVISIDE_STATE_MACHINE") or None,
            definition=env.get("HEAVISIDE_DEFINITION") or None,
            execution_type=_choice(env, "HEAVISIDE_EXECUTION_TYPE", ("STANDARD", "EXPRESS"), "STANDARD"),
            envelope_budget=_int(env, "HEAVISIDE_ENVELOPE_BUDGET", DEFAULT_ENVELOPE_BUDGET, minimum=1_024),
            execution_input_inline_limit=_int(
                env, "HEAVISIDE_EXECUTION_INPUT_INLINE_LIMIT", DEFAULT_EXECUTION_INPUT_INLINE_LIMIT, minimum=0
            ),
            sleep_threshold_seconds=_float(env, "HEAVISIDE_SLEEP_THRESHOLD", DEFAULT_SLEEP_THRESHOLD_SECONDS),
            execution_records=_bool(env, "HEAVISIDE_EXECUTION_RECORDS", True),
            execution_ttl_days=_int(env, "HEAVISIDE_EXECUTION_TTL_DAYS", DEFAULT_EXECUTION_TTL_DAYS, minimum=0),
            hop_deduplication=_bool(env, "HEAVISIDE_HOP_DEDUPLICATION", True),
            history=_bool(env, "HEAVISIDE_HISTORY", False),
            time_scale=_time_scale(env),
            log_level=_log_level(env),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            account=env.get("HEAVISIDE_ACCOUNT") or "000000000000",
        )

    def require(self, name: str) -> str:
        """Return the setting `name`, or raise naming the environment variable to set."""
        value = getattr(self, name)
        if not value:
            variable = "HEAVISIDE_" + name.upper()
            if name == "delay_queue_url":
                variable = "HEAVISIDE_DELAY_QUEUE_URL"
            raise RuntimeConfigurationError(
                f"{variable} is not set; the heaviside runtime needs it to reach its {name.replace('_', ' ')}"
            )
        return value


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise RuntimeConfigurationError(f"{name}={text!r} is not an integer") from None
    if value < minimum:
        raise RuntimeConfigurationError(f"{name}={value} is below the minimum of {minimum}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise RuntimeConfigurationError(f"{name}={text!r} is not a number of seconds") from None
    if value < 0:
        raise RuntimeConfigurationError(f"{name}={value} must not be negative")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name)
    if text is None or text == "":
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise RuntimeConfigurationError(f"{name}={text!r} is not a boolean; use true or false")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    text = env.get(name)
    if text is None or text == "":
        return default
    if text not in choices:
        raise RuntimeConfigurationError(f"{name}={text!r} is not one of {', '.join(choices)}")
    return text


def _time_scale(env: Mapping[str, str]) -> float:
    value = _float(env, "HEAVISIDE_TIME_SCALE", 1.0)
    if value <= 0:
        raise RuntimeConfigurationError(f"HEAVISIDE_TIME_SCALE={value} must be greater than 0")
    return value


def _log_level(env: Mapping[str, str]) -> str | None:
    text = env.get("HEAVISIDE_LOG_LEVEL")
    if not text:
        return None
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    if text.upper() not in levels:
        raise RuntimeConfigurationError(f"HEAVISIDE_LOG_LEVEL={text!r} is not one of {', '.join(levels)}")
    return text.upper()
