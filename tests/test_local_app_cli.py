"""`heaviside run TEMPLATE`: what a user sees on stdout and stderr, and the exit status."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from heaviside.cli import main as heaviside
from heaviside.local.app import ProgressPrinter
from heaviside.local.trace import IterationEnded, MapStarted, RetryScheduled, StateEntered

REPO = Path(__file__).resolve().parent.parent
ORDER = REPO / "examples" / "order-processing"
IMPORT = REPO / "examples" / "transaction-import"


@pytest.fixture(autouse=True)
def working_directory(tmp_path, monkeypatch):
    """Run each test in its own directory, where `heaviside run` keeps its .heaviside/ records."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_order_example_succeeds(capsys):
    status = heaviside(
        ["run", str(ORDER / "template.yaml"), "--input", f"@{ORDER / 'events' / 'order.json'}", "--time-scale", "0.001"]
    )
    captured = capsys.readouterr()
    outcome = json.loads(captured.out)

    assert status == 0
    assert outcome["status"] == "SUCCEEDED"
    assert outcome["output"]["status"] == "CONFIRMED"
    lines = captured.err.splitlines()
    assert lines[0] == f"Running order-processing (OrderStateMachine) from {ORDER / 'template.yaml'}"
    assert lines[-1].startswith("Recorded execution arn:aws:states:us-east-1:111111111111:execution:order-processing:")
    entered = [line.split()[-1] for line in lines[1:-1] if ":" not in line]
    assert entered == [
        "ValidateOrder", "IsOrderValid", "PrepareShipment", "ReserveLineItems", "QuoteShipping",
        "ChargePayment", "ConfirmOrder", "OrderConfirmed",
    ] or entered == [
        "ValidateOrder", "IsOrderValid", "PrepareShipment", "QuoteShipping", "ReserveLineItems",
        "ChargePayment", "ConfirmOrder", "OrderConfirmed",
    ]
    progress = [line.split(None, 1)[1] for line in lines if "iteration" in line]
    assert progress[0] == "ReserveLineItems: 3 iterations, at most 2 at a time"
    assert progress[1] == "ReserveLineItems: 1 of 3 iterations ended"
    assert progress[-1] == "ReserveLineItems: 3 of 3 iterations ended"
    retries = [line.split(None, 1)[1] for line in lines if "retry" in line]
    assert retries == [
        "ChargePayment: PaymentProviderUnavailable, retry 1 in 1.0s",
        "ChargePayment: PaymentProviderUnavailable, retry 2 in 2.0s",
    ]
    assert lines[-2].split()[1:] == ["Succeed", "OrderConfirmed"]


def test_failed_execution_exits_one(capsys):
    status = heaviside(
        ["run", str(ORDER / "template.yaml"), "OrderStateMachine",
         "--input", f"@{ORDER / 'events' / 'order.json'}", "--time-scale", "0.001",
         "--mock-file", str(ORDER / "mocks" / "provider-outage.json")]
    )
    outcome = json.loads(capsys.readouterr().out)

    assert status == 1
    assert outcome["status"] == "FAILED"
    assert outcome["error"] == "PaymentProviderUnavailable"
    assert json.loads(outcome["cause"])["errorMessage"] == "The payment provider is down for maintenance."


def test_mock_option_replaces_state(capsys):
    charge = '{"Return": {"chargeId": "ch_cli", "amountCents": 1, "currency": "EUR", "attempts": 1}}'

    status = heaviside(
        ["run", str(ORDER / "template.yaml"), "--input", f"@{ORDER / 'events' / 'order-card-declined.json'}",
         "--time-scale", "0.001", "--mock", f"ChargePayment={charge}"]
    )

    assert status == 0
    assert json.loads(capsys.readouterr().out)["output"]["chargeId"] == "ch_cli"


def test_map_progress_folded(capsys):
    batch = json.loads((IMPORT / "events" / "batch-300.json").read_text())
    batch["records"] = batch["records"][:30]

    status = heaviside(["run", str(IMPORT / "template.yaml"), "--input", json.dumps(batch), "--time-scale", "0.001"])
    stderr = capsys.readouterr().err

    assert status == 0
    assert "NormalizeTransactions: 30 iterations, at most 20 at a time\n" in stderr
    assert "NormalizeTransactions: 1 of 30 iterations ended\n" in stderr
    assert "NormalizeTransactions: 30 of 30 iterations ended\n" in stderr
    assert " NormalizeTransaction\n" not in stderr


