"""`heaviside run TEMPLATE`: what a user sees on stdout and stderr, and the exit status."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from heaviside.cli import main as heaviside
from heaviside.local.app import ProgressPrinter

REPO = Path(__file__).resolve().parent.parent
ORDER = REPO / "examples" / "order-processing"
IMPORT = REPO / "examples" / "transaction-import"


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
    entered = [line.split()[-1] for line in lines[1:] if "iteration" not in line]
    assert entered == [
        "ValidateOrder", "IsOrderValid", "PrepareShipment", "ReserveLineItems", "QuoteShipping",
        "ChargePayment", "ConfirmOrder", "OrderConfirmed",
    ] or entered == [
        "ValidateOrder", "IsOrderValid", "PrepareShipment", "QuoteShipping", "ReserveLineItems",
        "ChargePayment", "ConfirmOrder", "OrderConfirmed",
    ]
    progress = [line.split(None, 1)[1] for line in lines if "iteration" in line]
    assert progress[0] == "ReserveLineItems: 1 iteration started"
    assert progress[-1] == "ReserveLineItems: 3 iterations started"


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
    assert "NormalizeTransactions: 1 iteration started" in stderr
    assert "NormalizeTransactions: 30 iterations started" in stderr
    assert " NormalizeTransaction\n" not in stderr


def test_trace_prints_iterations(capsys):
    batch = {"batchId": "B-1", "bookingDate": "2026-12-01", "records": [{"id": "a"}, {"id": "b"}]}

    heaviside(["run", str(IMPORT / "template.yaml"), "--input", json.dumps(batch), "--time-scale", "0.001", "--trace"])
    stderr = capsys.readouterr().err

    assert stderr.count("Task      NormalizeTransaction\n") == 2
    assert "iteration" not in stderr


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


def test_progress_printer_final_count(capsys):
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

    printer.state_entered(0.0, "Map", "Fan")
    for _ in range(5):
        printer.state_entered(0.1, "Task", "Work")
    printer.state_entered(0.2, "Succeed", "Done")
    printer.finish()
    lines = capsys.readouterr().err.splitlines()

    assert [line.split(None, 1)[1].strip() for line in lines] == [
        "Map       Fan",
        "Fan: 1 iteration started",
        "Fan: 5 iterations started",
        "Succeed   Done",
    ]
