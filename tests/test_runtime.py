"""Whole executions through the Lambda runtime: invoker, envelopes over HTTP, moto stores, the local endpoint."""

from __future__ import annotations

import json
import os
import time

import pytest

from heaviside.runtime.decorator import current
from heaviside.runtime.testing import LambdaTestBed, run_through_lambda
from tests.fixtures_aws import moto_server  # noqa: F401

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"


def echo(event, context):
    return event


def add(event, context):
    return {"sum": event["a"] + event["b"]}


def fail_twice(event, context):
    if current().retry_count < 2:
        raise ConnectionError(f"attempt {current().retry_count} failed")
    return {"attempts": current().retry_count + 1}


def record_call(event, context):
    with open(os.environ["RECORD_FILE"], "a") as file:
        file.write(json.dumps(event) + "\n")
    return event


def _task(name, **fields):
    return {"Type": "Task", "Resource": ARN + name, **fields}


def test_linear_chain(moto_server):
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"a": 1, "b": 2}, "ResultPath": "$.numbers", "Next": "Add"},
            "Add": _task("add", InputPath="$.numbers", ResultPath="$.result", Next="Echo"),
            "Echo": _task("echo", Parameters={"total.$": "$.result.sum", "id.$": "$.id"}, End=True),
        },
    }
    execution = run_through_lambda(
        definition, {"id": "x1"}, functions={"add": add, "echo": echo}, aws_endpoint=moto_server
    )

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"total": 3, "id": "x1"}


def test_parallel_and_map_with_max_concurrency(moto_server):
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Each",
                        "States": {
                            "Each": {
                                "Type": "Map",
                                "ItemsPath": "$.items",
                                "MaxConcurrency": 2,
                                "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": _task("echo", End=True)}},
                                "End": True,
                            }
                        },
                    },
                    {"StartAt": "Add", "States": {"Add": _task("add", InputPath="$.pair", End=True)}},
                    {"StartAt": "Constant", "States": {"Constant": {"Type": "Pass", "Result": "c", "End": True}}},
                ],
                "End": True,
            }
        },
    }
    execution = run_through_lambda(
        definition,
        {"items": [1, 2, 3, 4, 5], "pair": {"a": 2, "b": 3}},
        functions={"echo": echo, "add": add},
        aws_endpoint=moto_server,
    )

    assert execution.status == "SUCCEEDED"
    assert execution.output == [[1, 2, 3, 4, 5], {"sum": 5}, "c"]


def test_retry_until_success(moto_server):
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": _task(
                "flaky",
                Retry=[{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                End=True,
            )
        },
    }
    execution = run_through_lambda(
        definition, {}, functions={"flaky": fail_twice}, time_scale=0.01, aws_endpoint=moto_server
    )

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"attempts": 3}


def test_catch_handler_error(moto_server):
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": _task("flaky", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Recover"}], End=True),
            "Recover": {"Type": "Pass", "End": True},
        },
    }
    execution = run_through_lambda(definition, {}, functions={"flaky": fail_twice}, aws_endpoint=moto_server)

    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "ConnectionError"
    assert json.loads(execution.output["Cause"])["errorMessage"] == "attempt 0 failed"


def test_wait_through_delay_queue(moto_server):
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 2, "Next": "Echo"},
            "Echo": _task("echo", End=True),
        },
    }
    began = time.monotonic()
    with LambdaTestBed(
        {"echo": echo}, time_scale=0.5, aws_endpoint=moto_server, environment={"HEAVISIDE_SLEEP_THRESHOLD": "0"}
    ) as bed:
        execution = bed.wait(bed.start(definition, {"n": 1}), timeout=60)
        invoker_calls = bed.endpoint.stats["invocations:heaviside-invoker"]

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"n": 1}
    assert time.monotonic() - began >= 1.0
    assert invoker_calls >= 2


def test_lambda_invoke_integration(moto_server):
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"k.$": "$.k"}},
                "ResultSelector": {"payload.$": "$.Payload", "status.$": "$.StatusCode"},
                "End": True,
            }
        },
    }
    execution = run_through_lambda(definition, {"k": "v"}, functions={"echo": echo}, aws_endpoint=moto_server)

    assert execution.status == "SUCCEEDED"
    assert execution.output == {"payload": {"k": "v"}, "status": 200}


def test_missing_function(moto_server):
    definition = {"StartAt": "Call", "States": {"Call": _task("absent", End=True)}}
    execution = run_through_lambda(definition, {}, functions={"echo": echo}, aws_endpoint=moto_server)

    assert execution.status == "FAILED"
    assert execution.error == "Lambda.ResourceNotFoundException"


def test_invalid_definition_raises(moto_server):
    from heaviside.asl.errors import InvalidDefinition

    with pytest.raises(InvalidDefinition):
        run_through_lambda({"StartAt": "Nowhere", "States": {}}, {}, aws_endpoint=moto_server)


def test_start_by_name_is_idempotent_and_describe(moto_server, tmp_path):
    record_file = tmp_path / "calls.jsonl"
    definition = {"StartAt": "Record", "States": {"Record": _task("record", End=True)}}
    with LambdaTestBed(
        {"record": record_call}, aws_endpoint=moto_server, environment={"RECORD_FILE": str(record_file)}
    ) as bed:
        first = bed.start(definition, {"n": 1}, state_machine="Orders", name="order-1")
        second = bed.start(definition, {"n": 2}, state_machine="Orders", name="order-1")
        execution = bed.wait(first)
        description = bed.invoke({"executionArn": first})

    assert first == second == "arn:aws:states:us-east-1:111111111111:execution:Orders:order-1"
    assert execution.output == {"n": 1}
    assert record_file.read_text().splitlines() == ['{"n": 1}']
    assert description["status"] == "SUCCEEDED"
    assert description["output"] == {"n": 1}
    assert description["input"] == {"n": 1}
    assert description["stopDate"] >= description["startDate"]