def test_trace_prints_iterations(capsys):
    batch = {"batchId": "B-1", "bookingDate": "2026-12-01", "records": [{"id": "a"}, {"id": "b"}]}

    heaviside(["run", str(IMPORT / "template.yaml"), "--input", json.dumps(batch), "--time-scale", "0.001", "--trace"])
    stderr = capsys.readouterr().err

    assert stderr.count("Task      NormalizeTransaction\n") == 2
    assert "NormalizeTransactions: 2 iterations, at most 20 at a time\n" in stderr
    assert "iterations ended" not in stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["Nope"], "state machine 'Nope' not found"),
        (["--input", "{oops"], "--input: invalid JSON"),
        (["--mock", "Nowhere={\"Return\": 1}"], "mock of state 'Nowhere': the state machine has no state of that name"),
        (["--time-scale", "0"], "--time-scale must be greater than 0"),
    ],
)
def test_usage_errors_exit_two(capsys, arguments, message):
    status = heaviside(["run", str(ORDER / "template.yaml"), *arguments])
    captured = capsys.readouterr()

    assert status == 2
    assert message in captured.err
    assert captured.out == ""


def test_invalid_definition_lists_problems(tmp_path, capsys):
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """
            Resources:
              Flow:
                Type: Heaviside::StateMachine
                Properties:
                  Definition:
                    StartAt: Missing
                    States:
                      Only: {Type: Pass, End: true}
            """
        )
    )

    status = heaviside(["run", str(tmp_path / "template.yaml")])
    stderr = capsys.readouterr().err

    assert status == 2
    assert "the definition of state machine Flow in resource Flow, property Definition is invalid" in stderr
    assert "Missing" in stderr


def test_progress_printer_folds_map(capsys):
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "x", "End": True}}},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    printer = ProgressPrinter(definition, interval=3600)

    printer.record(StateEntered(0.0, "Fan", "Map"))
    printer.record(MapStarted(0.0, "Fan", 5, 0))
    for index in range(4):
        printer.record(StateEntered(0.1, "Work", "Task"))
        printer.record(RetryScheduled(0.1, "Work", "Flaky", 1, 1.0))
        printer.record(IterationEnded(0.2, "Fan", index, False, index + 1, 0, 5))
    printer.record(StateEntered(0.3, "Done", "Succeed"))
    printer.finish()
    lines = capsys.readouterr().err.splitlines()

    assert [line.split(None, 1)[1].strip() for line in lines] == [
        "Map       Fan",
        "Fan: 5 iterations",
        "Fan: 1 of 5 iterations ended, 1 retry",
        "Fan: 4 of 5 iterations ended, 4 retries",
        "Succeed   Done",
    ]


def test_progress_printer_prints_final_count(capsys):
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "x", "End": True}}},
                "End": True,
            },
        },
    }
    printer = ProgressPrinter(definition, interval=3600)

    printer.record(MapStarted(0.0, "Fan", 3, 0))
    for index in range(3):
        printer.record(IterationEnded(0.2, "Fan", index, index == 1, index + 1, 1 if index >= 1 else 0, 3))
    printer.finish()
    lines = capsys.readouterr().err.splitlines()

    assert [line.split(None, 1)[1].strip() for line in lines] == [
        "Fan: 3 iterations",
        "Fan: 1 of 3 iterations ended",
        "Fan: 3 of 3 iterations ended, 1 failed",
    ]


def test_progress_printer_verbose_prints_retries(capsys):
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "x", "End": True}}},
                "End": True,
            },
        },
    }
    printer = ProgressPrinter(definition, verbose=True)

    printer.record(MapStarted(0.0, "Fan", 1, 0))
    printer.record(StateEntered(0.1, "Work", "Task"))
    printer.record(RetryScheduled(0.1, "Work", "Flaky", 1, 1.0))
    printer.record(IterationEnded(0.2, "Fan", 0, False, 1, 0, 1))
    printer.finish()
    lines = capsys.readouterr().err.splitlines()

    assert [line.split(None, 1)[1].strip() for line in lines] == [
        "Fan: 1 iteration",
        "Task      Work",
        "Work: Flaky, retry 1 in 1.0s",
    ]
