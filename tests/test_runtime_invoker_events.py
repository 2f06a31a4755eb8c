"""Events of a machine's `Events` (EventBridge, schedules, API Gateway, SQS) sent to the real invoker handler.

The invoker runs in this process with its bucket, table and delay queue on a
moto server on 127.0.0.1. The sample events have the shape the services send.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from heaviside.runtime import clients, invoker
from heaviside.runtime.config import RuntimeConfig
from heaviside.runtime.driver import reset_container_driver
from sam_macro import contract
from tests.fixtures_aws import aws_env, aws_resources, moto_server, patched_environment  # noqa: F401

ACCOUNT = "123456789012"
MACHINE = "orders"

# A machine without Task states, so that a start runs the execution to its end.
DEFINITION = {
    "StartAt": "Receive",
    "States": {"Receive": {"Type": "Pass", "Parameters": {"received.$": "$"}, "End": True}},
}

WAIT_DEFINITION = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Receive"},
        "Receive": {"Type": "Pass", "Parameters": {"received.$": "$"}, "End": True},
    },
}


class LambdaContext:
    aws_request_id = "c0ffee00-0000-4000-8000-000000000001"
    function_name = "orders-invoker"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-invoker"

    def get_remaining_time_in_millis(self):
        return 600_000


def _environment(resources, definition) -> dict[str, str]:
    # The names the macro sets on an invoker.
    return {
        contract.BUCKET: resources.bucket,
        contract.TABLE: resources.table,
        contract.DELAY_QUEUE_URL: resources.queue_url,
        contract.STATE_MACHINE: MACHINE,
        contract.DEFINITION: json.dumps(definition),
        contract.SLEEP_THRESHOLD: "0",
    }


@pytest.fixture
def deployed(aws_resources):  # noqa: F811
    """The invoker of the machine `orders`, as the macro deploys it."""
    with patched_environment(_environment(aws_resources, DEFINITION)):
        reset_container_driver()
        yield aws_resources
    reset_container_driver()


@pytest.fixture
def deployed_with_wait(aws_resources):  # noqa: F811
    with patched_environment(_environment(aws_resources, WAIT_DEFINITION)):
        reset_container_driver()
        yield aws_resources
    reset_container_driver()


def invoke(event):
    """Send `event` through JSON, as Lambda does, to the invoker's entry point."""
    return invoker.handler(json.loads(json.dumps(event)), LambdaContext())


def describe(execution_arn):
    return invoke({"executionArn": execution_arn})


def execution_arn(name):
    return f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{MACHINE}:{name}"


# Sample events, shaped as the services send them.


def scheduled_event():
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-12-04T22:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders-Nightly-1A2B3C"],
        "detail": {},
    }


def scheduler_event():
    # EventBridge Scheduler's default notification, sent when the schedule has no Input.
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": "2026-12-04T22:05:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/orders-Hourly"],
        "detail": "{}",
    }


def rule_event():
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Order Placed",
        "source": "com.example.shop",
        "account": ACCOUNT,
        "time": "2026-12-04T22:10:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"orderId": "ORD-1001", "total": 42.5},
    }


def rest_api_event(body, *, base64_encoded=False):
    return {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": "/orders",
            "httpMethod": "POST",
            "requestId": str(uuid.uuid4()),
            "accountId": ACCOUNT,
            "stage": "Prod",
            "apiId": "abc123",
            "identity": {"sourceIp": "198.51.100.7"},
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def http_api_event(body, *, base64_encoded=False):
    event = {
        "version": "2.0",
        "routeKey": "POST /orders",
        "rawPath": "/orders",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "xyz789.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "xyz789",
            "domainName": "xyz789.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "POST", "path": "/orders", "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /orders",
            "stage": "$default",
            "time": "04/Dec/2026:22:15:00 +0000",
            "timeEpoch": 1796422500000,
        },
        "isBase64Encoded": base64_encoded,
    }
    if body is not None:
        event["body"] = body
    return event


