"""The local Lambda endpoint, exercised through boto3's lambda client over HTTP."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from heaviside.local.lambda_endpoint import FunctionConfig, LambdaEndpoint
from heaviside.runtime import faults
from tests.fixtures_aws import DUMMY_ENVIRONMENT

_calls = 0


def echo(event, context):
    return event


def fail(event, context):
    raise ValueError(f"bad value {event.get('value')}")


def describe_context(event, context):
    client_context = context.client_context
    return {
        "custom": client_context.custom if client_context else None,
        "env": client_context.env if client_context else None,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
    }


def count_calls(event, context):
    global _calls
    _calls += 1
    return {"calls": _calls, "pid": os.getpid()}


def sleep(event, context):
    time.sleep(event["seconds"])
    return "done"


def exit_process(event, context):
    os._exit(3)


def record(event, context):
    """Append the event to the file named by RECORD_FILE, then raise when the event has "fail" set."""
    with open(os.environ["RECORD_FILE"], "a") as file:
        file.write(json.dumps(event) + "\n")
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("failing on purpose")
    return event


def return_then_checkpoint(event, context):
    faults.checkpoint(faults.AFTER_HANDLER)
    return event


@pytest.fixture
def lambda_client_for():
    def build(endpoint: LambdaEndpoint):
        return boto3.client(
            "lambda",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id=DUMMY_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    return build


@pytest.fixture
def endpoint(tmp_path):
    functions = {
        "echo": echo,
        "fail": fail,
        "describe": describe_context,
        "counter": count_calls,
        "sleep": FunctionConfig(sleep, timeout=0.5),
        "exit": exit_process,
        "checkpoint": FunctionConfig(return_then_checkpoint, kill_after_handler=1.0),
    }
    with LambdaEndpoint(functions) as running:
        yield running


def _records(path: Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_request_response_returns_result(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="echo", Payload=json.dumps({"a": [1, 2]}))

    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"a": [1, 2]}


def test_function_arn_reaches_function(endpoint, lambda_client_for):
    arn = "arn:aws:lambda:us-east-1:000000000000:function:echo"
    response = lambda_client_for(endpoint).invoke(FunctionName=arn, Payload=b'"x"')

    assert json.loads(response["Payload"].read()) == "x"


def test_function_error_has_python_payload(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="fail", Payload=json.dumps({"value": 7}))

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad value 7"
    assert payload["requestId"]
    assert any("raise ValueError" in line for line in payload["stackTrace"])


def test_unknown_function_is_not_found(endpoint, lambda_client_for):
    client = lambda_client_for(endpoint)

    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.invoke(FunctionName="missing", Payload=b"{}")
    assert "missing" in str(raised.value)


def test_invalid_json_payload_is_rejected(endpoint, lambda_client_for):
    client = lambda_client_for(endpoint)

    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="echo", Payload=b"{not json")


def test_client_context_reaches_handler(endpoint, lambda_client_for):
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}, "env": {"e": "1"}}).encode()).decode()
    response = lambda_client_for(endpoint).invoke(FunctionName="describe", ClientContext=client_context, Payload=b"{}")

    seen = json.loads(response["Payload"].read())
    assert seen["custom"] == {"k": "v"}
    assert seen["env"] == {"e": "1"}
    assert seen["function_name"] == "describe"
    assert seen["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:describe"
    assert 0 < seen["remaining"] <= 60_000


def test_no_client_context_is_none(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="describe", Payload=b"{}")

    assert json.loads(response["Payload"].read())["custom"] is None


def test_worker_stays_warm(endpoint, lambda_client_for):
    client = lambda_client_for(endpoint)
    first = json.loads(client.invoke(FunctionName="counter", Payload=b"{}")["Payload"].read())
    second = json.loads(client.invoke(FunctionName="counter", Payload=b"{}")["Payload"].read())

    assert second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1


def test_timeout_kills_worker(endpoint, lambda_client_for):
    client = lambda_client_for(endpoint)
    response = client.invoke(FunctionName="sleep", Payload=json.dumps({"seconds": 5}))

    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 0.50 seconds" in payload["errorMessage"]
    after = client.invoke(FunctionName="sleep", Payload=json.dumps({"seconds": 0}))
    assert json.loads(after["Payload"].read()) == "done"


def test_process_exit_is_runtime_exit_error(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="exit", Payload=b"{}")

    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in payload["errorMessage"]


def test_kill_after_handler_fault(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="checkpoint", Payload=b"{}")

    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.ExitError"


def test_dry_run_answers_204(endpoint, lambda_client_for):
    response = lambda_client_for(endpoint).invoke(FunctionName="echo", InvocationType="DryRun", Payload=b"{}")

    assert response["StatusCode"] == 204


def test_event_answers_202_and_runs(tmp_path, lambda_client_for):
    path = tmp_path / "calls.jsonl"
    config = FunctionConfig(record, environment={"RECORD_FILE": str(path)})
    with LambdaEndpoint({"record": config}) as endpoint:
        response = lambda_client_for(endpoint).invoke(
            FunctionName="record", InvocationType="Event", Payload=json.dumps({"n": 1})
        )
        assert response["StatusCode"] == 202
        assert endpoint.wait_idle(10)

    assert _records(path) == [{"n": 1}]


def test_event_retries_then_on_failure_record(tmp_path, lambda_client_for):
    calls = tmp_path / "calls.jsonl"
    failures = tmp_path / "failures.jsonl"
    functions = {
        "task": FunctionConfig(record, environment={"RECORD_FILE": str(calls)}, maximum_retry_attempts=2,
                               on_failure="invoker"),
        "invoker": FunctionConfig(record, environment={"RECORD_FILE": str(failures)}),
    }
    with LambdaEndpoint(functions, retry_delay_scale=0.001) as endpoint:
        lambda_client_for(endpoint).invoke(
            FunctionName="task", InvocationType="Event", Payload=json.dumps({"fail": True, "n": 2})
        )
        assert endpoint.wait_idle(10)

    assert len(_records(calls)) == 3
    (destination,) = _records(failures)
    assert destination["version"] == "1.0"
    assert destination["requestContext"]["condition"] == "RetriesExhausted"
    assert destination["requestContext"]["approximateInvokeCount"] == 3
    assert destination["requestContext"]["functionArn"].endswith(":function:task:$LATEST")
    assert destination["requestPayload"] == {"fail": True, "n": 2}
    assert destination["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert destination["responsePayload"]["errorType"] == "RuntimeError"
    assert destination["responsePayload"]["errorMessage"] == "failing on purpose"


def test_event_without_retries_goes_to_destination_once(tmp_path, lambda_client_for):
    calls = tmp_path / "calls.jsonl"
    failures = tmp_path / "failures.jsonl"
    functions = {
        "task": FunctionConfig(record, environment={"RECORD_FILE": str(calls)}, maximum_retry_attempts=0,
                               on_failure="invoker"),
        "invoker": FunctionConfig(record, environment={"RECORD_FILE": str(failures)}),
    }
    with LambdaEndpoint(functions) as endpoint:
        lambda_client_for(endpoint).invoke(FunctionName="task", InvocationType="Event", Payload=b'{"fail": true}')
        assert endpoint.wait_idle(10)

    assert len(_records(calls)) == 1
    assert len(_records(failures)) == 1


def test_duplicate_delivery_on_demand(tmp_path, lambda_client_for):
    path = tmp_path / "calls.jsonl"
    config = FunctionConfig(record, environment={"RECORD_FILE": str(path)})
    with LambdaEndpoint({"record": config}, duplicate_events=1.0) as endpoint:
        lambda_client_for(endpoint).invoke(FunctionName="record", InvocationType="Event", Payload=b'{"n": 3}')
        assert endpoint.wait_idle(10)
        assert endpoint.stats["duplicates"] == 1

    assert _records(path) == [{"n": 3}, {"n": 3}]


def test_throttle_returns_429(lambda_client_for):
    with LambdaEndpoint({"echo": echo}, throttle_rate=1.0) as endpoint:
        client = lambda_client_for(endpoint)
        with pytest.raises(client.exceptions.TooManyRequestsException):
            client.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")


def test_destination_outside_map_is_rejected():
    with pytest.raises(ValueError, match="not in the map"):
        LambdaEndpoint({"task": FunctionConfig(echo, on_failure="elsewhere")})


def test_non_loopback_host_is_rejected():
    with pytest.raises(ValueError, match="loopback"):
        LambdaEndpoint({"echo": echo}, host="0.0.0.0")


def test_import_path_handler(tmp_path, lambda_client_for, monkeypatch):
    module = tmp_path / "handlers_for_endpoint_test.py"
    module.write_text("def handle(event, context):\n    return {'got': event}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with LambdaEndpoint({"fn": "handlers_for_endpoint_test.handle"}) as endpoint:
        response = lambda_client_for(endpoint).invoke(FunctionName="fn", Payload=b"[1]")

    assert json.loads(response["Payload"].read()) == {"got": [1]}
