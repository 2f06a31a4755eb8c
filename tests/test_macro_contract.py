"""The macro's names as the runtime reads them: environment variables and the invoker's entry point."""

from __future__ import annotations

import json
import sys

import pytest

from heaviside.runtime import invoker
from heaviside.runtime.config import RuntimeConfig
from sam_macro import contract
from tests.macro_support import TEMPLATES, expand_file, resolve


def test_runtime_reads_macro_variables():
    config = RuntimeConfig.from_environment(
        {
            contract.BUCKET: "app-bucket",
            contract.TABLE: "app-table",
            contract.DELAY_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/app-delays",
            contract.ACCOUNT: "123456789012",
            contract.STATE_MACHINE: "order-flow",
            contract.DEFINITION: '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}',
            contract.EXECUTION_TYPE: "EXPRESS",
            contract.EXECUTION_RECORDS: "false",
            contract.EXECUTION_TTL_DAYS: "30",
            contract.SLEEP_THRESHOLD: "2.5",
            contract.ENVELOPE_BUDGET: "262144",
            contract.LOG_LEVEL: "DEBUG",
        }
    )
    assert config.bucket == "app-bucket"
    assert config.table == "app-table"
    assert config.delay_queue_url.endswith("/app-delays")
    assert config.account == "123456789012"
    assert config.state_machine == "order-flow"
    assert json.loads(config.definition)["StartAt"] == "A"
    assert config.execution_type == "EXPRESS"
    assert config.execution_records is False
    assert config.execution_ttl_days == 30
    assert config.sleep_threshold_seconds == 2.5
    assert config.envelope_budget == 262144
    assert config.log_level == "DEBUG"


def test_invoker_handler_name_exists():
    module, function = contract.INVOKER_HANDLER.rsplit(".", 1)
    assert module == invoker.__name__
    assert callable(getattr(invoker, function))


@pytest.fixture
def clean_environment(monkeypatch):
    # setenv records the variable's state, so the value the entry point sets is undone after the test.
    monkeypatch.setenv(contract.DEFINITION, "")
    return monkeypatch


def test_inline_entry_point_publishes_to_runtime(clean_environment):
    expanded = expand_file(TEMPLATES / "basic" / "template.yaml")
    invoker_resource = expanded["Resources"]["OrderFlow"]
    code = resolve(invoker_resource["Properties"]["InlineCode"])
    for name, value in resolve(invoker_resource["Properties"]["Environment"]["Variables"]).items():
        clean_environment.setenv(name, str(value))

    namespace: dict = {"__name__": "index"}
    exec(compile(code, "index.py", "exec"), namespace)

    assert namespace["handler"] is invoker.handler
    config = RuntimeConfig.from_environment()
    assert config.state_machine == "order-flow"
    definition = json.loads(config.definition)
    assert definition["States"]["Validate"]["Resource"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:app-ValidateOrder"
    )
    assert config.log_level == "DEBUG"
    assert config.account == "123456789012"


def test_entry_point_keeps_quotes_in_definition(clean_environment):
    template = {
        "Resources": {
            "Flow": {
                "Type": "Heaviside::StateMachine",
                "Properties": {
                    "Definition": {
                        "Comment": "it's ''' tricky \\ here",
                        "StartAt": "Done",
                        "States": {"Done": {"Type": "Pass", "Result": "a 'quoted' value", "End": True}},
                    }
                },
            }
        }
    }
    from sam_macro import expand_template
    from tests.macro_support import MACRO_CODE

    expanded = expand_template(template, code=MACRO_CODE, source=None).template
    for name, value in resolve(expanded["Resources"]["Flow"]["Properties"]["Environment"]["Variables"]).items():
        clean_environment.setenv(name, str(value))
    namespace: dict = {"__name__": "index"}
    exec(compile(resolve(expanded["Resources"]["Flow"]["Properties"]["InlineCode"]), "index.py", "exec"), namespace)

    definition = json.loads(RuntimeConfig.from_environment().definition)
    assert definition["Comment"] == "it's ''' tricky \\ here"
    assert definition["States"]["Done"]["Result"] == "a 'quoted' value"
    assert "index" not in sys.modules
