"""The transaction import end to end, and the record handler on its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# The handlers use @heaviside.task, which the Lambda runtime package provides.
pytest.importorskip("heaviside.runtime.decorator", reason="heaviside.runtime.decorator is not available")

from heaviside.testing import run_state_machine

EXAMPLE = Path(__file__).resolve().parent.parent
TEMPLATE = EXAMPLE / "template.yaml"

sys.path.insert(0, str(EXAMPLE / "src"))

import reports  # noqa: E402
import transactions  # noqa: E402


def load_event(name: str) -> dict:
    return json.loads((EXAMPLE / "events" / name).read_text())


def test_sample_batch_imported(heaviside_runner):
    batch = load_event("batch-300.json")

    result = heaviside_runner(TEMPLATE, batch)

    result.assert_succeeded()
    assert result.output["batchId"] == "B-2026-12-01-A"
    assert result.output["status"] == "IMPORTED"
    assert result.output["accepted"] == 294
    assert [rejection["id"] for rejection in result.output["rejected"]] == [
        "TX-00013", "TX-00066", "TX-00073", "TX-00205", "TX-00216", "TX-00218",
    ]
    assert sum(result.output["transactionsPerCurrency"].values()) == 294
    assert set(result.output["transactionsPerCurrency"]) == {"EUR", "USD", "GBP", "CHF"}
    assert result.output["report"]["currency"] == "EUR"
    assert result.output["report"]["netCents"] == sum(result.output["report"]["byCategory"].values())
    result.assert_path(["StartBatch", "WaitForExportToSettle", "NormalizeTransactions", "CheckRejectedShare", "BuildReport"])
    result.assert_entered("NormalizeTransaction", times=300)
    result.assert_not_entered("RejectBatch")


def test_mostly_invalid_batch_rejected(heaviside_runner):
    result = heaviside_runner(TEMPLATE, load_event("batch-mostly-invalid.json"))

    result.assert_failed(
        "BatchRejected",
        "Batch B-2026-12-01-B: 10 of 40 records were rejected, more than the allowed 5%. First problems: "
        "line 2: unknown currency 'XYZ'; "
        "line 7: date '2026-13-45' matches none of the formats YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY; "
        "line 9: unknown currency 'XYZ'",
    )
    result.assert_path(["NormalizeTransactions", "CheckRejectedShare", "RejectBatch"])
    result.assert_not_entered("BuildReport")


def test_threshold_from_input():
    batch = load_event("batch-mostly-invalid.json")
    batch["maxRejectedShare"] = 0.3

    result = run_state_machine(TEMPLATE, batch)

    result.assert_succeeded()
    assert result.output["accepted"] == 30
    assert len(result.output["rejected"]) == 10


def test_empty_batch_imported():
    result = run_state_machine(TEMPLATE, {"batchId": "B-EMPTY", "records": [], "bookingDate": "2026-12-01"})

    result.assert_succeeded()
    assert result.output["accepted"] == 0
    assert result.output["rejected"] == []
    assert result.output["transactionsPerCurrency"] == {}
    assert result.output["report"]["netCents"] == 0


def test_item_selector_passes_batch_settings():
    requests = []

    def accept(event, context):
        requests.append(event)
        return {"line": event["line"], "status": "accepted", "id": event["record"]["id"], "currency": "EUR",
                "account": "X", "category": "other", "baseAmountCents": 1, "date": "2026-01-01", "description": ""}

    batch = {"batchId": "B-1", "records": [{"id": "a"}, {"id": "b"}]}
    result = run_state_machine(TEMPLATE, batch, mocks={"NormalizeTransaction": accept})

    result.assert_succeeded()
    assert sorted(request["line"] for request in requests) == [1, 2]
    assert {request["baseCurrency"] for request in requests} == {"EUR"}
    # Without a bookingDate, the batch is booked on the execution's start date.
    booking_dates = {request["bookingDate"] for request in requests}
    assert len(booking_dates) == 1
    assert len(booking_dates.pop()) == len("2026-12-01")


def test_failed_record_task_fails_batch():
    def crash(event, context):
        raise RuntimeError("database unavailable")

    result = run_state_machine(TEMPLATE, load_event("batch-mostly-invalid.json"), mocks={"NormalizeTransaction": crash})

    result.assert_failed("RuntimeError")
    result.assert_not_entered("CheckRejectedShare")


@pytest.mark.parametrize(
    "record, expected",
    [
        ({"amount": "1,234.50"}, {"amountCents": 123450}),
        ({"amount": "1.234,50"}, {"amountCents": 123450}),
        ({"amount": "12.5-"}, {"amountCents": -1250}),
        ({"amount": "-0,99", "currency": "usd"}, {"amountCents": -99, "currency": "USD", "baseAmountCents": -91}),
        ({"date": "03.11.2026"}, {"date": "2026-11-03"}),
        ({"date": "03/11/2026"}, {"date": "2026-11-03"}),
        ({"account": "gb29 nwbk 6016 1331 9268 19"}, {"account": "GB29NWBK60161331926819"}),
        ({"description": "  Coffee   to go "}, {"description": "Coffee to go", "category": "eating out"}),
    ],
)
def test_normalize_accepts(record, expected):
    base = {"id": "TX-1", "date": "2026-11-03", "amount": "-4.50", "currency": "EUR",
            "account": "DE89 3704 0044 0532 0130 00", "description": "Bakery"}
    request = {"record": {**base, **record}, "line": 7, "baseCurrency": "EUR", "bookingDate": "2026-12-01"}

    result = transactions.normalize_transaction(request, None)

    assert result["status"] == "accepted"
    assert result["line"] == 7
    for key, value in expected.items():
        assert result[key] == value


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"amount": "12.3.4"}, "amount '12.3.4' is not a number"),
        ({"amount": "1.005"}, "amount '1.005' has more than two decimal places"),
        ({"currency": "XYZ"}, "unknown currency 'XYZ'"),
        ({"date": "2026-12-02"}, "date 2026-12-02 is after the booking date 2026-12-01"),
        ({"date": "2024-01-01"}, "date 2024-01-01 is more than 400 days old"),
        ({"account": "DE00 3704 0044 0532 0130 00"}, "account 'DE00 3704 0044 0532 0130 00' fails the IBAN checksum"),
        ({"account": "12345"}, "account '12345' is not an IBAN"),
    ],
)
def test_normalize_rejects(record, reason):
    base = {"id": "TX-1", "date": "2026-11-03", "amount": "-4.50", "currency": "EUR",
            "account": "DE89 3704 0044 0532 0130 00", "description": "Bakery"}
    request = {"record": {**base, **record}, "line": 3, "baseCurrency": "EUR", "bookingDate": "2026-12-01"}

    assert transactions.normalize_transaction(request, None) == {"line": 3, "id": "TX-1", "status": "rejected", "reason": reason}


def test_report_totals():
    accepted = [
        {"id": "a", "date": "2026-11-01", "account": "A", "category": "income", "baseAmountCents": 1000, "description": "x"},
        {"id": "b", "date": "2026-11-02", "account": "A", "category": "rent", "baseAmountCents": -700, "description": "y"},
        {"id": "c", "date": "2026-11-03", "account": "B", "category": "rent", "baseAmountCents": -50, "description": "z"},
    ]

    report = reports.build_report({"batchId": "B", "baseCurrency": "EUR", "transactions": accepted}, None)

    assert report["netCents"] == 250
    assert report["byCategory"] == {"income": 1000, "rent": -750}
    assert report["byAccount"] == {"A": 300, "B": -50}
    assert [debit["id"] for debit in report["largestDebits"]] == ["b", "c"]
