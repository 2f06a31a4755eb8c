"""The macro's output through the SAM translator and cfn-lint, offline.

Every example application and every template under tests/templates is
expanded for both targets (the deployed macro and `heaviside expand`),
translated by the SAM translator, and linted by cfn-lint. The translated
resources are then checked for what heaviside promises: the invoker, the
stores, least-privilege policies and the asynchronous invoke settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sam_macro import contract
from tests.macro_support import (
    GOLDEN,
    LAYER_ARN,
    LOCAL_CODE,
    MACRO_CODE,
    REPO,
    TEMPLATES,
    expand_file,
    lint,
    published_definition,
    translate,
)

EXAMPLE_TEMPLATES = sorted((REPO / "examples").glob("*/template.yaml"))
TEST_TEMPLATES = sorted(TEMPLATES.glob("*/template.yaml"))
ALL_TEMPLATES = EXAMPLE_TEMPLATES + TEST_TEMPLATES


def template_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


@pytest.fixture(autouse=True)
def region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="module")
def basic():
    """The 'basic' test template expanded by the macro, and the same after the SAM translator."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    expanded = expand_file(TEMPLATES / "basic" / "template.yaml")
    return expanded, translate(expanded)["Resources"]


@pytest.mark.parametrize("code", [MACRO_CODE, LOCAL_CODE], ids=["macro", "expand"])
@pytest.mark.parametrize("path", ALL_TEMPLATES, ids=template_id)
def test_translated_template_lints_clean(path, code):
    translated = translate(expand_file(path, code))
    assert lint(translated) == []


@pytest.mark.parametrize("path", ALL_TEMPLATES, ids=template_id)
def test_every_machine_becomes_an_invoker(path):
    from heaviside.template import load_template

    source = load_template(path)
    original = source["Resources"]
    defaults = {name: str(spec.get("Default")) for name, spec in (source.get("Parameters") or {}).items()}
    expanded = expand_file(path)
    resources = translate(expanded)["Resources"]
    machines = [name for name, resource in original.items() if resource["Type"] == "Heaviside::StateMachine"]
    assert machines
    for name in machines:
        invoker = resources[name]
        assert invoker["Type"] == "AWS::Lambda::Function"
        assert invoker["Properties"]["Handler"] == contract.INVOKER_ENTRY_POINT
        assert invoker["Properties"]["Layers"] == [LAYER_ARN]
        assert invoker["Properties"]["RecursiveLoop"] == "Allow"
        assert published_definition(expanded["Resources"][name], defaults)["States"]


def test_invoker_environment(basic):
    _, resources = basic
    variables = resources["OrderFlow"]["Properties"]["Environment"]["Variables"]
    assert variables[contract.BUCKET] == {"Ref": "HeavisideBucket"}
    assert variables[contract.TABLE] == {"Ref": "HeavisideTable"}
    assert variables[contract.DELAY_QUEUE_URL] == {"Ref": "HeavisideDelayQueue"}
    assert variables[contract.STATE_MACHINE] == "order-flow"
    assert variables[contract.LOG_LEVEL] == "DEBUG"
    assert variables[contract.EXECUTION_TTL_DAYS] == "30"
    assert resources["InlineFlow"]["Properties"]["Environment"]["Variables"][contract.EXECUTION_TYPE] == "EXPRESS"


def test_invoker_takes_machine_name(basic):
    _, resources = basic
    assert resources["OrderFlow"]["Properties"]["FunctionName"] == "order-flow"
    assert "FunctionName" not in resources["InlineFlow"]["Properties"]


