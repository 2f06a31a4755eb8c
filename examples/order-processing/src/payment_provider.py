"""A simulated payment provider that fails now and then, deterministically.

Whether a charge attempt fails depends only on the seed, the order id and the
attempt number, so a run can be repeated exactly. The failure rate and the seed
come from the environment variables PAYMENT_FAILURE_RATE (0 to 1, default 0.3)
and PAYMENT_SIMULATION_SEED (any text, default "0").
"""

from __future__ import annotations

import hashlib
import os
import random

DECLINED_TOKENS = {"tok_declined", "tok_insufficient_funds"}


class PaymentProviderUnavailable(Exception):
    """The provider timed out; the charge may be retried."""


class PaymentDeclined(Exception):
    """The provider declined the card; retrying does not help."""


def charge(order_id: str, amount_cents: int, currency: str, token: str, attempt: int) -> dict:
    """Charge the card behind `token` and return the provider's charge record.

    The charge id depends on the order id only, as with a provider's
    idempotency key, so charging the same order twice returns the same charge.
    """
    if _attempt_fails(order_id, attempt):
        raise PaymentProviderUnavailable(f"Payment provider timed out on attempt {attempt + 1} for order {order_id}.")
    if token in DECLINED_TOKENS:
        raise PaymentDeclined(f"Card declined for order {order_id} ({token}).")

    charge_id = "ch_" + hashlib.sha256(order_id.encode()).hexdigest()[:16]
    return {"chargeId": charge_id, "amountCents": amount_cents, "currency": currency, "attempts": attempt + 1}


def _attempt_fails(order_id: str, attempt: int) -> bool:
    failure_rate = float(os.environ.get("PAYMENT_FAILURE_RATE", "0.3"))
    seed = os.environ.get("PAYMENT_SIMULATION_SEED", "0")
    return random.Random(f"{seed}/{order_id}/{attempt}").random() < failure_rate
