"""The IAM policies heaviside attaches to the roles of invokers and task functions."""

from __future__ import annotations

from typing import Any

from sam_macro import contract
from sam_macro.model import BUCKET_ID, DELAY_QUEUE_ID, TABLE_ID, TaskFunction, TemplateModel

DYNAMODB_ACTIONS = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]


def policy(owner: str, role: Any, statements: list[dict[str, Any]]) -> dict[str, Any]:
    """Build an IAM policy resource that attaches `statements` to `role` after the functions exist.

    The policy is a separate resource, not part of the function's Policies,
    because task functions invoke each other. With the permissions inside each
    function's role, two functions that invoke each other would each depend on
    the other's ARN, a circular dependency that CloudFormation rejects.
    """
    return {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": f"heaviside-{owner}",
            "Roles": [role],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def task_statements(function: TaskFunction, model: TemplateModel) -> list[dict[str, Any]]:
    machines = [model.machines[machine_id] for machine_id in function.machines]
    targets: list[Any] = []
    for machine in machines:
        for function_id in machine.function_ids:
            _add_unique(targets, _function_arns(function_id))
        for arn in machine.foreign_arns:
            _add_unique(targets, _foreign_arns(arn))
        # The invoker is also the function's OnFailure destination.
        _add_unique(targets, [{"Fn::GetAtt": [machine.logical_id, "Arn"]}])
    return [_invoke_statement(targets), *_store_statements()]


def invoker_statements(model: TemplateModel) -> list[dict[str, Any]]:
    # Any invoker may resume any execution of the template (one of them
    # consumes the delay queue), so each may invoke every task function.
    targets: list[Any] = []
    for machine in model.machines.values():
        for function_id in machine.function_ids:
            _add_unique(targets, _function_arns(function_id))
        for arn in machine.foreign_arns:
            _add_unique(targets, _foreign_arns(arn))
    statements = _store_statements()
    if targets:
        statements.insert(0, _invoke_statement(targets))
    return statements


def _invoke_statement(targets: list[Any]) -> dict[str, Any]:
    return {"Sid": "InvokeTaskFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": targets}


def _store_statements() -> list[dict[str, Any]]:
    bucket = BUCKET_ID
    return [
        {
            "Sid": "ReadWriteDefinitionsAndBlobs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [
                {"Fn::Sub": f"${{{bucket}.Arn}}/{contract.DEFINITIONS_PREFIX}*"},
                {"Fn::Sub": f"${{{bucket}.Arn}}/{contract.BLOBS_PREFIX}*"},
            ],
        },
        {
            # Without ListBucket, S3 returns 403 instead of 404 for a missing
            # key, so the runtime could not tell that a definition is not stored yet.
            "Sid": "ListBucket",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": [bucket, "Arn"]},
        },
        {
            "Sid": "ExecutionsAndJoins",
            "Effect": "Allow",
            "Action": list(DYNAMODB_ACTIONS),
            "Resource": {"Fn::GetAtt": [TABLE_ID, "Arn"]},
        },
        {
            "Sid": "ScheduleDelays",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [DELAY_QUEUE_ID, "Arn"]},
        },
    ]


def _function_arns(function_id: str) -> list[Any]:
    # The unqualified ARN, and the same with any version or alias qualifier.
    return [{"Fn::GetAtt": [function_id, "Arn"]}, {"Fn::Sub": f"${{{function_id}.Arn}}:*"}]


def _foreign_arns(arn: Any) -> list[Any]:
    if isinstance(arn, str):
        return [arn, f"{arn}:*"]
    if isinstance(arn, dict) and isinstance(arn.get("Fn::Sub"), str):
        return [arn, {"Fn::Sub": arn["Fn::Sub"] + ":*"}]
    return [arn, {"Fn::Join": ["", [arn, ":*"]]}]


def _add_unique(items: list[Any], new: list[Any]) -> None:
    for item in new:
        if item not in items:
            items.append(item)