class ValidationError(Exception):
    pass


class TransientError(Exception):
    pass


def validate_file(event, context):
    with open(os.environ["RECORD_FILE"], "a") as file:
        file.write("call\n")
    raise ValidationError("record 7 is malformed")


def flaky_transient(event, context):
    with open(os.environ["RECORD_FILE"], "a") as file:
        file.write("call\n")
    raise TransientError("try later")


def test_lambda_retrier_does_not_match_function_error(moto_server, tmp_path):
    # A retrier for Lambda service exceptions must not retry the function's own error,
    # and the catcher receives the error payload as JSON text.
    record_file = tmp_path / "calls.txt"
    validate = "arn:aws:lambda:us-east-1:123456789012:function:validate-file"
    definition = {
        "StartAt": "Validate",
        "States": {
            "Validate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": validate, "Payload.$": "$"},
                "Retry": [
                    {
                        "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException",
                                        "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 3,
                        "BackoffRate": 2,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Parse"}],
                "End": True,
            },
            "Parse": {
                "Type": "Pass",
                "Parameters": {"errorName.$": "$.error.Error", "details.$": "States.StringToJson($.error.Cause)"},
                "Next": "Report",
            },
            "Report": {
                "Type": "Pass",
                "Parameters": {
                    "errorName.$": "$.errorName",
                    "errorType.$": "$.details.errorType",
                    "errorMessage.$": "$.details.errorMessage",
                },
                "End": True,
            },
        },
    }
    execution = run_through_lambda(
        definition,
        {"file": "data.csv"},
        functions={validate: validate_file},
        time_scale=0.01,
        aws_endpoint=moto_server,
        environment={"RECORD_FILE": str(record_file)},
    )

    assert execution.status == "SUCCEEDED"
    assert execution.output == {
        "errorName": "ValidationError",
        "errorType": "ValidationError",
        "errorMessage": "record 7 is malformed",
    }
    assert record_file.read_text().splitlines() == ["call"]


def test_max_attempts_zero_invokes_once(moto_server, tmp_path):
    record_file = tmp_path / "calls.txt"
    flaky = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": flaky,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 0}],
                "End": True,
            }
        },
    }
    execution = run_through_lambda(
        definition,
        {},
        functions={flaky: flaky_transient},
        time_scale=0.01,
        aws_endpoint=moto_server,
        environment={"RECORD_FILE": str(record_file)},
    )

    assert execution.status == "FAILED"
    assert execution.error == "TransientError"
    cause = json.loads(execution.cause)
    assert (cause["errorType"], cause["errorMessage"]) == ("TransientError", "try later")
    assert record_file.read_text().splitlines() == ["call"]


def add_state_name(event, context):
    return {"event": event, "state": current().state_name}


def test_client_context_hop_over_http(moto_server):
    import uuid
    from datetime import datetime, timezone

    import boto3

    from heaviside.asl.load import load_definition
    from heaviside.engine import ExecutionInfo, compile_program, start
    from heaviside.runtime.envelope import HeavisideContext, context_to_client_context
    from heaviside.runtime.stores.aws import S3DefinitionStore
    from heaviside.runtime.stores.base import ExecutionRecord

    definition = {
        "StartAt": "First",
        "States": {
            "First": _task("first", Parameters={"n.$": "$.n"}, ResultPath="$.first", Next="Second"),
            "Second": _task("second", OutputPath="$.first", End=True),
        },
    }
    text = json.dumps(definition)
    with LambdaTestBed({"first": add_state_name, "second": echo}, aws_endpoint=moto_server) as bed:
        digest = S3DefinitionStore(bed.resources["bucket"], client=bed.session.client).put_definition(text)
        execution_id = f"arn:aws:states:us-east-1:111111111111:execution:Manual:{uuid.uuid4()}"
        start_ms = int(time.time() * 1000)
        bed.executions.create_execution(
            ExecutionRecord(execution_id, execution_id.rsplit(":", 1)[1], "Manual", digest, input={"n": 4},
                            start_time=start_ms)
        )
        info = ExecutionInfo(
            id=execution_id,
            name=execution_id.rsplit(":", 1)[1],
            input={"n": 4},
            start_time=datetime.fromtimestamp(start_ms / 1000, timezone.utc),
            role_arn="",
            state_machine_id="arn:aws:states:us-east-1:111111111111:stateMachine:Manual",
            state_machine_name="Manual",
        )
        (dispatch,) = start(compile_program(load_definition(text)), info, info.start_time)
        heaviside_context = HeavisideContext(
            execution_id=execution_id,
            definition_digest=digest,
            cursor=dispatch.cursor.to_json(),
            start_time=start_ms,
            execution_input={"n": 4},
        )
        lambda_client = boto3.client(
            "lambda",
            endpoint_url=bed.endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        response = lambda_client.invoke(
            FunctionName="first",
            ClientContext=context_to_client_context(heaviside_context),
            Payload=json.dumps(dispatch.payload),
        )
        result = json.loads(response["Payload"].read())
        execution = bed.wait(execution_id, timeout=60)

    assert result == {"event": {"n": 4}, "state": "First"}
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"event": {"n": 4}, "state": "First"}
