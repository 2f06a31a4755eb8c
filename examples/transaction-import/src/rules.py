"""Reference data for the import: exchange rates and category keywords.

A real deployment loads the rates from its treasury system each day; fixed
values keep the example deterministic and offline.
"""

from __future__ import annotations

# Value of one unit of the currency in euros.
EUR_RATES = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "CHF": 1.05,
    "SEK": 0.088,
}

# First matching keyword in the description decides the category.
CATEGORY_KEYWORDS = [
    ("salary", "income"),
    ("refund", "income"),
    ("rent", "housing"),
    ("electricity", "utilities"),
    ("internet", "utilities"),
    ("supermarket", "groceries"),
    ("bakery", "groceries"),
    ("coffee", "eating out"),
    ("restaurant", "eating out"),
    ("train", "travel"),
    ("airline", "travel"),
    ("pharmacy", "health"),
]

# Transactions dated further back than this are rejected as stale.
MAX_AGE_DAYS = 400
