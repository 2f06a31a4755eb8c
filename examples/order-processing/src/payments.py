"""The payment step."""

from __future__ import annotations

import logging

import heaviside

import payment_provider

logger = logging.getLogger(__name__)


@heaviside.task
def charge_payment(request, context):
    """Charge the order's total through the payment provider.

    `state` is the context object's ``$$.State``, whose RetryCount numbers the
    retries; it may be absent on the first attempt. Provider errors propagate
    with their own exception names (PaymentProviderUnavailable,
    PaymentDeclined), which the state machine's Retry and Catch match.
    """
    attempt = request["state"].get("RetryCount", 0)
    logger.info("Charging %d cents for order %s, attempt %d", request["amountCents"], request["orderId"], attempt + 1)
    return payment_provider.charge(
        order_id=request["orderId"],
        amount_cents=request["amountCents"],
        currency=request["currency"],
        token=request["paymentToken"],
        attempt=attempt,
    )
