"""Normalize and check one bank transaction from a CSV export.

Exports from different banks write dates, amounts and account numbers in
different ways. Each record becomes either an accepted transaction in one
shape, or a rejection with a reason a person can act on.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import heaviside

from rules import CATEGORY_KEYWORDS, EUR_RATES, MAX_AGE_DAYS

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")


class RecordRejected(ValueError):
    """A record that cannot be imported; the message gives the reason."""


@heaviside.task
def normalize_transaction(request, context):
    """Return the record as an accepted transaction, or as a rejection with the reason.

    `request` carries the raw `record`, its `line` in the export, the batch's
    `baseCurrency` and `bookingDate` (the day the batch is booked, YYYY-MM-DD).
    """
    record, line = request["record"], request["line"]
    try:
        transaction = _normalize(record, request["baseCurrency"], date.fromisoformat(request["bookingDate"]))
    except RecordRejected as rejection:
        return {"line": line, "id": record.get("id"), "status": "rejected", "reason": str(rejection)}
    return {"line": line, "status": "accepted", **transaction}


def _normalize(record: dict, base_currency: str, booking_date: date) -> dict:
    currency = str(record.get("currency", "")).strip().upper()
    if currency not in EUR_RATES:
        raise RecordRejected(f"unknown currency {record.get('currency')!r}")

    amount = _parse_amount(record.get("amount"))
    value_date = _parse_date(record.get("date"))
    if value_date > booking_date:
        raise RecordRejected(f"date {value_date.isoformat()} is after the booking date {booking_date.isoformat()}")
    if booking_date - value_date > timedelta(days=MAX_AGE_DAYS):
        raise RecordRejected(f"date {value_date.isoformat()} is more than {MAX_AGE_DAYS} days old")

    iban = _check_iban(record.get("account"))
    description = " ".join(str(record.get("description", "")).split())
    amount_cents = int((amount * 100).to_integral_value())
    base_rate = Decimal(str(EUR_RATES[currency])) / Decimal(str(EUR_RATES[base_currency]))
    return {
        "id": record.get("id"),
        "date": value_date.isoformat(),
        "account": iban,
        "currency": currency,
        "amountCents": amount_cents,
        "baseAmountCents": int((amount * 100 * base_rate).to_integral_value()),
        "description": description,
        "category": _categorize(description, amount_cents),
    }


def _parse_amount(text) -> Decimal:
    """Parse amounts such as "1,234.50", "1.234,50", "-12" and "12.5-" (trailing sign)."""
    cleaned = str(text if text is not None else "").strip().replace(" ", "")
    negative = cleaned.startswith("-") or cleaned.endswith("-")
    cleaned = cleaned.strip("-+")
    # The separator that comes last is the decimal separator.
    if "," in cleaned and cleaned.rfind(",") > cleaned.rfind("."):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise RecordRejected(f"amount {text!r} is not a number") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise RecordRejected(f"amount {text!r} has more than two decimal places")
    return -amount if negative else amount


def _parse_date(text) -> date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(str(text).strip(), date_format).date()
        except ValueError:
            continue
    raise RecordRejected(f"date {text!r} matches none of the formats YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY")


def _check_iban(text) -> str:
    """Return the IBAN without spaces after checking its ISO 13616 mod-97 checksum."""
    iban = re.sub(r"\s+", "", str(text or "")).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        raise RecordRejected(f"account {text!r} is not an IBAN")
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(character, 36)) for character in rearranged)
    if int(digits) % 97 != 1:
        raise RecordRejected(f"account {text!r} fails the IBAN checksum")
    return iban


def _categorize(description: str, amount_cents: int) -> str:
    lowered = description.lower()
    for keyword, category in CATEGORY_KEYWORDS:
        if keyword in lowered:
            return category
    return "other income" if amount_cents > 0 else "other"
