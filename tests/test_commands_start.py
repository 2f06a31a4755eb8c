"""`heaviside start` against the local Lambda endpoint, and finding invokers in stacks."""

from __future__ import annotations

import argparse
import json

import boto3
import pytest

from heaviside.cli import main as heaviside
from heaviside.commands.start import CommandError, find_invoker
from heaviside.local.lambda_endpoint import LambdaEndpoint
from tests.fixtures_aws import DUMMY_ENVIRONMENT


def fake_invoker(event, context):
    """Stand in for the invoker: return the request it received and an execution id."""
    if event.get("name") == "boom":
        raise RuntimeError("the table is not reachable")
    return {"executionId": "arn:aws:states:us-east-1:123456789012:execution:orders:e-1", "request": event}


@pytest.fixture
def endpoint(monkeypatch):
    for key, value in DUMMY_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    with LambdaEndpoint({"orders-invoker": fake_invoker}) as running:
        yield running


def test_start_sends_input_and_name(endpoint, capsys, tmp_path):
    (tmp_path / "order.json").write_text(json.dumps({"orderId": "ORD-1"}))

    status = heaviside(
        ["start", "--function-name", "orders-invoker", "--endpoint-url", endpoint.url,
         "--input", f"@{tmp_path / 'order.json'}", "--name", "order-1"]
    )

    response = json.loads(capsys.readouterr().out)
    assert status == 0
    assert response["executionId"].endswith(":execution:orders:e-1")
    assert response["request"] == {"input": {"orderId": "ORD-1"}, "name": "order-1"}


def test_start_default_input_empty(endpoint, capsys):
    status = heaviside(["start", "--function-name", "orders-invoker", "--endpoint-url", endpoint.url])

    assert status == 0
    assert json.loads(capsys.readouterr().out)["request"] == {"input": {}}


def test_start_reports_function_error(endpoint, capsys):
    status = heaviside(["start", "--function-name", "orders-invoker", "--endpoint-url", endpoint.url, "--name", "boom"])

    assert status == 2
    assert "orders-invoker raised RuntimeError: the table is not reachable" in capsys.readouterr().err


def test_start_unknown_function(endpoint, capsys):
    status = heaviside(["start", "--function-name", "nope", "--endpoint-url", endpoint.url])

    assert status == 2
    assert "function nope not found" in capsys.readouterr().err


def test_start_invalid_input(capsys):
    status = heaviside(["start", "--function-name", "orders-invoker", "--input", "{not json"])

    assert status == 2
    assert "--input: not valid JSON" in capsys.readouterr().err


def test_start_needs_target(capsys):
    with pytest.raises(SystemExit):
        heaviside(["start", "--input", "{}"])

    assert "one of the arguments --stack --function-name is required" in capsys.readouterr().err


@pytest.fixture(scope="module")
def stacks():
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for key, value in DUMMY_ENVIRONMENT.items():
            monkeypatch.setenv(key, value)
        client = boto3.client("cloudformation", region_name="us-east-1")
        for stack, machines in {"one-machine": ["Orders"], "two-machines": ["Orders", "Imports"]}.items():
            template = {
                "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {f"{machine}InvokerName": {"Value": f"{stack}-{machine}-invoker"} for machine in machines},
            }
            client.create_stack(StackName=stack, TemplateBody=json.dumps(template))
        yield


def invoker_args(**values) -> argparse.Namespace:
    defaults = {"function_name": None, "stack": None, "machine": None, "region": "us-east-1"}
    return argparse.Namespace(**{**defaults, **values})


def test_invoker_from_single_machine_stack(stacks):
    assert find_invoker(invoker_args(stack="one-machine")) == "one-machine-Orders-invoker"


def test_invoker_chosen_by_machine(stacks):
    assert find_invoker(invoker_args(stack="two-machines", machine="Imports")) == "two-machines-Imports-invoker"


def test_invoker_ambiguous_without_machine(stacks):
    with pytest.raises(CommandError, match=r"several state machines \(Imports, Orders\); choose one with --machine"):
        find_invoker(invoker_args(stack="two-machines"))


def test_invoker_unknown_machine(stacks):
    with pytest.raises(CommandError, match="no output BillingInvokerName; its state machines are: Orders"):
        find_invoker(invoker_args(stack="one-machine", machine="Billing"))


def test_invoker_missing_stack(stacks):
    with pytest.raises(CommandError, match="cannot read stack nowhere"):
        find_invoker(invoker_args(stack="nowhere"))
