"""Seed the products of docs/api.md's Billing section (USD, prices in cents; packs expire after 365 days).

Staff edit them in the admin afterwards; this only adds products that are missing.
"""

from django.db import migrations

PACK = "pack"
SUBSCRIPTION = "subscription"

PRODUCTS = [
    # slug, name, kind, price, credits, interval, subscribers only
    ("starter-pack", "Starter pack", PACK, 1490, 280, None, False),
    ("standard-pack", "Standard pack", PACK, 3990, 960, None, True),
    ("pro-pack", "Pro pack", PACK, 9990, 2850, None, True),
    ("basic-monthly", "Basic (monthly)", SUBSCRIPTION, 990, 280, "month", False),
    ("pro-monthly", "Pro (monthly)", SUBSCRIPTION, 2990, 960, "month", False),
    ("ultimate-monthly", "Ultimate (monthly)", SUBSCRIPTION, 7990, 2850, "month", False),
    ("basic-yearly", "Basic (yearly)", SUBSCRIPTION, 9900, 3360, "year", False),
    ("pro-yearly", "Pro (yearly)", SUBSCRIPTION, 29900, 11520, "year", False),
    ("ultimate-yearly", "Ultimate (yearly)", SUBSCRIPTION, 79900, 34200, "year", False),
]


def seed(apps, schema_editor):
    Product = apps.get_model("credits", "Product")
    for order, (slug, name, kind, price, credits, interval, subscribers_only) in enumerate(PRODUCTS, 1):
        Product.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "price": price,
                "credits": credits,
                "currency": "usd",
                "interval": interval,
                "validity_days": 365 if kind == PACK else None,
                "subscribers_only": subscribers_only,
                "sort_order": order * 10,
            },
        )


def unseed(apps, schema_editor):
    Product = apps.get_model("credits", "Product")
    Product.objects.filter(slug__in=[row[0] for row in PRODUCTS], orders__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("credits", "0003_billing_products_orders")]

    operations = [migrations.RunPython(seed, unseed)]
