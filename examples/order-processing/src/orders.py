"""Order validation and confirmation."""

from __future__ import annotations

import hashlib
import logging

import heaviside

from catalog import SHIPPING_RATES_CENTS, find_product

logger = logging.getLogger(__name__)

MAX_LINE_ITEMS = 50


@heaviside.task
def validate_order(order, context):
    """Check an order and compute its subtotal.

    Returns ``{"valid": false, "reason": ...}`` for an order the shop rejects, so
    that the state machine decides what happens next. Raises only for input that
    is not an order at all.
    """
    if not isinstance(order, dict) or "orderId" not in order:
        raise ValueError(f"expected an order object with an orderId, got {order!r}")

    problem = _find_problem(order)
    if problem is not None:
        logger.info("Order %s rejected: %s", order["orderId"], problem)
        return {"valid": False, "reason": problem}

    subtotal = sum(find_product(item["sku"]).price_cents * item["quantity"] for item in order["items"])
    return {
        "valid": True,
        "subtotalCents": subtotal,
        "itemCount": sum(item["quantity"] for item in order["items"]),
    }


@heaviside.task
def confirm_order(request, context):
    """Mark the order as confirmed and return the confirmation sent to the customer."""
    order_id = request["orderId"]
    digest = hashlib.sha256(order_id.encode()).hexdigest()[:8].upper()
    return {
        "orderId": order_id,
        "status": "CONFIRMED",
        "confirmationNumber": f"C-{digest}",
        "chargeId": request["charge"]["chargeId"],
        "amountCents": request["charge"]["amountCents"],
        "reservations": [reservation["reservationId"] for reservation in request["reservations"]],
        "carrier": request["shipping"]["carrier"],
        "estimatedDeliveryDays": request["shipping"]["estimatedDays"],
    }


def _find_problem(order: dict) -> str | None:
    """Return why the order cannot be accepted, or None when it can."""
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return "The order has no line items."
    if len(items) > MAX_LINE_ITEMS:
        return f"The order has {len(items)} line items; the maximum is {MAX_LINE_ITEMS}."

    for position, item in enumerate(items, start=1):
        sku = item.get("sku") if isinstance(item, dict) else None
        if find_product(sku) is None:
            return f"Line item {position}: unknown SKU {sku!r}."
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            return f"Line item {position}: quantity must be a positive integer, got {quantity!r}."

    country = (order.get("shippingAddress") or {}).get("country")
    if country not in SHIPPING_RATES_CENTS:
        return f"The shop does not ship to country {country!r}."
    if not (order.get("payment") or {}).get("token"):
        return "The order has no payment token."
    return None
