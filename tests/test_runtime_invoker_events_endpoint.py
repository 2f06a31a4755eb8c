"""Events of a machine's `Events` sent over the Lambda Invoke API to an invoker whose machine has a Task.

The invoker and a decorated task function run on the local Lambda endpoint,
with their bucket, table and delay queue on a moto server, all on 127.0.0.1.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from heaviside.local.lambda_endpoint import FunctionConfig, LambdaEndpoint
from heaviside.runtime import invoker
from heaviside.runtime.decorator import task
from sam_macro import contract
from tests.fixtures_aws import aws_env, aws_resources, moto_server  # noqa: F401
from tests.test_runtime_invoker_events import http_api_event, rule_event, sqs_record

ACCOUNT = "111111111111"
DEFINITION = {
    "StartAt": "Total",
    "States": {
        "Total": {"Type": "Task", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:totaller", "End": True},
    },
}


@task
def total(event, context):
    items = event["detail"]["items"] if "detail" in event else event["items"]
    return {"total": sum(item["price"] for item in items)}


@pytest.fixture
def endpoint(aws_resources):  # noqa: F811
    environment = {
        contract.BUCKET: aws_resources.bucket,
        contract.TABLE: aws_resources.table,
        contract.DELAY_QUEUE_URL: aws_resources.queue_url,
        contract.STATE_MACHINE: "totals",
        contract.DEFINITION: json.dumps(DEFINITION),
    }
    functions = {
        "totals-invoker": FunctionConfig(handler=invoker.handler, environment=dict(environment)),
        "totaller": FunctionConfig(
            handler=total, environment=dict(environment), maximum_retry_attempts=0, on_failure="totals-invoker"
        ),
    }
    server = LambdaEndpoint(functions, account=ACCOUNT)
    # Workers fork on start, so they must already know where to send the task dispatches.
    for config in functions.values():
        config.environment["AWS_ENDPOINT_URL_LAMBDA"] = server.url
    with server:
        yield server


def invoke(endpoint, payload):
    client = boto3.client("lambda", endpoint_url=endpoint.url, region_name="us-east-1")
    response = client.invoke(FunctionName="totals-invoker", Payload=json.dumps(payload).encode("utf-8"))
    assert "FunctionError" not in response
    return json.loads(response["Payload"].read())


def describe(endpoint, execution_arn):
    return invoke(endpoint, {"executionArn": execution_arn})


def test_api_request_runs_task(endpoint):
    request = http_api_event(json.dumps({"items": [{"price": 2}, {"price": 3}]}))

    response = invoke(endpoint, request)
    endpoint.wait_idle()

    assert response["statusCode"] == 200
    description = describe(endpoint, json.loads(response["body"])["executionArn"])
    assert description["status"] == "SUCCEEDED"
    assert description["output"] == {"total": 5}


def test_rule_event_runs_task(endpoint):
    event = rule_event()
    event["detail"] = {"items": [{"price": 7}]}

    response = invoke(endpoint, event)
    endpoint.wait_idle()

    assert response["executionArn"].endswith(f":execution:totals:{event['id']}")
    assert describe(endpoint, response["executionArn"])["output"] == {"total": 7}


def test_sqs_batch_runs_tasks(endpoint):
    records = [
        sqs_record(json.dumps({"items": [{"price": 1}]}), "incoming"),
        sqs_record(json.dumps({"items": [{"price": 1}, {"price": 10}]}), "incoming"),
        sqs_record(json.dumps({"items": "not a list"}), "incoming"),
    ]

    response = invoke(endpoint, {"Records": records})
    endpoint.wait_idle()

    assert response == {"batchItemFailures": []}
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:totals:"
    descriptions = [describe(endpoint, arn + record["messageId"]) for record in records]
    assert [description["status"] for description in descriptions] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert descriptions[1]["output"] == {"total": 11}
    assert descriptions[2]["error"] == "TypeError"


def test_start_request_over_http(endpoint):
    name = f"order-{uuid.uuid4().hex[:8]}"

    response = invoke(endpoint, {"input": {"items": [{"price": 4}]}, "name": name, "waitSeconds": 20})

    assert response["executionArn"].endswith(f":execution:totals:{name}")
    assert response["status"] == "SUCCEEDED"
    assert response["output"] == {"total": 4}
