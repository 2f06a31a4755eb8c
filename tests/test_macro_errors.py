"""Templates the macro rejects: each message names the resource, the property and the fix."""

from __future__ import annotations

import copy
import dataclasses
import sys

import pytest

from sam_macro import MacroError, expand_template
from sam_macro.sources import S3DefinitionSource
from tests.macro_support import MACRO_CODE

DEFINITION = {
    "StartAt": "Work",
    "States": {"Work": {"Type": "Task", "Resource": {"Fn::GetAtt": ["Worker", "Arn"]}, "End": True}},
}
WORKER = {
    "Type": "AWS::Serverless::Function",
    "Properties": {"Runtime": "python3.11", "Handler": "app.handler", "CodeUri": "s3://bucket/worker.zip"},
}


def template(machine_properties: dict | None = None, **extra_resources) -> dict:
    properties = {"Definition": copy.deepcopy(DEFINITION)}
    properties.update(machine_properties or {})
    resources = {"Worker": copy.deepcopy(WORKER), "Flow": {"Type": "Heaviside::StateMachine", "Properties": properties}}
    resources.update(extra_resources)
    return {"Resources": resources}


def problems(source_template: dict) -> list[str]:
    with pytest.raises(MacroError) as raised:
        expand_template(source_template, code=MACRO_CODE, source=S3DefinitionSource())
    return [str(problem) for problem in raised.value.problems]


def only_problem(source_template: dict) -> str:
    found = problems(source_template)
    assert len(found) == 1, found
    return found[0]


def test_unknown_property():
    message = only_problem(template({"RoleArn": "arn:aws:iam::123456789012:role/x"}))
    assert message.startswith("resource Flow, property RoleArn: unknown property of Heaviside::StateMachine")
    assert "DefinitionSubstitutions" in message


def test_definition_and_uri_both_set():
    message = only_problem(template({"DefinitionUri": "s3://bucket/flow.json"}))
    assert message.startswith("resource Flow, property Definition: set exactly one of Definition")


def test_definition_missing():
    source_template = template()
    del source_template["Resources"]["Flow"]["Properties"]["Definition"]
    assert "set exactly one of Definition" in only_problem(source_template)


def test_local_definition_uri_in_macro():
    source_template = template({"DefinitionUri": "statemachine/flow.asl.json"})
    del source_template["Resources"]["Flow"]["Properties"]["Definition"]
    message = only_problem(source_template)
    assert message.startswith("resource Flow, property DefinitionUri: 'statemachine/flow.asl.json' is a local path")
    assert "heaviside expand" in message
    assert "s3://" in message


def test_unreadable_s3_definition():
    def missing(bucket, key, version):
        raise OSError("NoSuchKey")

    source_template = template({"DefinitionUri": "s3://bucket/flow.json"})
    del source_template["Resources"]["Flow"]["Properties"]["Definition"]
    with pytest.raises(MacroError) as raised:
        expand_template(source_template, code=MACRO_CODE, source=S3DefinitionSource(get_object=missing))
    assert str(raised.value) == "resource Flow, property DefinitionUri: cannot read s3://bucket/flow.json: NoSuchKey"


def test_invalid_definition_reports_validator_problems():
    source_template = template()
    source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]["Next"] = "Nowhere"
    found = problems(source_template)
    assert any(
        message.startswith("resource Flow, property Definition: $.States.Work") and "Nowhere" in message
        for message in found
    ), found


def test_task_invokes_non_function():
    queue = {"Type": "AWS::SQS::Queue"}
    source_template = template(Queue=queue)
    state = source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["Resource"] = {"Fn::GetAtt": ["Queue", "Arn"]}
    message = only_problem(source_template)
    assert message.startswith("resource Flow, property Definition $.States.Work: Queue is a AWS::SQS::Queue")
    assert "AWS::Serverless::Function" in message


def test_task_invokes_missing_resource():
    source_template = template()
    state = source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["Resource"] = {"Fn::GetAtt": ["Missing", "Arn"]}
    assert only_problem(source_template) == (
        "resource Flow, property Definition $.States.Work: there is no resource Missing in the template"
    )


def test_unsupported_service_integration():
    source_template = template()
    state = source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["Resource"] = "arn:aws:states:::dynamodb:putItem"
    state["Parameters"] = {"TableName": "t", "Item": {}}
    message = only_problem(source_template)
    assert "the service integration arn:aws:states:::dynamodb:putItem is not supported" in message
    assert "arn:aws:states:::lambda:invoke" in message


