"""Trace records of the in-process runner: `heaviside.local.run(..., observe=...)`."""

from __future__ import annotations

import threading

from heaviside.local import run
from heaviside.local.trace import (
    ErrorCaught,
    IterationEnded,
    MapStarted,
    RetryScheduled,
    StateEntered,
    StateFailed,
    format_record,
)

FAST = 0.001


class ProviderDown(Exception):
    pass


def failing_times(count: int, result=None):
    """Return a handler that raises ProviderDown on its first `count` calls, then returns `result`."""
    calls = {"count": 0}
    lock = threading.Lock()

    def handler(event, context):
        with lock:
            calls["count"] += 1
            number = calls["count"]
        if number <= count:
            raise ProviderDown(f"attempt {number} failed")
        return result if result is not None else {"ok": True}

    return handler


def record_run(definition, execution_input=None, **options):
    records = []
    options.setdefault("time_scale", FAST)
    execution = run(definition, execution_input, observe=records.append, **options)
    return execution, records


def kinds_and_states(records):
    return [(type(record).__name__, record.state) for record in records]


CHARGE_WITH_RETRY = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "charge",
            "Retry": [{"ErrorEquals": ["ProviderDown"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
            "Next": "Done",
        },
        "Refund": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "ChargeFailed"},
        "Done": {"Type": "Succeed"},
    },
}


def test_retries_have_attempt_and_delay():
    execution, records = record_run(CHARGE_WITH_RETRY, functions={"charge": failing_times(2)})

    assert execution.status == "SUCCEEDED"
    retries = [record for record in records if isinstance(record, RetryScheduled)]
    assert [(record.state, record.error, record.attempt, record.delay) for record in retries] == [
        ("Charge", "ProviderDown", 1, 1.0),
        ("Charge", "ProviderDown", 2, 2.0),
    ]
    assert kinds_and_states(records) == [
        ("StateEntered", "Charge"),
        ("RetryScheduled", "Charge"),
        ("RetryScheduled", "Charge"),
        ("StateEntered", "Done"),
    ]


def test_caught_error_precedes_next_state():
    execution, records = record_run(CHARGE_WITH_RETRY, functions={"charge": failing_times(10)})

    assert execution.status == "FAILED"
    assert execution.error == "ChargeFailed"
    assert kinds_and_states(records) == [
        ("StateEntered", "Charge"),
        ("RetryScheduled", "Charge"),
        ("RetryScheduled", "Charge"),
        ("RetryScheduled", "Charge"),
        ("ErrorCaught", "Charge"),
        ("StateEntered", "Refund"),
        ("StateEntered", "Failed"),
    ]
    caught = records[4]
    assert caught.error == "ProviderDown"
    assert caught.next_state == "Refund"


def test_uncaught_error_is_state_failed():
    definition = {"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "charge", "End": True}}}

    execution, records = record_run(definition, functions={"charge": failing_times(1)})

    assert execution.status == "FAILED"
    assert isinstance(records[-1], StateFailed)
    assert records[-1].state == "Charge"
    assert records[-1].error == "ProviderDown"


def test_missing_function_and_timeout_errors():
    definition = {
        "StartAt": "Missing",
        "States": {
            "Missing": {
                "Type": "Task",
                "Resource": "nowhere",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Slow"}],
                "Next": "Slow",
            },
            "Slow": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 1, "End": True},
        },
    }

    def slow(event, context):
        context.sleep(30)

    execution, records = record_run(definition, {}, functions={"slow": slow}, time_scale=0.01)

    assert execution.status == "FAILED"
    assert execution.error == "States.Timeout"
    failures = [(type(record).__name__, record.state, record.error) for record in records if not isinstance(record, StateEntered)]
    assert failures == [
        ("ErrorCaught", "Missing", "Lambda.ResourceNotFoundException"),
        ("StateFailed", "Slow", "States.Timeout"),
    ]


def test_map_progress_records():
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ToleratedFailureCount": 1,
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Task", "Resource": "item", "End": True}}},
                "End": True,
            }
        },
    }

    def item(event, context):
        if event == "bad":
            raise ValueError("bad item")
        return event

    execution, records = record_run(definition, {"items": ["a", "bad", "c"]}, functions={"item": item})

    assert execution.status == "SUCCEEDED"
    started = [record for record in records if isinstance(record, MapStarted)]
    assert [(record.state, record.iterations, record.max_concurrency) for record in started] == [("Fan", 3, 2)]
    ended = [record for record in records if isinstance(record, IterationEnded)]
    assert [record.ended for record in ended] == [1, 2, 3]
    assert ended[-1].failures == 1
    assert sorted(record.index for record in ended if record.failed) == [1]
    assert ("StateFailed", "Item") in kinds_and_states(records)


def test_inline_map_has_no_map_records():
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Shape", "States": {"Shape": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }

    execution, records = record_run(definition, [1, 2])

    assert execution.output == [1, 2]
    assert kinds_and_states(records) == [("StateEntered", "Fan"), ("StateEntered", "Shape"), ("StateEntered", "Shape")]


def test_trace_lines_list_entered_states_only():
    lines = []
    records = []

    run(CHARGE_WITH_RETRY, None, functions={"charge": failing_times(1)}, time_scale=FAST, trace=lines.append, observe=records.append)

    assert [line.split()[1:] for line in lines] == [["Task", "Charge"], ["Succeed", "Done"]]
    assert lines == [format_record(record) for record in records if isinstance(record, StateEntered)]


def test_format_record_lines():
    assert format_record(StateEntered(1.5, "Charge", "Task")) == "     1.500s  Task      Charge"
    assert format_record(RetryScheduled(2.0, "Charge", "ProviderDown", 1, 1.0)).split(None, 1)[1] == (
        "Charge: ProviderDown, retry 1 in 1.0s"
    )
    assert format_record(RetryScheduled(2.0, "Charge", None, 2, 0.25)).split(None, 1)[1] == "Charge: retry 2 in 0.25s"
    assert format_record(ErrorCaught(3.0, "Charge", "Declined", "Refund")).split(None, 1)[1] == (
        "Charge: Declined, caught, next Refund"
    )
    assert format_record(StateFailed(3.0, "Charge", "Declined")).split(None, 1)[1] == "Charge: Declined, not caught"
    assert format_record(MapStarted(4.0, "Fan", 1, 0)).split(None, 1)[1] == "Fan: 1 iteration"
    assert format_record(IterationEnded(5.0, "Fan", 0, True, 2, 1, 3)).split(None, 1)[1] == (
        "Fan: 2 of 3 iterations ended, 1 failed"
    )
