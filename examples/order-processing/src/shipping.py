"""Shipping quotes."""

from __future__ import annotations

import math

import heaviside

from catalog import SHIPPING_RATES_CENTS, find_product

# Delivery days per country for the standard service.
DELIVERY_DAYS = {"DE": 2, "NL": 3, "AT": 3, "FR": 4}


@heaviside.task
def quote_shipping(request, context):
    """Quote the standard parcel service for the order's total weight."""
    country = request["address"]["country"]
    weight_grams = sum(find_product(item["sku"]).weight_grams * item["quantity"] for item in request["items"])
    base_cents, per_kilogram_cents = SHIPPING_RATES_CENTS[country]
    return {
        "carrier": "ParcelPost",
        "service": "standard",
        "weightGrams": weight_grams,
        "costCents": base_cents + per_kilogram_cents * math.ceil(weight_grams / 1000),
        "estimatedDays": DELIVERY_DAYS[country],
    }