def test_function_name_chosen_at_run_time():
    source_template = template()
    state = source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["Resource"] = "arn:aws:states:::lambda:invoke"
    state["Parameters"] = {"FunctionName.$": "$.function", "Payload.$": "$"}
    message = only_problem(source_template)
    assert message.startswith("resource Flow, property Definition $.States.Work: FunctionName is chosen at run time")


def test_activity_resource():
    source_template = template()
    state = source_template["Resources"]["Flow"]["Properties"]["Definition"]["States"]["Work"]
    state["Resource"] = "arn:aws:states:us-east-1:123456789012:activity:approve"
    message = only_problem(source_template)
    assert "is not the ARN of a Lambda function" in message


def test_task_function_with_foreign_role():
    source_template = template()
    source_template["Resources"]["Worker"]["Properties"]["Role"] = "arn:aws:iam::123456789012:role/shared"
    message = only_problem(source_template)
    assert message.startswith("resource Worker, property Role: heaviside must add permissions")
    assert "remove Role" in message


def test_task_function_with_event_invoke_config():
    source_template = template()
    source_template["Resources"]["Worker"]["Properties"]["EventInvokeConfig"] = {"MaximumRetryAttempts": 2}
    message = only_problem(source_template)
    assert message.startswith("resource Worker, property EventInvokeConfig:")
    assert "remove EventInvokeConfig" in message


def test_globals_event_invoke_config():
    source_template = template()
    source_template["Globals"] = {"Function": {"EventInvokeConfig": {"MaximumRetryAttempts": 1}}}
    assert only_problem(source_template).startswith("resource Globals, property Function.EventInvokeConfig:")


def test_task_function_with_loop_detection():
    source_template = template()
    source_template["Resources"]["Worker"]["Properties"]["RecursiveLoop"] = "Terminate"
    assert only_problem(source_template).startswith("resource Worker, property RecursiveLoop:")


def test_separate_event_invoke_config_resource():
    config = {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {"FunctionName": {"Ref": "Worker"}, "Qualifier": "$LATEST", "MaximumRetryAttempts": 1},
    }
    message = only_problem(template(WorkerConfig=config))
    assert message.startswith("resource WorkerConfig, property FunctionName:")


def test_conflicting_settings_on_shared_function():
    source_template = template({"LogLevel": "DEBUG"})
    source_template["Resources"]["Other"] = {
        "Type": "Heaviside::StateMachine",
        "Properties": {"Definition": copy.deepcopy(DEFINITION), "LogLevel": "ERROR"},
    }
    message = only_problem(source_template)
    assert message.startswith("resource Worker: the machines Flow, Other all invoke this function")
    assert "HEAVISIDE_LOG_LEVEL" in message


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("LogLevel", "LOUD", "use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("EnvelopeBudgetBytes", 2_000_000, "use a whole number of bytes from 1024 to 1048576"),
        ("ExecutionTtlDays", 0, "use a whole number of days, at least 1"),
        ("ExecutionRecords", "yes", "use true or false"),
        ("SleepThresholdSeconds", -1, "use a number of seconds, 0 or more"),
        ("Type", "FAST", "use one of STANDARD, EXPRESS"),
    ],
)
def test_invalid_setting(name, value, expected):
    message = only_problem(template({name: value}))
    assert message == f"resource Flow, property {name}: {value!r} is invalid; {expected}"


def test_jsonata_machine_on_old_python():
    source_template = template()
    source_template["Globals"] = {"Function": {"Runtime": "python3.11"}}
    del source_template["Resources"]["Worker"]["Properties"]["Runtime"]
    source_template["Resources"]["Flow"]["Properties"]["Definition"]["QueryLanguage"] = "JSONata"
    message = only_problem(source_template)
    assert message.startswith("resource Worker, property Runtime: python3.11 cannot load heaviside's JSONata engine")
    assert "use python3.12 or newer" in message


def test_jsonpath_machine_on_old_python_accepted():
    source_template = template()
    source_template["Resources"]["Worker"]["Properties"]["Runtime"] = "python3.11"
    expand_template(source_template, code=MACRO_CODE, source=S3DefinitionSource())


def jsonata_template() -> dict:
    source_template = template()
    source_template["Resources"]["Worker"]["Properties"]["Runtime"] = "python3.12"
    definition = source_template["Resources"]["Flow"]["Properties"]["Definition"]
    definition["QueryLanguage"] = "JSONata"
    definition["States"]["Work"]["Output"] = "{% $states.result.total %}"
    return source_template


