"""Runtime settings read from HEAVISIDE_* environment variables."""

from __future__ import annotations

import pytest

from heaviside.runtime.config import DEFAULT_ENVELOPE_BUDGET, RuntimeConfig
from heaviside.runtime.errors import RuntimeConfigurationError


def test_defaults_without_variables():
    config = RuntimeConfig.from_environment({})

    assert config.bucket is None
    assert config.envelope_budget == DEFAULT_ENVELOPE_BUDGET
    assert config.execution_records is True
    assert config.hop_deduplication is True
    assert config.time_scale == 1.0
    assert config.execution_type == "STANDARD"


def test_every_variable_is_read():
    config = RuntimeConfig.from_environment(
        {
            "HEAVISIDE_BUCKET": "b",
            "HEAVISIDE_TABLE": "t",
            "HEAVISIDE_DELAY_QUEUE_URL": "http://127.0.0.1/q",
            "HEAVISIDE_INVOKER": "inv",
            "HEAVISIDE_STATE_MACHINE": "Orders",
            "HEAVISIDE_DEFINITION": "{}",
            "HEAVISIDE_EXECUTION_TYPE": "EXPRESS",
            "HEAVISIDE_ENVELOPE_BUDGET": "2048",
            "HEAVISIDE_EXECUTION_INPUT_INLINE_LIMIT": "0",
            "HEAVISIDE_SLEEP_THRESHOLD": "1.5",
            "HEAVISIDE_EXECUTION_RECORDS": "false",
            "HEAVISIDE_EXECUTION_TTL_DAYS": "7",
            "HEAVISIDE_HOP_DEDUPLICATION": "off",
            "HEAVISIDE_TIME_SCALE": "0.01",
            "HEAVISIDE_LOG_LEVEL": "debug",
            "AWS_REGION": "eu-west-1",
        }
    )

    assert (config.bucket, config.table, config.invoker) == ("b", "t", "inv")
    assert config.delay_queue_url == "http://127.0.0.1/q"
    assert (config.state_machine, config.definition, config.execution_type) == ("Orders", "{}", "EXPRESS")
    assert config.envelope_budget == 2048
    assert config.execution_input_inline_limit == 0
    assert config.sleep_threshold_seconds == 1.5
    assert config.execution_records is False
    assert config.execution_ttl_days == 7
    assert config.hop_deduplication is False
    assert config.time_scale == 0.01
    assert config.log_level == "DEBUG"
    assert config.region == "eu-west-1"


@pytest.mark.parametrize(
    "name, value",
    [
        ("HEAVISIDE_ENVELOPE_BUDGET", "big"),
        ("HEAVISIDE_ENVELOPE_BUDGET", "10"),
        ("HEAVISIDE_SLEEP_THRESHOLD", "-1"),
        ("HEAVISIDE_EXECUTION_RECORDS", "maybe"),
        ("HEAVISIDE_EXECUTION_TYPE", "FAST"),
        ("HEAVISIDE_TIME_SCALE", "0"),
        ("HEAVISIDE_LOG_LEVEL", "LOUD"),
    ],
)
def test_invalid_value_names_variable(name, value):
    with pytest.raises(RuntimeConfigurationError, match=name):
        RuntimeConfig.from_environment({name: value})


def test_require_names_missing_variable():
    with pytest.raises(RuntimeConfigurationError, match="HEAVISIDE_DELAY_QUEUE_URL"):
        RuntimeConfig().require("delay_queue_url")
    assert RuntimeConfig(bucket="b").require("bucket") == "b"
