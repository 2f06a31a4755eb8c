"""Render the resource model as CloudFormation and SAM resources.

Two targets differ only in where code comes from. `MacroCode` is what the
deployed macro emits: the runtime layer by ARN and the invoker's entry point
as InlineCode (the macro runs after `sam package`, so no local path would be
uploaded). `LocalCode` is what `heaviside expand` emits: the layer and the
invoker's entry point as local folders that `sam build` packages.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sam_macro import contract
from sam_macro.entry_points import LOCAL_ENTRY_POINT, inline_entry_point, substitutions_json
from sam_macro.errors import MacroError, TemplateProblem
from sam_macro.model import (
    BUCKET_ID,
    BUCKET_POLICY_ID,
    DELAY_DEAD_LETTER_QUEUE_ID,
    DELAY_QUEUE_ID,
    LAYER_ID,
    SERVERLESS_FUNCTION,
    TABLE_ID,
    Machine,
    TaskFunction,
    TemplateModel,
)
from sam_macro.policies import invoker_statements, policy, task_statements

DELAY_EVENT_NAME = "HeavisideDelays"
LAYER_DIR = "runtime-layer"
SHARED_IDS = (BUCKET_ID, BUCKET_POLICY_ID, TABLE_ID, DELAY_QUEUE_ID, DELAY_DEAD_LETTER_QUEUE_ID, LAYER_ID)

# The invoker starts executions, resumes them after delays and handles the
# failure records of task functions. A synchronous start may wait for the
# result, hence the long timeout.
INVOKER_TIMEOUT_SECONDS = 300
INVOKER_MEMORY_MB = 512
# AWS recommends a visibility timeout of at least six times the consumer's timeout.
DELAY_QUEUE_VISIBILITY_TIMEOUT = 6 * INVOKER_TIMEOUT_SECONDS
DELAY_QUEUE_MAX_RECEIVE_COUNT = 5
# 14 days, SQS's maximum retention.
QUEUE_RETENTION_SECONDS = 1_209_600
DEFAULT_BLOB_RETENTION_DAYS = 90

@dataclass(frozen=True)
class MacroCode:
    """Code for the deployed macro: the runtime layer's ARN and inline entry points."""

    layer_arn: str
    runtime: str
    architecture: str


@dataclass(frozen=True)
class LocalCode:
    """Code for `heaviside expand`: folders under `support_dir`, relative to the output template."""

    support_dir: str
    runtime: str
    architecture: str
    requirements: tuple[str, ...] = ()


@dataclass
class Rendering:
    """The expanded template, and for `LocalCode` the generated files (relative path to text)."""

    template: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)


def render_template(template: dict[str, Any], model: TemplateModel, code: MacroCode | LocalCode) -> Rendering:
    """Replace each Heaviside::StateMachine by its invoker and wire up the task functions."""
    result = copy.deepcopy(template)
    resources = result["Resources"]
    rendering = Rendering(result)
    if not model.machines:
        return rendering

    reserved_ids = [logical_id for logical_id in SHARED_IDS if logical_id in resources]
    if reserved_ids:
        raise MacroError(
            [
                TemplateProblem(logical_id, "", "this logical id is reserved for a resource heaviside creates; rename it")
                for logical_id in reserved_ids
            ]
        )

    layer: Any = code.layer_arn if isinstance(code, MacroCode) else {"Ref": LAYER_ID}
    blob_retention_days = _blob_retention_days(model)
    resources.update(_shared_resources(blob_retention_days))
    if isinstance(code, LocalCode):
        resources[LAYER_ID] = _local_layer(code)
        rendering.files[f"{LAYER_DIR}/requirements.txt"] = "".join(f"{line}\n" for line in code.requirements)

    outputs = result.setdefault("Outputs", {})
    for machine in model.machines.values():
        resources[machine.logical_id] = _invoker(machine, model, code, layer, rendering)
        resources[f"{machine.logical_id}HeavisidePolicy"] = policy(
            machine.logical_id, machine.role, invoker_statements(model)
        )
        outputs.update(_outputs(machine))

    for function in model.functions.values():
        _wire_task_function(resources, function, layer)
        resources[f"{function.logical_id}HeavisidePolicy"] = policy(
            function.logical_id, function.role, task_statements(function, model)
        )

    _rewrite_name_references(result, set(model.machines))
    return rendering