def test_jsonata_machine_with_python311_invokers():
    code = dataclasses.replace(MACRO_CODE, runtime="python3.11")
    with pytest.raises(MacroError) as raised:
        expand_template(jsonata_template(), code=code, source=S3DefinitionSource())
    messages = [str(problem) for problem in raised.value.problems]
    assert len(messages) == 1, messages
    assert messages[0].startswith(
        "resource Flow, property Definition: the state machine uses JSONata, but its invoker and the "
        "runtime layer are built for python3.11"
    )
    assert "deploy the macro stack with PythonRuntime=python3.12 or newer" in messages[0]
    assert "--runtime python3.12" in messages[0]


def test_jsonpath_machine_with_python311_invokers():
    code = dataclasses.replace(MACRO_CODE, runtime="python3.11")
    expanded = expand_template(template(), code=code, source=S3DefinitionSource()).template
    assert expanded["Resources"]["Flow"]["Properties"]["Runtime"] == "python3.11"


def test_jsonata_machine_without_engine(monkeypatch):
    """A macro whose runtime layer was built for python3.11 but runs on python3.12 (build and deploy disagree)."""
    monkeypatch.setitem(sys.modules, "jlens", None)  # makes `import jlens` raise ImportError
    message = only_problem(jsonata_template())
    assert message.startswith(
        "resource Flow, property Definition: the state machine uses JSONata, but heaviside's JSONata engine "
        "(jlens) failed to import where the template is expanded:"
    )
    assert "run sam build and sam deploy of the macro stack with the same PythonRuntime" in message


def test_jsonata_machine_with_engine_accepted():
    expanded = expand_template(jsonata_template(), code=MACRO_CODE, source=S3DefinitionSource()).template
    assert expanded["Resources"]["Flow"]["Properties"]["Runtime"] == "python3.12"


def test_name_not_a_function_name():
    message = only_problem(template({"Name": "orders/v2"}))
    assert message.startswith("resource Flow, property Name: 'orders/v2' is invalid;")
    assert "1 to 64 letters, digits, hyphens and underscores" in message


def test_condition_rejected():
    source_template = template()
    source_template["Resources"]["Flow"]["Condition"] = "IsProd"
    assert only_problem(source_template).startswith("resource Flow, property Condition: a Heaviside::StateMachine cannot")


def test_setting_from_parameter_accepted():
    source_template = template({"LogLevel": {"Ref": "Level"}})
    source_template["Parameters"] = {"Level": {"Type": "String", "Default": "INFO"}}
    expanded = expand_template(source_template, code=MACRO_CODE, source=S3DefinitionSource()).template
    variables = expanded["Resources"]["Flow"]["Properties"]["Environment"]["Variables"]
    assert variables["HEAVISIDE_LOG_LEVEL"] == {"Ref": "Level"}


def test_substitution_name_collides_with_generated():
    message = only_problem(template({"DefinitionSubstitutions": {"definition_substitution_1": "x"}}))
    assert message.startswith("resource Flow, property DefinitionSubstitutions.definition_substitution_1:")
    assert "choose another name" in message


def test_substitution_name_invalid():
    message = only_problem(template({"DefinitionSubstitutions": {"my name": "x"}}))
    assert message == (
        "resource Flow, property DefinitionSubstitutions.my name: invalid name; use letters, digits and underscores"
    )


def test_substitution_value_breaks_json():
    source_template = template({"DefinitionSubstitutions": {"Note": 'say "hi"'}})
    source_template["Resources"]["Flow"]["Properties"]["Definition"]["Comment"] = "${Note}"
    message = only_problem(source_template)
    assert message == (
        "resource Flow, property Definition: the definition is not valid JSON once DefinitionSubstitutions "
        "are applied; check their values"
    )


def test_reserved_logical_id():
    with pytest.raises(MacroError) as raised:
        expand_template(template(HeavisideBucket={"Type": "AWS::S3::Bucket"}), code=MACRO_CODE, source=None)
    assert str(raised.value).startswith("resource HeavisideBucket: this logical id is reserved")


def test_every_problem_reported_at_once():
    source_template = template({"LogLevel": "LOUD", "Colour": "blue"})
    source_template["Resources"]["Worker"]["Properties"]["Role"] = "arn:aws:iam::123456789012:role/shared"
    found = problems(source_template)
    assert len(found) == 2, found  # the machine's two problems; the function is checked once the machine is valid
    assert any("property Colour" in message for message in found)
    assert any("property LogLevel" in message for message in found)
