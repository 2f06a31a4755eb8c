"""The product catalog and stock levels of the simulated shop.

A real deployment reads these from a database. The example keeps them in code
so that it runs without network access and gives the same result every time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    weight_grams: int
    stock: int


PRODUCTS = {
    product.sku: product
    for product in [
        Product("KB-101", "Mechanical keyboard", 8900, 1150, 40),
        Product("MS-220", "Wireless mouse", 2950, 110, 120),
        Product("CB-USB-C", "USB-C cable, 2 m", 1290, 60, 500),
        Product("MN-27Q", "27-inch monitor", 31900, 6200, 3),
        Product("DK-STAND", "Standing desk frame", 42900, 28000, 0),
    ]
}

# Countries the shop ships to, with the base shipping cost and the extra cost per kilogram.
SHIPPING_RATES_CENTS = {
    "DE": (490, 90),
    "FR": (690, 120),
    "NL": (590, 110),
    "AT": (690, 120),
}


def find_product(sku: str) -> Product | None:
    return PRODUCTS.get(sku)
