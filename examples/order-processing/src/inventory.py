"""Stock reservations.

Reservation ids are derived from the order id and the SKU, so reserving the
same line item twice returns the same reservation. That makes the handler safe
under at-least-once delivery.
"""

from __future__ import annotations

import hashlib
import logging

import heaviside

from catalog import find_product

logger = logging.getLogger(__name__)


class OutOfStock(Exception):
    """The warehouse cannot cover a line item's quantity."""


@heaviside.task
def reserve_item(request, context):
    """Reserve one line item and return the reservation."""
    order_id, sku, quantity = request["orderId"], request["sku"], request["quantity"]
    product = find_product(sku)
    if product is None or product.stock < quantity:
        available = 0 if product is None else product.stock
        raise OutOfStock(f"SKU {sku}: {quantity} requested, {available} in stock.")

    reservation_id = _reservation_id(order_id, sku)
    logger.info("Reserved %d x %s for order %s as %s", quantity, sku, order_id, reservation_id)
    return {"reservationId": reservation_id, "sku": sku, "quantity": quantity}


@heaviside.task
def release_items(request, context):
    """Release every reservation of an order; releasing twice is harmless.

    This is the compensation step: it runs when the order fails after some
    line items may already have been reserved.
    """
    order_id = request["orderId"]
    released = [_reservation_id(order_id, item["sku"]) for item in request["items"]]
    logger.info("Released %d reservations of order %s because of %s", len(released), order_id, request.get("reason"))
    return {"orderId": order_id, "released": released}


def _reservation_id(order_id: str, sku: str) -> str:
    return "R-" + hashlib.sha256(f"{order_id}/{sku}".encode()).hexdigest()[:10].upper()
