"""Write the sample batches batch-300.json and batch-mostly-invalid.json.

The records imitate CSV exports of several banks: mixed date formats, amounts
with either decimal separator, IBANs with and without spaces, and a few broken
records. A fixed seed makes the files reproducible:

    python examples/transaction-import/events/generate_batches.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

# IBANs with valid checksums (the standard examples of each country's format).
ACCOUNTS = ["DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19", "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300"]
DESCRIPTIONS = [
    ("Salary November", 250000, 320000),
    ("Rent flat 3B", -120000, -90000),
    ("Electricity monthly", -9000, -6000),
    ("Internet fibre", -4999, -3999),
    ("Supermarket", -12000, -800),
    ("Bakery", -1500, -200),
    ("Coffee to go", -650, -280),
    ("Restaurant", -9500, -1800),
    ("Train ticket", -14900, -290),
    ("Airline booking", -45000, -8900),
    ("Pharmacy", -3500, -400),
    ("Refund online shop", 1500, 9900),
    ("Bookshop", -4500, -900),
]
CURRENCIES = ["EUR"] * 8 + ["USD", "GBP", "CHF"]


def make_record(rng: random.Random, number: int) -> dict:
    description, low, high = rng.choice(DESCRIPTIONS)
    cents = rng.randint(low, high)
    day, month = rng.randint(1, 28), rng.randint(9, 11)
    date_text = rng.choice([f"2026-{month:02d}-{day:02d}", f"{day:02d}.{month:02d}.2026", f"{day:02d}/{month:02d}/2026"])
    amount_text = f"{cents / 100:.2f}"
    if rng.random() < 0.3:
        amount_text = amount_text.replace(".", ",")
    return {
        "id": f"TX-{number:05d}",
        "date": date_text,
        "amount": amount_text,
        "currency": rng.choice(CURRENCIES).lower() if rng.random() < 0.2 else rng.choice(CURRENCIES),
        "account": rng.choice(ACCOUNTS),
        "description": f"  {description}  " if rng.random() < 0.1 else description,
    }


def break_record(rng: random.Random, record: dict) -> None:
    fault = rng.choice(["amount", "currency", "date", "account"])
    if fault == "amount":
        record["amount"] = "12.3.4"
    elif fault == "currency":
        record["currency"] = "XYZ"
    elif fault == "date":
        record["date"] = "2026-13-45"
    else:
        record["account"] = "DE00 1234 5678 9012 3456 78"


def make_batch(batch_id: str, size: int, broken_share: float, seed: int) -> dict:
    rng = random.Random(seed)
    records = [make_record(rng, number) for number in range(1, size + 1)]
    for record in rng.sample(records, round(size * broken_share)):
        break_record(rng, record)
    return {"batchId": batch_id, "baseCurrency": "EUR", "bookingDate": "2026-12-01", "records": records}


if __name__ == "__main__":
    batches = {
        "batch-300.json": make_batch("B-2026-12-01-A", 300, 0.02, seed=1),
        "batch-mostly-invalid.json": make_batch("B-2026-12-01-B", 40, 0.25, seed=2),
    }
    for file_name, batch in batches.items():
        (HERE / file_name).write_text(json.dumps(batch, indent=1) + "\n")
