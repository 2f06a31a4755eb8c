"""`heaviside start` and `heaviside describe` against a real invoker.

The invoker and a decorated task function run on the local Lambda endpoint,
with their bucket and table on a moto server, both on 127.0.0.1.
"""

from __future__ import annotations

import json

import pytest

from heaviside.cli import main as heaviside
from heaviside.local.lambda_endpoint import FunctionConfig, LambdaEndpoint
from heaviside.runtime import invoker
from heaviside.runtime.decorator import task
from tests.fixtures_aws import aws_env, aws_resources, moto_server  # noqa: F401

DEFINITION = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:greeter", "End": True},
    },
}


@task
def greet(event, context):
    if event.get("name") == "nobody":
        raise LookupError("nobody is not a name")
    return {"greeting": f"hello {event['name']}"}


@pytest.fixture
def endpoint(aws_resources):  # noqa: F811
    environment = {
        "HEAVISIDE_BUCKET": aws_resources.bucket,
        "HEAVISIDE_TABLE": aws_resources.table,
        "HEAVISIDE_DELAY_QUEUE_URL": aws_resources.queue_url,
        "HEAVISIDE_INVOKER": "greetings-invoker",
        "HEAVISIDE_STATE_MACHINE": "greetings",
        "HEAVISIDE_DEFINITION": json.dumps(DEFINITION),
    }
    functions = {
        "greetings-invoker": FunctionConfig(handler=invoker.handler, environment=dict(environment)),
        "greeter": FunctionConfig(
            handler=greet, environment=dict(environment), maximum_retry_attempts=0, on_failure="greetings-invoker"
        ),
    }
    server = LambdaEndpoint(functions, account="111111111111")
    # The server's port is bound on construction; workers fork on start and
    # must send the task dispatches to this endpoint.
    for config in functions.values():
        config.environment["AWS_ENDPOINT_URL_LAMBDA"] = server.url
    with server:
        yield server


def test_start_waits_for_outcome(endpoint, capsys):
    status = heaviside(
        ["start", "--function-name", "greetings-invoker", "--endpoint-url", endpoint.url,
         "--input", '{"name": "Ada"}', "--name", "greet-ada", "--wait", "30"]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    description = json.loads(captured.out)

    assert description["status"] == "SUCCEEDED"
    assert description["output"] == {"greeting": "hello Ada"}
    assert description["executionArn"].endswith(":execution:greetings:greet-ada")


def test_start_then_describe(endpoint, capsys):
    heaviside(["start", "--function-name", "greetings-invoker", "--endpoint-url", endpoint.url,
               "--input", '{"name": "nobody"}'])
    started = json.loads(capsys.readouterr().out)
    assert set(started) == {"executionArn", "startDate"}
    endpoint.wait_idle()

    status = heaviside(["describe", started["executionArn"], "--function-name", "greetings-invoker",
                        "--endpoint-url", endpoint.url])
    description = json.loads(capsys.readouterr().out)

    assert status == 1
    assert description["status"] == "FAILED"
    assert description["error"] == "LookupError"
    assert json.loads(description["cause"])["errorMessage"] == "nobody is not a name"


def test_describe_unknown_execution(endpoint, capsys):
    arn = "arn:aws:states:us-east-1:111111111111:execution:greetings:never-started"

    status = heaviside(["describe", arn, "--function-name", "greetings-invoker", "--endpoint-url", endpoint.url])

    assert status == 2
    assert "greetings-invoker raised" in capsys.readouterr().err
