"""The task decorator, the driver and the invoker in one process, with local stores and a recording dispatcher."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

import heaviside
from heaviside.local.stores import DirectoryBlobStore, DirectoryDefinitionStore, SQLiteStore
from heaviside.runtime import driver as driver_module
from heaviside.runtime import envelope as envelopes
from heaviside.runtime import invoker
from heaviside.runtime.config import RuntimeConfig
from heaviside.runtime.decorator import current, task
from heaviside.runtime.dispatcher import FunctionNotFoundError
from heaviside.runtime.driver import Driver
from heaviside.runtime.stores.base import Stores

ARN = "arn:aws:lambda:us-east-1:111111111111:function:"


class RecordingDispatcher:
    """Keeps every dispatched envelope instead of invoking Lambda."""

    def __init__(self, missing=()):
        self.sent: list[tuple[str, dict]] = []
        self.missing = set(missing)

    def invoke_event(self, function, payload, *, execution_id, state):
        if function in self.missing:
            raise FunctionNotFoundError(function)
        self.sent.append((function, json.loads(json.dumps(payload))))


class RecordingDelays:
    def __init__(self):
        self.sent: list[tuple[dict, float]] = []

    def send(self, envelope, delay_seconds, *, execution_id, state):
        self.sent.append((json.loads(json.dumps(envelope)), delay_seconds))


class FakeLambdaContext:
    def __init__(self, request_id="req-1", client_context=None, remaining_ms=600_000):
        self.aws_request_id = request_id
        self.function_name = "fn"
        self.invoked_function_arn = ARN + "fn"
        self.client_context = client_context
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self._remaining_ms


@pytest.fixture
def driver(tmp_path, monkeypatch):
    database = SQLiteStore(tmp_path / "db.sqlite")
    stores = Stores(
        definitions=DirectoryDefinitionStore(tmp_path),
        blobs=DirectoryBlobStore(tmp_path),
        executions=database,
        joins=database,
        hops=database,
    )
    config = RuntimeConfig(sleep_threshold_seconds=1.0, account="111111111111")
    instance = Driver(config, stores, dispatcher=RecordingDispatcher(), delays=RecordingDelays(), sleep=lambda s: None)
    monkeypatch.setattr(driver_module, "_driver", instance)
    return instance


def _start(driver, definition, execution_input, name="run-1"):
    context = FakeLambdaContext()
    context.invoked_function_arn = ARN + "invoker"
    return invoker.start_execution(
        driver, {"definition": definition, "input": execution_input, "name": name, "stateMachine": "Machine"}, context
    )


TWO_TASKS = {
    "StartAt": "First",
    "States": {
        "First": {
            "Type": "Task",
            "Resource": ARN + "first",
            "InputPath": "$.order",
            "Parameters": {"id.$": "$.id", "fixed": 1},
            "ResultPath": "$.first",
            "Next": "Second",
        },
        "Second": {"Type": "Task", "Resource": ARN + "second", "OutputPath": "$.first", "End": True},
    },
}


def test_handler_without_envelope_runs_unchanged():
    calls = []

    @task
    def handler(event, context):
        calls.append((event, context, current()))
        return {"seen": event}

    context = object()
    assert handler({"plain": True}, context) == {"seen": {"plain": True}}
    assert calls == [({"plain": True}, context, None)]


def test_decorator_with_parentheses_and_package_export():
    @heaviside.task()
    def handler(event, context):
        return event

    assert handler(5, None) == 5
    assert heaviside.current is current


def test_start_dispatches_first_task_with_effective_input(driver):
    response = _start(driver, TWO_TASKS, {"order": {"id": 7, "extra": True}})

    assert response["executionArn"] == "arn:aws:states:us-east-1:111111111111:execution:Machine:run-1"
    ((function, envelope),) = driver.dispatcher.sent
    assert function == ARN + "first"
    assert envelope["input"] == {"id": 7, "fixed": 1}
    assert envelope["x"] == response["executionArn"]


def test_hop_passes_effective_input_and_context_unchanged(driver):
    _start(driver, TWO_TASKS, {"order": {"id": 7}})
    (_, envelope) = driver.dispatcher.sent[0]
    seen = {}

    @task
    def first(event, context):
        seen["event"] = event
        seen["context"] = context
        seen["current"] = current()
        return {"done": event["id"]}

    lambda_context = FakeLambdaContext()
    assert first(envelope, lambda_context) == {"done": 7}
    assert seen["event"] == {"id": 7, "fixed": 1}
    assert seen["context"] is lambda_context
    assert seen["current"].state_name == "First"
    assert seen["current"].retry_count == 0
    assert seen["current"].execution_name == "run-1"
    (_, second) = driver.dispatcher.sent[1]
    assert second["input"] == {"order": {"id": 7}, "first": {"done": 7}}


def test_last_hop_records_the_output(driver):
    response = _start(driver, TWO_TASKS, {"order": {"id": 7}})
    first = task(lambda event, context: {"done": event["id"]})
    second = task(lambda event, context: event)

    first(driver.dispatcher.sent[0][1], FakeLambdaContext())
    second(driver.dispatcher.sent[1][1], FakeLambdaContext())

    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "SUCCEEDED"
    assert description["output"] == {"done": 7}
    assert description["stopDate"] >= description["startDate"]


def test_repeated_delivery_runs_once(driver):
    _start(driver, TWO_TASKS, {"order": {"id": 1}})
    envelope = driver.dispatcher.sent[0][1]
    calls = []
    first = task(lambda event, context: calls.append(event) or "ok")

    first(envelope, FakeLambdaContext())
    assert first(envelope, FakeLambdaContext()) is None
    assert len(calls) == 1
    assert len(driver.dispatcher.sent) == 2


def test_client_context_route_on_synchronous_invoke(driver):
    _start(driver, TWO_TASKS, {"order": {"id": 3}})
    envelope = driver.dispatcher.sent[0][1]
    heaviside_context, effective_input = envelopes.decode(envelope)
    header = json.loads(base64.b64decode(envelopes.context_to_client_context(heaviside_context)))
    client_context = SimpleNamespace(custom=header["custom"], env=None, client=None)
    seen = []

    @task
    def first(event, context):
        seen.append(event)
        return "result"

    assert first(effective_input, FakeLambdaContext(client_context=client_context)) == "result"
    assert seen == [{"id": 3, "fixed": 1}]
    assert driver.dispatcher.sent[1][1]["input"]["first"] == "result"


def test_client_context_route_reraises_handler_error(driver):
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ARN + "t", "End": True}}}
    _start(driver, definition, {})
    heaviside_context, effective_input = envelopes.decode(driver.dispatcher.sent[0][1])
    header = json.loads(base64.b64decode(envelopes.context_to_client_context(heaviside_context)))
    lambda_context = FakeLambdaContext(client_context=SimpleNamespace(custom=header["custom"]))

    @task
    def failing(event, context):
        raise KeyError("nope")

    with pytest.raises(KeyError):
        failing(effective_input, lambda_context)
    description = invoker.describe_execution(driver, heaviside_context.execution_id)
    assert description["status"] == "FAILED"
    assert description["error"] == "KeyError"


def test_handler_error_is_caught_with_lambda_payload(driver):
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": ARN + "t",
                "Catch": [{"ErrorEquals": ["ValueError"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    response = _start(driver, definition, {})

    @task
    def failing(event, context):
        raise ValueError("bad input")

    assert failing(driver.dispatcher.sent[0][1], FakeLambdaContext(request_id="r-9")) is None
    output = invoker.describe_execution(driver, response["executionArn"])["output"]
    assert output["Error"] == "ValueError"
    cause = json.loads(output["Cause"])
    assert cause["errorMessage"] == "bad input"
    assert cause["errorType"] == "ValueError"
    assert cause["requestId"] == "r-9"
    assert any("raise ValueError" in line for line in cause["stackTrace"])


def test_task_timeout_is_states_timeout(driver):
    definition = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": ARN + "t", "TimeoutSeconds": 1, "End": True}},
    }
    response = _start(driver, definition, {})
    driver.config = RuntimeConfig(time_scale=0.05)
    envelope = driver.dispatcher.sent[0][1]
    assert envelope["to"] == 1

    import threading

    release = threading.Event()

    @task
    def slow(event, context):
        release.wait(5)
        return "late"

    try:
        slow(envelope, FakeLambdaContext())
    finally:
        release.set()
    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "States.Timeout"


def test_missing_function_fails_like_lambda(driver):
    driver.dispatcher.missing.add(ARN + "gone")
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ARN + "gone", "End": True}}}
    response = _start(driver, definition, {})

    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "Lambda.ResourceNotFoundException"


def test_start_by_same_name_returns_first_execution(driver):
    first = _start(driver, TWO_TASKS, {"order": {"id": 1}}, name="same")
    second = _start(driver, TWO_TASKS, {"order": {"id": 2}}, name="same")

    assert second["executionArn"] == first["executionArn"]
    assert second["startDate"] == first["startDate"]
    assert len(driver.dispatcher.sent) == 1


def test_start_with_wait_returns_description(driver):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
    context = FakeLambdaContext()
    response = invoker.handler({"definition": definition, "input": {}, "waitSeconds": 5}, context)

    assert response["status"] == "SUCCEEDED"
    assert response["output"] == {"ok": 1}


def test_start_rejects_invalid_name(driver):
    with pytest.raises(invoker.InvalidStartRequest, match="execution name"):
        _start(driver, TWO_TASKS, {}, name="a/b")


def test_start_of_unknown_machine_explains(driver):
    with pytest.raises(invoker.InvalidStartRequest, match="not known to this invoker"):
        invoker.start_execution(driver, {"stateMachine": "Other", "input": {}})


def test_start_of_configured_machine(driver):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    driver.config = RuntimeConfig(state_machine="Orders", definition=json.dumps(definition))

    response = invoker.start_execution(driver, {"stateMachine": "Orders", "input": {"n": 1}, "name": "x"})
    assert response["executionArn"].endswith(":execution:Orders:x")
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == {"n": 1}


def test_unrecognised_event_explains():
    with pytest.raises(invoker.InvalidStartRequest, match="does not recognise"):
        invoker.handler({"hello": 1})


def _destination_record(envelope, response_payload, condition="RetriesExhausted"):
    return {
        "version": "1.0",
        "timestamp": "2026-12-04T12:00:00.000Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": ARN + "t:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 1,
        },
        "requestPayload": envelope,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": response_payload,
    }


RETRIED = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": ARN + "t",
            "Retry": [{"ErrorEquals": ["Runtime.ExitError"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "End": True,
        }
    },
}


def test_destination_record_applies_retry(driver):
    _start(driver, RETRIED, {"n": 1})
    envelope = driver.dispatcher.sent[0][1]
    crash = {"errorType": "Runtime.ExitError", "errorMessage": "RequestId: r-1 Error: Runtime exited with error"}

    assert invoker.handler(_destination_record(envelope, crash), FakeLambdaContext()) == {"handled": True}
    (_, retried) = driver.dispatcher.sent[1]
    assert retried["input"] == {"n": 1}
    assert retried["c"]["r"] == [1]
    assert retried["h"] != envelope["h"]


def test_destination_record_handled_once(driver):
    _start(driver, RETRIED, {"n": 1})
    envelope = driver.dispatcher.sent[0][1]
    record = _destination_record(envelope, {"errorType": "Runtime.ExitError", "errorMessage": "x"})

    invoker.handler(record, FakeLambdaContext())
    assert invoker.handler(record, FakeLambdaContext())["handled"] is False
    assert len(driver.dispatcher.sent) == 2


def test_destination_record_without_error_type_fails_task(driver):
    response = _start(driver, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ARN + "t", "End": True}}}, {})
    envelope = driver.dispatcher.sent[0][1]

    invoker.handler(_destination_record(envelope, {"errorMessage": "Task timed out"}), FakeLambdaContext())
    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "Lambda.Unknown"


def test_success_and_foreign_records_are_ignored(driver):
    assert invoker.handler(_destination_record({"$heaviside": 1}, None, condition="Success"))["handled"] is False
    assert invoker.handler(_destination_record({"plain": 1}, {"errorType": "X"}))["handled"] is False


WAITING = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "done", "End": True},
    },
}


def test_long_wait_goes_to_delay_queue_and_resumes(driver):
    response = _start(driver, WAITING, {})
    ((envelope, delay),) = driver.delays.sent
    assert delay == pytest.approx(30, abs=1)
    assert envelope["u"] > envelope["s"]

    envelope["u"] = envelope["s"]
    result = invoker.handler({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": json.dumps(envelope)}]})
    assert result == {"batchItemFailures": []}
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == "done"


def test_delay_not_due_is_queued_again(driver):
    _start(driver, WAITING, {})
    envelope = driver.delays.sent[0][0]

    invoker.handler({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": json.dumps(envelope)}]})
    assert len(driver.delays.sent) == 2
    assert driver.delays.sent[1][1] == pytest.approx(30, abs=1)


def test_broken_delay_record_is_reported(driver):
    result = invoker.handler({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "{}"}]})

    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_short_wait_sleeps_in_place(driver):
    slept = []
    driver.sleep = slept.append
    definition = dict(WAITING, States=dict(WAITING["States"], Wait={"Type": "Wait", "Seconds": 1, "Next": "Done"}))
    response = _start(driver, definition, {})

    assert driver.delays.sent == []
    assert slept and slept[0] == pytest.approx(1, abs=0.1)
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == "done"


PARALLEL = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": ARN + "a", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": ARN + "b", "End": True}}},
            ],
            "End": True,
        }
    },
}


def test_join_resumes_parent_once_in_branch_order(driver):
    response = _start(driver, PARALLEL, {"v": 1})
    (_, a), (_, b) = driver.dispatcher.sent
    handler = task(lambda event, context: current().state_name)

    handler(b, FakeLambdaContext())
    assert invoker.describe_execution(driver, response["executionArn"])["status"] == "RUNNING"
    handler(a, FakeLambdaContext())
    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "SUCCEEDED"
    assert description["output"] == ["A", "B"]


def test_repeated_join_arrival_changes_nothing(driver):
    response = _start(driver, PARALLEL, {"v": 1})
    (_, a), (_, b) = driver.dispatcher.sent
    handler = task(lambda event, context: current().state_name)
    handler(a, FakeLambdaContext())

    # A new hop id makes the decorator run the hop again, so the join receives the arrival twice.
    repeated = dict(a, h="another-hop")
    handler(repeated, FakeLambdaContext())
    handler(b, FakeLambdaContext())

    outcomes = driver.stores.joins.outcomes(response["executionArn"], _join_id(driver, response))
    assert [outcome.index for outcome in outcomes] == [0, 1]
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == ["A", "B"]


def _join_id(driver, response):
    connection = driver.stores.joins._connection()
    (join_id,) = connection.execute(
        "SELECT join_id FROM joins WHERE execution_id = ?", (response["executionArn"],)
    ).fetchone()
    return join_id


def test_map_max_concurrency_hands_out_next_index(driver):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": ARN + "w", "End": True}}},
                "End": True,
            }
        },
    }
    response = _start(driver, definition, [10, 20, 30, 40, 50])
    handler = task(lambda event, context: event * 2)

    assert [envelope["input"] for _, envelope in driver.dispatcher.sent] == [10, 20]
    handler(driver.dispatcher.sent[1][1], FakeLambdaContext())
    assert [envelope["input"] for _, envelope in driver.dispatcher.sent] == [10, 20, 40]
    handled = 1
    while handled < len(driver.dispatcher.sent):
        pending = [envelope for _, envelope in driver.dispatcher.sent]
        for envelope in pending:
            handler(envelope, FakeLambdaContext())
        handled = len(pending)
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == [20, 40, 60, 80, 100]


def test_map_tolerated_failures_keep_error_output(driver):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ToleratedFailureCount": 1,
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": ARN + "w", "End": True}}},
                "End": True,
            }
        },
    }
    response = _start(driver, definition, [1, 0, 2])

    def divide(event, context):
        return 10 // event

    handler = task(divide)
    for _, envelope in list(driver.dispatcher.sent):
        handler(envelope, FakeLambdaContext())
    output = invoker.describe_execution(driver, response["executionArn"])["output"]
    assert output[0] == 10
    assert output[1]["Error"] == "ZeroDivisionError"
    assert output[2] == 5


def test_map_failures_over_tolerance_fail_the_state(driver):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ToleratedFailureCount": 0,
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": ARN + "w", "End": True}}},
                "End": True,
            }
        },
    }
    response = _start(driver, definition, [0, 1])
    handler = task(lambda event, context: 10 // event)
    for _, envelope in list(driver.dispatcher.sent):
        handler(envelope, FakeLambdaContext())

    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "States.ExceedToleratedFailureThreshold"


def test_parallel_branch_failure_fails_once(driver):
    response = _start(driver, PARALLEL, {})

    def fail_b(event, context):
        if current().state_name == "B":
            raise RuntimeError("b failed")
        return "a"

    handler = task(fail_b)
    for _, envelope in list(driver.dispatcher.sent):
        handler(envelope, FakeLambdaContext())

    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "RuntimeError"


def test_large_result_spills_to_blobs(driver):
    driver.config = RuntimeConfig(envelope_budget=4_096)
    _start(driver, TWO_TASKS, {"order": {"id": 1}})
    handler = task(lambda event, context: "x" * 10_000)

    handler(driver.dispatcher.sent[0][1], FakeLambdaContext())
    envelope = driver.dispatcher.sent[1][1]
    assert "refs" in envelope
    assert envelopes.encoded_size(envelope) <= 4_096
    assert envelopes.decode(envelope, blobs=driver.stores.blobs)[1]["first"] == "x" * 10_000


def test_execution_deadline_bounds_handler(driver):
    definition = {
        "TimeoutSeconds": 1,
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": ARN + "t", "End": True}},
    }
    response = _start(driver, definition, {})
    driver.config = RuntimeConfig(time_scale=0.05)
    envelope = driver.dispatcher.sent[0][1]
    assert envelope["dl"] == envelope["s"] + 1_000

    import threading

    release = threading.Event()

    @task
    def slow(event, context):
        release.wait(5)
        return "late"

    try:
        slow(envelope, FakeLambdaContext())
    finally:
        release.set()
    assert invoker.describe_execution(driver, response["executionArn"])["status"] == "TIMED_OUT"


def test_decorating_twice_wraps_once():
    @task
    def handler(event, context):
        return event

    assert task(handler) is handler


def test_unserialisable_result_is_marshal_error(driver):
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": ARN + "t", "End": True}}}
    response = _start(driver, definition, {})
    handler = task(lambda event, context: {"when": object()})

    handler(driver.dispatcher.sent[0][1], FakeLambdaContext())
    description = invoker.describe_execution(driver, response["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "Runtime.MarshalError"
    assert "Unable to marshal response" in json.loads(description["cause"])["errorMessage"]


def test_delay_due_soon_sleeps_instead_of_queueing(driver):
    response = _start(driver, WAITING, {})
    envelope = driver.delays.sent[0][0]
    slept = []
    driver.sleep = slept.append

    import time

    envelope["u"] = int(time.time() * 1000) + 800
    invoker.handler({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": json.dumps(envelope)}]})
    assert len(driver.delays.sent) == 1
    assert slept and 0.5 < slept[0] <= 0.8
    assert invoker.describe_execution(driver, response["executionArn"])["output"] == "done"
