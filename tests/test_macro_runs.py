"""A machine as the macro deploys it runs through the heaviside runtime.

The invoker's entry point written by `heaviside expand` publishes the
definition, with function ARNs filled in as CloudFormation would. The
runtime's test bed (moto on 127.0.0.1 for S3, DynamoDB and SQS, and the local
Lambda endpoint) then runs an execution started by the machine's name, with
the settings the expanded template gives the invoker.
"""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import sys
import types

import pytest

from heaviside import cli
from heaviside.runtime.testing import LambdaTestBed
from heaviside.template import load_template
from sam_macro import contract
from tests.macro_support import TEMPLATES, resolve

FUNCTION_NAMES = {"ValidateOrder": "ValidateOrder", "ChargeCard": "ChargeCard"}


@pytest.fixture
def published(tmp_path, monkeypatch):
    """Expand the basic template; return the invoker's settings with the published definition."""
    output = tmp_path / "expanded.yaml"
    assert cli.main(["expand", str(TEMPLATES / "basic" / "template.yaml"), "-o", str(output)]) == 0
    invoker = load_template(output)["Resources"]["OrderFlow"]
    variables = resolve(invoker["Properties"]["Environment"]["Variables"], FUNCTION_NAMES)

    # Run the generated entry point the way Lambda imports it, with a stand-in
    # runtime module, and keep the definition it publishes.
    monkeypatch.setenv(contract.DEFINITION_SUBSTITUTIONS, variables[contract.DEFINITION_SUBSTITUTIONS])
    monkeypatch.setenv(contract.DEFINITION, "")
    stand_in = types.ModuleType("heaviside.runtime.invoker")
    stand_in.handler = None
    monkeypatch.setitem(sys.modules, "heaviside.runtime.invoker", stand_in)
    runpy.run_path(str(tmp_path / "expanded.heaviside" / "OrderFlow" / "index.py"))

    settings = {
        name: str(value)
        for name, value in variables.items()
        if name in (contract.STATE_MACHINE, contract.LOG_LEVEL, contract.EXECUTION_TTL_DAYS)
    }
    settings[contract.DEFINITION] = os.environ[contract.DEFINITION]
    return settings


def test_started_by_name_succeeds(published):
    spec = importlib.util.spec_from_file_location("basic_handlers", TEMPLATES / "basic" / "src" / "handlers.py")
    handlers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handlers)
    definition = json.loads(published[contract.DEFINITION])
    functions = {
        definition["States"]["Validate"]["Resource"]: handlers.validate,
        definition["States"]["Charge"]["Parameters"]["FunctionName"]: handlers.charge,
    }

    with LambdaTestBed(functions, environment=published) as bed:
        started = bed.invoke({"stateMachine": "order-flow", "input": {"orderId": "A-1"}, "name": "order-A-1"})
        execution = bed.wait(started["executionArn"], timeout=60)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == {"orderId": "A-1", "valid": True, "charged": True}
