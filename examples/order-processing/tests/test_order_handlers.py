"""The order handlers called directly, as plain functions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The handlers use @heaviside.task, which the Lambda runtime package provides.
pytest.importorskip("heaviside.runtime.decorator", reason="heaviside.runtime.decorator is not available")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import inventory  # noqa: E402
import orders  # noqa: E402
import payment_provider  # noqa: E402
import shipping  # noqa: E402

ORDER = {
    "orderId": "ORD-1",
    "items": [{"sku": "KB-101", "quantity": 2}],
    "shippingAddress": {"country": "FR"},
    "payment": {"token": "tok_visa"},
}


def test_validate_order_subtotal():
    assert orders.validate_order(ORDER, None) == {"valid": True, "subtotalCents": 17800, "itemCount": 2}


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"items": []}, "The order has no line items."),
        ({"items": [{"sku": "NOPE", "quantity": 1}]}, "Line item 1: unknown SKU 'NOPE'."),
        ({"items": [{"sku": "KB-101", "quantity": 0}]}, "Line item 1: quantity must be a positive integer, got 0."),
        ({"items": [{"sku": "KB-101", "quantity": True}]}, "Line item 1: quantity must be a positive integer, got True."),
        ({"shippingAddress": {"country": "US"}}, "The shop does not ship to country 'US'."),
        ({"payment": {}}, "The order has no payment token."),
    ],
)
def test_validate_order_rejections(change, reason):
    assert orders.validate_order({**ORDER, **change}, None) == {"valid": False, "reason": reason}


def test_validate_order_not_an_order():
    with pytest.raises(ValueError, match="expected an order object"):
        orders.validate_order([1, 2], None)


def test_reservation_is_idempotent():
    request = {"orderId": "ORD-1", "sku": "MS-220", "quantity": 1}

    first = inventory.reserve_item(request, None)

    assert inventory.reserve_item(request, None) == first
    assert inventory.release_items({"orderId": "ORD-1", "items": [request]}, None)["released"] == [first["reservationId"]]


def test_reservation_out_of_stock():
    with pytest.raises(inventory.OutOfStock, match="SKU MN-27Q: 4 requested, 3 in stock."):
        inventory.reserve_item({"orderId": "ORD-1", "sku": "MN-27Q", "quantity": 4}, None)


def test_shipping_cost_by_weight():
    # 2 x 1150 g = 2.3 kg, charged as 3 kg: 6.90 + 3 x 1.20.
    quote = shipping.quote_shipping({"address": {"country": "FR"}, "items": ORDER["items"]}, None)

    assert quote["costCents"] == 690 + 3 * 120
    assert quote["estimatedDays"] == 4


def test_provider_failures_are_repeatable(monkeypatch):
    monkeypatch.setenv("PAYMENT_FAILURE_RATE", "0.5")
    monkeypatch.setenv("PAYMENT_SIMULATION_SEED", "3")

    outcomes = [payment_provider._attempt_fails("ORD-9", attempt) for attempt in range(20)]

    assert outcomes == [payment_provider._attempt_fails("ORD-9", attempt) for attempt in range(20)]
    assert 0 < sum(outcomes) < 20


def test_provider_never_fails_at_rate_zero(monkeypatch):
    monkeypatch.setenv("PAYMENT_FAILURE_RATE", "0")

    charge = payment_provider.charge("ORD-9", 100, "EUR", "tok_visa", attempt=0)

    assert charge["chargeId"] == payment_provider.charge("ORD-9", 100, "EUR", "tok_visa", attempt=5)["chargeId"]


def test_provider_declines_card(monkeypatch):
    monkeypatch.setenv("PAYMENT_FAILURE_RATE", "0")

    with pytest.raises(payment_provider.PaymentDeclined):
        payment_provider.charge("ORD-9", 100, "EUR", "tok_declined", attempt=0)