def sqs_record(body, queue_name, message_id=None):
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1796422500000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1796422500001",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_name}",
        "awsRegion": "us-east-1",
    }


# EventBridge and schedules


@pytest.mark.parametrize("make_event", [scheduled_event, scheduler_event, rule_event])
def test_eventbridge_event_starts_execution(deployed, make_event):
    event = make_event()

    response = invoke(event)

    assert response["executionArn"] == execution_arn(event["id"])
    description = describe(response["executionArn"])
    assert description["status"] == "SUCCEEDED"
    assert description["stateMachine"] == MACHINE
    assert description["input"] == event
    assert description["output"] == {"received": event}


def test_eventbridge_redelivery_starts_once(deployed):
    event = rule_event()

    first = invoke(event)
    second = invoke(event)

    assert second["executionArn"] == first["executionArn"]
    assert second["startDate"] == first["startDate"]


# Start requests without stateMachine


def test_start_request_without_machine(deployed):
    response = invoke({"input": {"orderId": "ORD-7"}, "name": "order-7"})

    assert response["executionArn"] == execution_arn("order-7")
    assert describe(response["executionArn"])["output"] == {"received": {"orderId": "ORD-7"}}


def test_start_request_waits(deployed):
    response = invoke({"input": [1, 2], "waitSeconds": 5})

    assert response["status"] == "SUCCEEDED"
    assert response["output"] == {"received": [1, 2]}


def test_null_state_machine_still_starts(deployed):
    response = invoke({"stateMachine": None, "input": {"n": 1}, "name": "null-machine"})

    assert response["executionArn"] == execution_arn("null-machine")


def test_named_state_machine_still_starts(deployed):
    response = invoke({"stateMachine": MACHINE, "input": {"n": 2}, "name": "named-machine"})

    assert describe(response["executionArn"])["input"] == {"n": 2}


def test_inline_definition_still_starts(deployed):
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}

    response = invoke({"definition": definition, "input": {"n": 3}, "waitSeconds": 5})

    assert response["status"] == "SUCCEEDED"
    assert response["output"] == {"n": 3}


def test_input_with_unknown_key_rejected(deployed):
    with pytest.raises(invoker.InvalidStartRequest, match="does not recognise"):
        invoke({"input": {}, "wait_seconds": 5})


def test_start_without_deployed_machine(aws_resources):  # noqa: F811
    environment = _environment(aws_resources, DEFINITION)
    environment[contract.DEFINITION] = ""
    environment[contract.STATE_MACHINE] = ""
    with patched_environment(environment):
        reset_container_driver()
        try:
            with pytest.raises(invoker.InvalidStartRequest, match="no deployed state machine"):
                invoke({"input": {}})
        finally:
            reset_container_driver()


# API Gateway


def _response_body(response):
    assert response["headers"]["Content-Type"] == "application/json"
    return json.loads(response["body"])


@pytest.mark.parametrize("make_event", [rest_api_event, http_api_event])
def test_api_request_starts_execution(deployed, make_event):
    response = invoke(make_event('{"orderId": "ORD-1001", "items": 3}'))

    assert response["statusCode"] == 200
    body = _response_body(response)
    assert body["executionArn"].startswith(execution_arn(""))
    assert isinstance(body["startDate"], int)
    assert describe(body["executionArn"])["input"] == {"orderId": "ORD-1001", "items": 3}


@pytest.mark.parametrize("make_event", [rest_api_event, http_api_event])
def test_api_base64_body(deployed, make_event):
    encoded = base64.b64encode(json.dumps({"note": "caf\u00e9"}).encode("utf-8")).decode("ascii")

    response = invoke(make_event(encoded, base64_encoded=True))

    assert response["statusCode"] == 200
    assert describe(_response_body(response)["executionArn"])["input"] == {"note": "caf\u00e9"}