def test_invoker_receives_machine_events(basic):
    _, resources = basic
    assert resources["OrderFlowNightly"]["Type"] == "AWS::Events::Rule"
    assert resources["OrderFlowNightly"]["Properties"]["ScheduleExpression"] == "rate(1 day)"
    assert resources["OrderFlowNightly"]["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["OrderFlow", "Arn"]}


def test_one_invoker_consumes_delay_queue(basic):
    _, resources = basic
    mappings = [resource for resource in resources.values() if resource["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 1
    properties = mappings[0]["Properties"]
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["HeavisideDelayQueue", "Arn"]}
    assert properties["FunctionName"] == {"Ref": "OrderFlow"}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_task_functions_get_layer_environment_recursion(basic):
    _, resources = basic
    for name in ("ValidateOrder", "ChargeCard"):
        properties = resources[name]["Properties"]
        assert properties["Layers"] == [LAYER_ARN]
        assert properties["RecursiveLoop"] == "Allow"
        variables = properties["Environment"]["Variables"]
        assert variables[contract.BUCKET] == {"Ref": "HeavisideBucket"}
        assert variables[contract.LOG_LEVEL] == "DEBUG"
        assert contract.INVOKER not in variables  # a reference to the invoker would be circular
    assert resources["ChargeCard"]["Properties"]["Environment"]["Variables"]["PROVIDER"] == "simulated"


def test_task_functions_fail_to_invoker(basic):
    _, resources = basic
    for name in ("ValidateOrder", "ChargeCard"):
        config = resources[f"{name}HeavisideEventInvokeConfig"]
        assert config["Type"] == "AWS::Lambda::EventInvokeConfig"
        assert config["Properties"]["FunctionName"] == {"Ref": name}
        assert config["Properties"]["Qualifier"] == "$LATEST"
        assert config["Properties"]["MaximumRetryAttempts"] == 0
        destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": ["OrderFlow", "Arn"]}
        assert config["DependsOn"] == [f"{name}HeavisidePolicy"]


def invoke_targets(policy: dict) -> list:
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    return next(statement["Resource"] for statement in statements if statement["Action"] == "lambda:InvokeFunction")


def test_task_policy_invokes_only_machine_functions(basic):
    _, resources = basic
    charge = resources["ChargeCardHeavisidePolicy"]
    assert charge["Properties"]["Roles"] == [{"Ref": "ChargeCardRole"}]
    # ChargeCard runs in OrderFlow only, so it may not invoke InlineFlow's invoker.
    assert invoke_targets(charge) == [
        {"Fn::GetAtt": ["ValidateOrder", "Arn"]},
        {"Fn::Sub": "${ValidateOrder.Arn}:*"},
        {"Fn::GetAtt": ["ChargeCard", "Arn"]},
        {"Fn::Sub": "${ChargeCard.Arn}:*"},
        {"Fn::GetAtt": ["OrderFlow", "Arn"]},
    ]
    validate = invoke_targets(resources["ValidateOrderHeavisidePolicy"])
    assert {"Fn::GetAtt": ["InlineFlow", "Arn"]} in validate


def test_task_policy_store_access(basic):
    _, resources = basic
    statements = {
        statement["Sid"]: statement
        for statement in resources["ChargeCardHeavisidePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    }
    assert statements["ReadWriteDefinitionsAndBlobs"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert statements["ReadWriteDefinitionsAndBlobs"]["Resource"] == [
        {"Fn::Sub": "${HeavisideBucket.Arn}/definitions/*"},
        {"Fn::Sub": "${HeavisideBucket.Arn}/blobs/*"},
    ]
    assert statements["ExecutionsAndJoins"]["Resource"] == {"Fn::GetAtt": ["HeavisideTable", "Arn"]}
    assert "dynamodb:Scan" not in statements["ExecutionsAndJoins"]["Action"]
    assert "dynamodb:DeleteTable" not in statements["ExecutionsAndJoins"]["Action"]
    assert statements["ScheduleDelays"]["Resource"] == {"Fn::GetAtt": ["HeavisideDelayQueue", "Arn"]}


def test_sam_role_keeps_only_basic_execution(basic):
    # Heaviside's permissions live in the separate policy, not in SAM's role.
    _, resources = basic
    role = resources["ChargeCardRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    assert "Policies" not in role


def test_bucket_settings(basic):
    _, resources = basic
    bucket = resources["HeavisideBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireExecutionBlobs"]["Prefix"] == contract.BLOBS_PREFIX
    assert rules["ExpireExecutionBlobs"]["ExpirationInDays"] == 30
    statement = resources["HeavisideBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_table_settings(basic):
    _, resources = basic
    table = resources["HeavisideTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": contract.TABLE_TTL_ATTRIBUTE, "Enabled": True}
    assert [key["AttributeName"] for key in table["KeySchema"]] == [contract.TABLE_PARTITION_KEY, contract.TABLE_SORT_KEY]


def test_delay_queue_settings(basic):
    _, resources = basic
    queue = resources["HeavisideDelayQueue"]["Properties"]
    invoker_timeout = resources["OrderFlow"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * invoker_timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["HeavisideDelayDeadLetterQueue", "Arn"]}


def test_outputs_name_invoker(basic):
    expanded, _ = basic
    outputs = expanded["Outputs"]
    assert outputs["OrderFlowInvokerName"]["Value"] == {"Ref": "OrderFlow"}
    assert outputs["OrderFlowInvokerArn"]["Value"] == {"Fn::GetAtt": ["OrderFlow", "Arn"]}
    assert outputs["InlineFlowInvokerArn"]["Value"] == {"Fn::GetAtt": ["InlineFlow", "Arn"]}
    assert outputs["OrderFlowArn"]["Value"] == {"Fn::GetAtt": ["OrderFlow", "Arn"]}  # the user's own output


def test_machine_references_resolve_to_invoker(basic):
    expanded, _ = basic
    variables = expanded["Resources"]["Caller"]["Properties"]["Environment"]["Variables"]
    assert variables["ORDER_FLOW"] == {"Ref": "OrderFlow"}
    assert variables["ORDER_FLOW_NAME"] == {"Ref": "OrderFlow"}  # was !GetAtt OrderFlow.Name


def test_published_definition_resolves_functions(basic):
    expanded, _ = basic
    definition = published_definition(expanded["Resources"]["OrderFlow"])
    assert definition["States"]["Validate"]["Resource"].endswith(":function:app-ValidateOrder")
    assert definition["States"]["Charge"]["Parameters"]["FunctionName"] == "app-ChargeCard"

    inline = published_definition(expanded["Resources"]["InlineFlow"], {"TaskTimeout": "30"})
    assert inline["States"]["Validate"]["TimeoutSeconds"] == 30
    assert inline["Comment"] == "A ${Name} without a substitution stays as written"


@pytest.mark.parametrize("path", TEST_TEMPLATES, ids=template_id)
def test_golden_output(path):
    """The macro's output for each template, compared with tests/golden; HEAVISIDE_UPDATE_GOLDEN=1 rewrites them."""
    expanded = expand_file(path)
    golden = GOLDEN / f"{path.parent.parent.name}-{path.parent.name}.json"
    if os.environ.get("HEAVISIDE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(expanded, indent=2) + "\n")
    assert golden.exists(), f"no golden file {golden}; run with HEAVISIDE_UPDATE_GOLDEN=1 and review it"
    assert expanded == json.loads(golden.read_text())


def test_machine_events_reach_invoker():
    resources = translate(expand_file(TEMPLATES / "plain-lambda" / "template.yaml"))["Resources"]

    mappings = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert {"Fn::GetAtt": ["Uploads", "Arn"]} in [mapping["EventSourceArn"] for mapping in mappings]
    schedule = resources["PipelineHourly"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": ["Pipeline", "Arn"]}
    assert resources["PipelineImageStored"]["Type"] == "AWS::Events::Rule"
    assert resources["ServerlessRestApi"]["Type"] == "AWS::ApiGateway::RestApi"
    assert resources["Pipeline"]["Properties"]["TracingConfig"] == {"Mode": "Active"}
    assert {"Key": "team", "Value": "media"} in resources["Pipeline"]["Properties"]["Tags"]
