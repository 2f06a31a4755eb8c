"""The history of states entered through the Lambda path (``HEAVISIDE_HISTORY``).

Executions run through the invoker, the task decorator and the local Lambda
endpoint on 127.0.0.1, with the table on a moto server. The path read back
from the history is compared with the path of the same run in-process.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="moto is not installed")

from heaviside.local import run  # noqa: E402
from heaviside.local.app import run_machine  # noqa: E402
from heaviside.local.stores import SQLiteStore  # noqa: E402
from heaviside.local.trace import StateEntered  # noqa: E402
from heaviside.runtime.config import RuntimeConfig  # noqa: E402
from heaviside.runtime.stores.base import ExecutionRecord, HistoryEntry, history_path  # noqa: E402
from heaviside.runtime.testing import LambdaTestBed, run_through_lambda  # noqa: E402
from heaviside.testing import run_state_machine  # noqa: E402
from tests.engine_support import failing_parallel  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "order-processing"
TEMPLATE = EXAMPLE / "template.yaml"
EXECUTION = "arn:aws:states:us-east-1:111111111111:execution:Machine:run-1"

# A Task, a Parallel with a Pass before a Task in one branch, and a Map of three Task iterations.
FORKING = {
    "StartAt": "Load",
    "States": {
        "Load": {"Type": "Task", "Resource": "work", "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Task", "Resource": "work", "End": True}}},
                {
                    "StartAt": "Prepare",
                    "States": {
                        "Prepare": {"Type": "Pass", "Next": "Right"},
                        "Right": {"Type": "Task", "Resource": "work", "End": True},
                    },
                },
            ],
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$[0]",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Task", "Resource": "work", "End": True}}},
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def work(event, context):
    return [1, 2, 3]


def in_process_path(definition, execution_input) -> list[str]:
    entered: list[str] = []

    def observe(record):
        if isinstance(record, StateEntered):
            entered.append(record.state)

    execution = run(definition, execution_input, functions={"work": work}, observe=observe)
    assert execution.status == "SUCCEEDED"
    return entered


def top_level(path, definition) -> list[str]:
    return [state for state in path if state in definition["States"]]


@pytest.mark.parametrize("event", ["order.json", "order-card-declined.json"])
def test_example_path_matches_inprocess(event):
    execution_input = json.loads((EXAMPLE / "events" / event).read_text())

    in_process = run_machine(TEMPLATE, execution_input)
    through_lambda = run_machine(TEMPLATE, execution_input, through="lambda")

    assert through_lambda.status == in_process.status
    assert through_lambda.states_entered is not None
    assert Counter(through_lambda.states_entered) == Counter(in_process.states_entered)
    assert through_lambda.states_entered[0] == in_process.states_entered[0]
    assert through_lambda.states_entered[-1] == in_process.states_entered[-1]


def test_forking_path_matches_inprocess():
    expected = in_process_path(FORKING, {})

    execution = run_through_lambda(FORKING, {}, functions={"work": work})

    assert execution.status == "SUCCEEDED"
    assert Counter(execution.states_entered) == Counter(expected)
    assert top_level(execution.states_entered, FORKING) == top_level(expected, FORKING)
    # Each branch's own states stay in order.
    assert execution.states_entered.index("Prepare") < execution.states_entered.index("Right")


def test_duplicate_delivery_adds_no_entries():
    expected = in_process_path(FORKING, {})

    with LambdaTestBed({"work": work}, endpoint_options={"duplicate_events": 1.0, "seed": 3}) as bed:
        execution_id = bed.start(FORKING, {})
        execution = bed.wait(execution_id)
        stats = dict(bed.endpoint.stats)
        keys = [entry.key for entry in bed.executions.get_history(execution_id)]

    assert stats.get("duplicates", 0) > 0
    assert execution.status == "SUCCEEDED"
    assert Counter(execution.states_entered) == Counter(expected)
    assert len(keys) == len(set(keys))


def test_history_off_records_nothing():
    with LambdaTestBed({"work": work}, environment={"HEAVISIDE_HISTORY": "false"}) as bed:
        execution_id = bed.start(FORKING, {})
        execution = bed.wait(execution_id)
        entries = bed.executions.get_history(execution_id)

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered is None
    assert entries == []


def test_history_off_by_default():
    assert RuntimeConfig.from_environment({}).history is False
    assert RuntimeConfig.from_environment({"HEAVISIDE_HISTORY": "true"}).history is True


def test_path_assertions_through_lambda():
    execution_input = json.loads((EXAMPLE / "events" / "order-card-declined.json").read_text())
    expected = run_state_machine(TEMPLATE, execution_input)

    result = run_state_machine(TEMPLATE, execution_input, through="lambda")

    assert result.states_entered is not None
    result.assert_path([expected.states_entered[0], expected.states_entered[-1]])
    for state in set(expected.states_entered):
        result.assert_entered(state, times=expected.states_entered.count(state))
    result.assert_not_entered("NoSuchState")


def check_history_store(store):
    store.create_execution(ExecutionRecord(EXECUTION, "run-1", "Machine", "d", start_time=5))
    later = HistoryEntry("hop-b#0", 2_000, [("C", "Task")])
    earlier = HistoryEntry("hop-a#0", 1_000, [("A", "Pass"), ("B", "Task")])

    assert store.append_history(EXECUTION, later) is True
    assert store.append_history(EXECUTION, earlier) is True
    assert store.append_history(EXECUTION, HistoryEntry("hop-a#0", 3_000, [("A", "Pass")])) is False
    assert store.append_history(EXECUTION + "-missing", earlier) is False

    entries = store.get_history(EXECUTION)
    assert [entry.key for entry in entries] == ["hop-b#0", "hop-a#0"]
    assert history_path(entries) == [("A", "Pass"), ("B", "Task"), ("C", "Task")]
    assert store.get_history(EXECUTION + "-missing") == []


def test_sqlite_history_store(tmp_path):
    check_history_store(SQLiteStore(tmp_path / "state.db"))


def test_dynamodb_history_store():
    with LambdaTestBed({}) as bed:
        check_history_store(bed.executions)


def exit_process(event, context):
    import os

    os._exit(3)


def test_onfailure_resume_records_catch():
    # The worker process exits, so the invoker resumes the hop from the OnFailure record.
    definition = {
        "StartAt": "Crash",
        "States": {
            "Crash": {
                "Type": "Task",
                "Resource": "crash",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovered"}],
                "End": True,
            },
            "Recovered": {"Type": "Pass", "End": True},
        },
    }

    execution = run_through_lambda(definition, {}, functions={"crash": exit_process})

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered == ("Crash", "Recovered")
    states = [state for entry in execution.history for state in entry.states]
    assert states == [("Crash", "Task"), ("Recovered", "Pass")]
    assert execution.history[0].key == "start#0"
    assert execution.history[1].key.startswith("failure:")


class RejectingStore:
    def append_history(self, execution_id, entry):
        raise RuntimeError("ValidationException: Item size has exceeded the maximum allowed size")


def test_failed_history_write_is_logged(caplog):
    from heaviside.runtime.driver import HopHistory

    history = HopHistory(RejectingStore(), EXECUTION, "hop-a")
    history.state_entered("Load", "Task")

    with caplog.at_level("WARNING", logger="heaviside.runtime.driver"):
        history.flush()

    assert history.pending == []
    assert "hop-a#0" in caplog.text
    assert "Item size has exceeded" in caplog.text
    assert "Load" in caplog.text


def out_of_stock(event, context):
    raise ValueError("out of stock")


def slow_step(event, context):
    import time

    time.sleep(1.0)
    return {}


def test_failed_parallel_stops_branches_lambda():
    """The slow branch's Task finishes after the Parallel failed; the state after it never runs."""
    functions = {"fails": out_of_stock, "slow": slow_step, "after": slow_step}
    execution = run_through_lambda(failing_parallel(3), {}, functions=functions)

    assert execution.status == "SUCCEEDED"
    assert "Slow" in execution.states_entered
    assert "After" not in execution.states_entered
    assert execution.states_entered[-1] == "Done"
