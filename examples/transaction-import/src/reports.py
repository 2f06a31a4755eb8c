"""The import report of a batch."""

from __future__ import annotations

from collections import defaultdict

import heaviside


@heaviside.task
def build_report(request, context):
    """Sum the accepted transactions per category and per account, in the base currency.

    Returns the totals in cents, sorted by name, and the five largest debits.
    """
    transactions = request["transactions"]
    by_category: dict[str, int] = defaultdict(int)
    by_account: dict[str, int] = defaultdict(int)
    for transaction in transactions:
        by_category[transaction["category"]] += transaction["baseAmountCents"]
        by_account[transaction["account"]] += transaction["baseAmountCents"]

    debits = sorted((t for t in transactions if t["baseAmountCents"] < 0), key=lambda t: (t["baseAmountCents"], t["id"]))
    return {
        "batchId": request["batchId"],
        "currency": request["baseCurrency"],
        "netCents": sum(by_category.values()),
        "byCategory": dict(sorted(by_category.items())),
        "byAccount": dict(sorted(by_account.items())),
        "largestDebits": [
            {"id": t["id"], "date": t["date"], "amountCents": t["baseAmountCents"], "description": t["description"]}
            for t in debits[:5]
        ],
    }