def _shared_resources(blob_retention_days: int) -> dict[str, Any]:
    bucket_arn = {"Fn::GetAtt": [BUCKET_ID, "Arn"]}
    return {
        BUCKET_ID: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ExpireExecutionBlobs",
                            "Status": "Enabled",
                            "Prefix": contract.BLOBS_PREFIX,
                            "ExpirationInDays": blob_retention_days,
                        },
                        {
                            "Id": "AbortIncompleteUploads",
                            "Status": "Enabled",
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                    ]
                },
            },
        },
        BUCKET_POLICY_ID: {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": BUCKET_ID},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [bucket_arn, {"Fn::Sub": f"${{{BUCKET_ID}.Arn}}/*"}],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
        TABLE_ID: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": contract.TABLE_PARTITION_KEY, "AttributeType": "S"},
                    {"AttributeName": contract.TABLE_SORT_KEY, "AttributeType": "S"},
                ],
                "KeySchema": [
                    {"AttributeName": contract.TABLE_PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": contract.TABLE_SORT_KEY, "KeyType": "RANGE"},
                ],
                "TimeToLiveSpecification": {"AttributeName": contract.TABLE_TTL_ATTRIBUTE, "Enabled": True},
            },
        },
        DELAY_QUEUE_ID: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": DELAY_QUEUE_VISIBILITY_TIMEOUT,
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [DELAY_DEAD_LETTER_QUEUE_ID, "Arn"]},
                    "maxReceiveCount": DELAY_QUEUE_MAX_RECEIVE_COUNT,
                },
            },
        },
        DELAY_DEAD_LETTER_QUEUE_ID: {
            "Type": "AWS::SQS::Queue",
            "Properties": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS},
        },
    }


def _local_layer(code: LocalCode) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {
            "Description": "heaviside runtime, built by sam build from a copy of the heaviside package",
            "ContentUri": f"{code.support_dir}/{LAYER_DIR}",
            "CompatibleRuntimes": list(contract.LAYER_RUNTIMES),
            "CompatibleArchitectures": [code.architecture],
            "RetentionPolicy": "Delete",
        },
        "Metadata": {"BuildMethod": code.runtime},
    }


def _invoker(
    machine: Machine, model: TemplateModel, code: MacroCode | LocalCode, layer: Any, rendering: Rendering
) -> dict[str, Any]:
    environment = _shared_environment()
    environment[contract.STATE_MACHINE] = machine.name if machine.name is not None else machine.logical_id
    environment.update(machine.environment)
    environment.update(machine.invoker_environment)

    properties: dict[str, Any] = {
        "Description": f"heaviside invoker of the state machine {machine.logical_id}",
        "Runtime": code.runtime,
        "Architectures": [code.architecture],
        "Handler": contract.INVOKER_ENTRY_POINT,
        "Timeout": INVOKER_TIMEOUT_SECONDS,
        "MemorySize": INVOKER_MEMORY_MB,
        "Layers": [layer],
        "RecursiveLoop": "Allow",
    }
    if machine.name is not None:
        properties["FunctionName"] = machine.name

    if isinstance(code, MacroCode):
        properties["InlineCode"] = inline_entry_point(machine)
    else:
        folder = f"{code.support_dir}/{machine.logical_id}"
        properties["CodeUri"] = folder
        rendering.files[f"{machine.logical_id}/index.py"] = LOCAL_ENTRY_POINT.format(machine=machine.logical_id)
        rendering.files[f"{machine.logical_id}/definition.json"] = machine.definition.text() + "\n"
        environment[contract.DEFINITION_SUBSTITUTIONS] = substitutions_json(machine)

    properties["Environment"] = {"Variables": environment}
    properties.update(machine.function_properties)

    events = copy.deepcopy(machine.events)
    if machine.logical_id == model.delay_queue_consumer:
        events[DELAY_EVENT_NAME] = {
            "Type": "SQS",
            "Properties": {
                "Queue": {"Fn::GetAtt": [DELAY_QUEUE_ID, "Arn"]},
                "BatchSize": 10,
                "FunctionResponseTypes": list(contract.DELAY_QUEUE_RESPONSE_TYPES),
            },
        }
    if events:
        properties["Events"] = events

    invoker = {"Type": SERVERLESS_FUNCTION, "Properties": properties}
    invoker.update(copy.deepcopy(machine.attributes))
    return invoker


def _shared_environment() -> dict[str, Any]:
    return {
        contract.BUCKET: {"Ref": BUCKET_ID},
        contract.TABLE: {"Ref": TABLE_ID},
        contract.DELAY_QUEUE_URL: {"Ref": DELAY_QUEUE_ID},
        contract.ACCOUNT: {"Ref": "AWS::AccountId"},
    }


def _outputs(machine: Machine) -> dict[str, Any]:
    outputs = {
        f"{machine.logical_id}InvokerName": {
            "Description": f"Name of the invoker function of the state machine {machine.logical_id}",
            "Value": {"Ref": machine.logical_id},
        },
        f"{machine.logical_id}InvokerArn": {
            "Description": f"ARN of the invoker function of the state machine {machine.logical_id}",
            "Value": {"Fn::GetAtt": [machine.logical_id, "Arn"]},
        },
    }
    return outputs


def _wire_task_function(resources: dict[str, Any], function: TaskFunction, layer: Any) -> None:
    """Add the layer, environment, recursion setting and asynchronous invoke configuration.

    Nothing here refers to the invoker: the invoker's published definition
    refers to the task functions, so a reference back (an environment
    variable, or SAM's EventInvokeConfig, which adds the destination to the
    function's role) would be a circular dependency. The invoke configuration
    is a separate resource created after the heaviside policy that allows
    the destination.
    """
    resource = resources[function.logical_id]
    properties = resource.setdefault("Properties", {})

    layers = properties.setdefault("Layers", [])
    if layer not in layers:
        layers.append(layer)

    variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
    heaviside_variables = _shared_environment()
    heaviside_variables.update(function.environment)
    for name, value in heaviside_variables.items():
        variables.setdefault(name, value)  # a value the user set explicitly wins

    properties["RecursiveLoop"] = "Allow"
    resources[f"{function.logical_id}HeavisideEventInvokeConfig"] = {
        "Type": "AWS::Lambda::EventInvokeConfig",
        # Lambda checks that the role may invoke the destination.
        "DependsOn": [f"{function.logical_id}HeavisidePolicy"],
        "Properties": {
            "FunctionName": {"Ref": function.logical_id},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 0,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [function.invoker, "Arn"]}}},
        },
    }


def _blob_retention_days(model: TemplateModel) -> int:
    days = [
        int(machine.environment[contract.EXECUTION_TTL_DAYS])
        for machine in model.machines.values()
        if isinstance(machine.environment.get(contract.EXECUTION_TTL_DAYS), str)
    ]
    return max(days, default=DEFAULT_BLOB_RETENTION_DAYS)


def _rewrite_name_references(value: Any, machines: set[str]) -> Any:
    """Point ``!GetAtt Machine.Name`` (a state machine attribute) at the invoker's name, in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::GetAtt" and _is_name_attribute(item, machines):
                name = item.split(".", 1)[0] if isinstance(item, str) else item[0]
                value.pop(key)
                value["Ref"] = name
                return value
            if key == "Fn::Sub":
                value[key] = _rewrite_sub(item, machines)
            else:
                _rewrite_name_references(item, machines)
    elif isinstance(value, list):
        for item in value:
            _rewrite_name_references(item, machines)
    return value


def _is_name_attribute(getatt: Any, machines: set[str]) -> bool:
    parts = getatt.split(".", 1) if isinstance(getatt, str) else getatt
    return isinstance(parts, list) and len(parts) == 2 and parts[0] in machines and parts[1] == "Name"


def _rewrite_sub(sub: Any, machines: set[str]) -> Any:
    def rewrite(text: str) -> str:
        for machine in machines:
            text = text.replace(f"${{{machine}.Name}}", f"${{{machine}}}")
        return text

    if isinstance(sub, str):
        return rewrite(sub)
    if isinstance(sub, list) and sub and isinstance(sub[0], str):
        return [rewrite(sub[0]), *[_rewrite_name_references(item, machines) for item in sub[1:]]]
    return sub
