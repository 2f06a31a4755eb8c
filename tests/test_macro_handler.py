"""The macro's Lambda handler with CloudFormation macro events, compared with `heaviside expand`.

S3 is moto's in-process mock: DefinitionUri objects are uploaded to it, and
both the handler and the CLI read them through boto3.
"""

from __future__ import annotations

import copy
import json
import logging
import shutil

import pytest

from heaviside import cli
from heaviside.template import dump_template, load_template
from sam_macro import contract
from sam_macro.handler import handler
from tests.macro_support import LAYER_ARN, TEMPLATES, published_definition

ARTIFACTS = "artifacts"


@pytest.fixture
def s3(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        import boto3

        client = boto3.client("s3")
        client.create_bucket(Bucket=ARTIFACTS)
        yield client


@pytest.fixture
def macro_environment(monkeypatch):
    monkeypatch.setenv(contract.MACRO_RUNTIME_LAYER_ARN, LAYER_ARN)
    monkeypatch.setenv(contract.MACRO_INVOKER_RUNTIME, "python3.12")
    monkeypatch.setenv(contract.MACRO_INVOKER_ARCHITECTURE, "arm64")


def macro_event(fragment: dict, parameters: dict | None = None) -> dict:
    return {
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::Heaviside",
        "params": {},
        "requestId": "7d3c5a2e-request",
        "fragment": fragment,
        "templateParameterValues": parameters or {},
    }


def expand_with_cli(template_path, capsys) -> dict:
    status = cli.main(
        [
            "expand",
            str(template_path),
            "--layer-arn",
            LAYER_ARN,
            "--runtime",
            "python3.12",
            "--architecture",
            "arm64",
            "--format",
            "json",
            "-o",
            "-",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    expanded = json.loads(captured.out)
    expanded.pop("Transform")
    return expanded


@pytest.fixture
def basic_on_s3(tmp_path, s3, monkeypatch):
    """The 'basic' template with its definition file uploaded to S3, as a user of the macro deploys it."""
    shutil.copytree(TEMPLATES / "basic", tmp_path / "basic")
    s3.upload_file(str(tmp_path / "basic" / "statemachine" / "order.asl.json"), ARTIFACTS, "order.asl.json")
    template = load_template(tmp_path / "basic" / "template.yaml")
    template["Resources"]["OrderFlow"]["Properties"]["DefinitionUri"] = f"s3://{ARTIFACTS}/order.asl.json"
    path = tmp_path / "basic" / "template.yaml"
    path.write_text(dump_template(template))
    monkeypatch.chdir(path.parent)
    return path


def test_handler_matches_expand(basic_on_s3, macro_environment, capsys):
    fragment = load_template(basic_on_s3)
    fragment.pop("Transform")

    response = handler(macro_event(fragment, {"TaskTimeout": "30"}))

    assert response["status"] == "success", response.get("errorMessage")
    assert response["requestId"] == "7d3c5a2e-request"
    assert response["fragment"] == expand_with_cli(basic_on_s3, capsys)


def test_handler_reads_definition_from_s3(basic_on_s3, macro_environment):
    fragment = load_template(basic_on_s3)
    fragment.pop("Transform")

    response = handler(macro_event(fragment))

    definition = published_definition(response["fragment"]["Resources"]["OrderFlow"])
    assert definition["States"]["Charge"]["Parameters"]["FunctionName"] == "app-ChargeCard"


def test_handler_matches_expand_with_include(tmp_path, s3, macro_environment, monkeypatch, capsys):
    # CloudFormation runs AWS::Include before the macro, so the handler gets the file's content inline.
    shutil.copytree(TEMPLATES / "basic", tmp_path / "basic")
    path = tmp_path / "basic" / "template.yaml"
    template = load_template(path)
    properties = template["Resources"]["OrderFlow"]["Properties"]
    del properties["DefinitionUri"]
    properties["Definition"] = {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "statemachine/order.asl.json"}}
    }
    path.write_text(dump_template(template))
    monkeypatch.chdir(path.parent)

    fragment = copy.deepcopy(template)
    fragment.pop("Transform")
    included = json.loads((path.parent / "statemachine" / "order.asl.json").read_text())
    fragment["Resources"]["OrderFlow"]["Properties"]["Definition"] = included

    response = handler(macro_event(fragment))

    assert response["status"] == "success", response.get("errorMessage")
    assert response["fragment"] == expand_with_cli(path, capsys)


def test_handler_reports_template_problems(macro_environment, caplog):
    fragment = {"Resources": {"Flow": {"Type": "Heaviside::StateMachine", "Properties": {"LogLevel": "LOUD"}}}}

    with caplog.at_level(logging.WARNING, logger="sam_macro.handler"):
        response = handler(macro_event(fragment))

    assert response["status"] == "failure"
    assert response["requestId"] == "7d3c5a2e-request"
    assert "fragment" not in response
    assert "resource Flow, property Definition: set exactly one of Definition" in response["errorMessage"]
    assert "resource Flow, property LogLevel: 'LOUD' is invalid" in response["errorMessage"]
    assert "7d3c5a2e-request" in caplog.text


def test_handler_without_layer_configuration(monkeypatch):
    monkeypatch.delenv(contract.MACRO_RUNTIME_LAYER_ARN, raising=False)
    fragment = load_template(TEMPLATES / "basic" / "template.yaml")

    response = handler(macro_event(fragment))

    assert response["status"] == "failure"
    assert contract.MACRO_RUNTIME_LAYER_ARN in response["errorMessage"]
    assert "root template.yaml" in response["errorMessage"]


def test_handler_unexpected_error(macro_environment, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sam_macro.expand_template", broken)
    with caplog.at_level(logging.ERROR, logger="sam_macro.handler"):
        response = handler(macro_event({"Resources": {}}))

    assert response == {
        "requestId": "7d3c5a2e-request",
        "status": "failure",
        "errorMessage": "the heaviside macro failed unexpectedly on request 7d3c5a2e-request; "
        "its CloudWatch log has the traceback",
    }
    assert "boom" in caplog.text


def test_handler_without_fragment():
    response = handler({"requestId": "r-2"})
    assert response["status"] == "failure"
    assert response["requestId"] == "r-2"


def test_handler_passes_template_without_machines(macro_environment):
    fragment = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    response = handler(macro_event(fragment))
    assert response == {"requestId": "7d3c5a2e-request", "status": "success", "fragment": fragment}