def test_api_missing_body_is_empty_object(deployed):
    response = invoke(http_api_event(None))

    assert response["statusCode"] == 200
    assert describe(_response_body(response)["executionArn"])["input"] == {}


@pytest.mark.parametrize(
    ("make_event", "body", "base64_encoded", "message"),
    [
        (rest_api_event, "orderId=ORD-1", False, "not valid JSON"),
        (http_api_event, '{"orderId": ', False, "not valid JSON"),
        (rest_api_event, "not base64!", True, "not valid base64"),
        (http_api_event, base64.b64encode(b"\xff\xfe").decode("ascii"), True, "not UTF-8"),
    ],
)
def test_api_bad_body_rejected(deployed, make_event, body, base64_encoded, message):
    response = invoke(make_event(body, base64_encoded=base64_encoded))

    assert response["statusCode"] == 400
    assert message in _response_body(response)["message"]


# SQS


def test_sqs_record_per_execution(deployed):
    records = [
        sqs_record('{"orderId": "ORD-1"}', "incoming-orders"),
        sqs_record('{"orderId": "ORD-2"}', "incoming-orders"),
        sqs_record("plain text", "incoming-orders"),
    ]

    response = invoke({"Records": records})

    assert response == {"batchItemFailures": []}
    inputs = [describe(execution_arn(record["messageId"]))["input"] for record in records]
    assert inputs == [{"orderId": "ORD-1"}, {"orderId": "ORD-2"}, "plain text"]


def test_sqs_redelivery_starts_once(deployed):
    record = sqs_record('{"orderId": "ORD-3"}', "incoming-orders")
    invoke({"Records": [record]})
    first = describe(execution_arn(record["messageId"]))

    assert invoke({"Records": [record]}) == {"batchItemFailures": []}
    assert describe(execution_arn(record["messageId"]))["startDate"] == first["startDate"]


def test_sqs_failures_reported(deployed):
    records = [sqs_record('{"orderId": "ORD-4"}', "incoming-orders"), sqs_record("{}", "incoming-orders")]
    s3 = clients.client("s3")
    # Without its bucket the invoker cannot store the definition, so every start fails.
    for item in s3.list_objects_v2(Bucket=deployed.bucket).get("Contents", []):
        s3.delete_object(Bucket=deployed.bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=deployed.bucket)

    response = invoke({"Records": records})

    assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in records]}


def _receive_delay(queue_url):
    sqs = clients.client("sqs")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if messages:
            return messages[0]
    raise AssertionError(f"no delay message arrived on {queue_url}")


def test_delay_records_resume(deployed_with_wait):
    delay_queue = deployed_with_wait.queue_url.rsplit("/", 1)[-1]
    started = invoke({"input": {"orderId": "ORD-5"}, "name": "waiting"})
    assert describe(started["executionArn"])["status"] == "RUNNING"
    message = _receive_delay(deployed_with_wait.queue_url)
    time.sleep(1.1)
    delay = sqs_record(message["Body"], delay_queue, message_id=message["MessageId"])
    broken_delay = sqs_record('{"not": "an envelope"}', delay_queue)
    order = sqs_record('{"orderId": "ORD-6"}', "incoming-orders")

    response = invoke({"Records": [delay, broken_delay, order]})

    assert response == {"batchItemFailures": [{"itemIdentifier": broken_delay["messageId"]}]}
    resumed = describe(started["executionArn"])
    assert resumed["status"] == "SUCCEEDED"
    assert resumed["output"] == {"received": {"orderId": "ORD-5"}}
    assert describe(execution_arn(order["messageId"]))["status"] == "RUNNING"


def test_contract_names_runtime_settings():
    config = RuntimeConfig.from_environment(
        {contract.HOP_DEDUPLICATION: "false", contract.EXECUTION_INPUT_INLINE_LIMIT: "1024"}
    )

    assert config.hop_deduplication is False
    assert config.execution_input_inline_limit == 1024
