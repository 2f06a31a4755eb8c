"""The order workflow end to end, and its handlers on their own."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

# The handlers use @heaviside.task, which the Lambda runtime package provides.
pytest.importorskip("heaviside.runtime.decorator", reason="heaviside.runtime.decorator is not available")

from heaviside.testing import run_state_machine

EXAMPLE = Path(__file__).resolve().parent.parent
TEMPLATE = EXAMPLE / "template.yaml"
MAIN_PATH = ["ValidateOrder", "IsOrderValid", "PrepareShipment", "ChargePayment", "ConfirmOrder", "OrderConfirmed"]
CHARGE = {"chargeId": "ch_test", "amountCents": 19340, "currency": "EUR", "attempts": 1}
PROVIDER_TIMEOUT = {"Throw": {"Error": "PaymentProviderUnavailable", "Cause": "timed out"}}


def load_event(name: str) -> dict:
    return json.loads((EXAMPLE / "events" / name).read_text())


def test_sample_order_confirmed(heaviside_runner):
    result = heaviside_runner(TEMPLATE, load_event("order.json"))

    result.assert_succeeded()
    assert result.output["orderId"] == "ORD-1001"
    assert result.output["status"] == "CONFIRMED"
    # 89.00 + 2 x 29.50 + 3 x 12.90 for the goods, 4.90 + 0.90 for 1.6 kg to DE.
    assert result.output["amountCents"] == 8900 + 2 * 2950 + 3 * 1290 + 490 + 2 * 90
    assert len(result.output["reservations"]) == 3
    result.assert_path(MAIN_PATH)
    result.assert_entered("ReserveItem", times=3)
    result.assert_entered("QuoteShipping", times=1)
    result.assert_not_entered("ReleaseInventory")


def test_flaky_provider_retried_until_success():
    mocks = {"ChargePayment": {"0-1": PROVIDER_TIMEOUT, "2": {"Return": CHARGE}}}

    result = run_state_machine(TEMPLATE, load_event("order.json"), mocks=mocks)

    result.assert_succeeded()
    assert result.output["chargeId"] == "ch_test"
    # A retry does not enter the state again, so ChargePayment appears once.
    result.assert_entered("ChargePayment", times=1)


def test_retries_exhausted_release_inventory():
    charge = run_state_machine(TEMPLATE, load_event("order.json"), mocks={"ChargePayment": PROVIDER_TIMEOUT})

    charge.assert_failed("PaymentProviderUnavailable")
    charge.assert_path(["ChargePayment", "ReleaseInventory", "OrderFailed"])


def test_retry_count_and_backoff():
    calls: list[tuple[float, dict]] = []

    def always_unavailable(event, context):
        calls.append((time.monotonic(), event["state"]))
        raise type("PaymentProviderUnavailable", (Exception,), {})("timed out")

    run_state_machine(TEMPLATE, load_event("order.json"), mocks={"ChargePayment": always_unavailable}, time_scale=0.1)

    # MaxAttempts 4: the first attempt and four retries.
    assert len(calls) == 5
    gaps = [later[0] - earlier[0] for earlier, later in zip(calls, calls[1:])]
    # IntervalSeconds 1, BackoffRate 2, MaxDelaySeconds 5: 1, 2, 4, 5 seconds, scaled by 0.1.
    # A loaded machine may add latency, so only the lower bound is tight.
    for gap, expected in zip(gaps, [1, 2, 4, 5]):
        assert expected * 0.1 - 0.01 <= gap <= expected * 0.1 + 0.15
    assert [state.get("RetryCount", 0) for _, state in calls] == [0, 1, 2, 3, 4]


def test_declined_card_compensates(heaviside_runner):
    result = heaviside_runner(TEMPLATE, load_event("order-card-declined.json"))

    result.assert_failed("PaymentDeclined")
    assert "Card declined for order ORD-1002" in json.loads(result.cause)["errorMessage"]
    result.assert_path(["PrepareShipment", "ChargePayment", "ReleaseInventory", "OrderFailed"])
    result.assert_not_entered("ConfirmOrder")


def test_out_of_stock_compensates(heaviside_runner):
    result = heaviside_runner(TEMPLATE, load_event("order-out-of-stock.json"))

    result.assert_failed("OutOfStock")
    assert json.loads(result.cause)["errorMessage"] == "SKU DK-STAND: 1 requested, 0 in stock."
    result.assert_path(["PrepareShipment", "ReleaseInventory", "OrderFailed"])
    result.assert_not_entered("ChargePayment")


def test_invalid_order_rejected(heaviside_runner):
    result = heaviside_runner(TEMPLATE, load_event("order-invalid.json"))

    result.assert_failed("OrderRejected", "The shop does not ship to country 'US'.")
    result.assert_path(["ValidateOrder", "IsOrderValid", "RejectOrder"])
    result.assert_not_entered("PrepareShipment")


def test_reservations_respect_max_concurrency():
    order = load_event("order.json")
    order["items"] = [{"sku": "CB-USB-C", "quantity": quantity} for quantity in range(1, 7)]
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow_reservation(event, context):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return {"reservationId": f"R-{event['quantity']}", "sku": event["sku"], "quantity": event["quantity"]}

    result = run_state_machine(
        TEMPLATE, order, mocks={"ReserveItem": slow_reservation, "ChargePayment": {"Return": CHARGE}}
    )

    result.assert_succeeded()
    assert result.output["reservations"] == [f"R-{quantity}" for quantity in range(1, 7)]
    assert peak == 2


def test_item_selector_builds_reservation_request():
    requests = []

    def record_request(event, context):
        requests.append(event)
        return {"reservationId": "R-1", "sku": event["sku"], "quantity": event["quantity"]}

    run_state_machine(TEMPLATE, load_event("order.json"), mocks={"ReserveItem": record_request})

    assert sorted(requests, key=lambda request: request["sku"]) == [
        {"orderId": "ORD-1001", "sku": "CB-USB-C", "quantity": 3},
        {"orderId": "ORD-1001", "sku": "KB-101", "quantity": 1},
        {"orderId": "ORD-1001", "sku": "MS-220", "quantity": 2},
    ]
