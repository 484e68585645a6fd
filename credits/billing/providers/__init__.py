"""The payment provider registry: ``BILLING_PROVIDER`` (demo, stripe, creem) → an adapter.

Adapters are built on every call from the current settings (no I/O), so tests and reloads
that change keys or API bases apply at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings

from credits.billing.providers.base import BillingProvider
from credits.billing.providers.creem import CreemProvider
from credits.billing.providers.demo import DemoProvider
from credits.billing.providers.stripe import StripeProvider

__all__ = ["UnknownBillingProviderError", "billing_provider", "billing_provider_names"]


class UnknownBillingProviderError(KeyError):
    """No payment provider has this name."""


def _stripe() -> BillingProvider:
    return StripeProvider(
        secret_key=settings.STRIPE_SECRET_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=settings.STRIPE_API_BASE,
    )


def _creem() -> BillingProvider:
    return CreemProvider(
        api_key=settings.CREEM_API_KEY,
        webhook_secret=settings.CREEM_WEBHOOK_SECRET,
        api_base=settings.CREEM_API_BASE,
    )


def _demo() -> BillingProvider:
    return DemoProvider(secret_key=settings.SECRET_KEY)


_REGISTRY: Mapping[str, Callable[[], BillingProvider]] = {"demo": _demo, "stripe": _stripe, "creem": _creem}


def billing_provider_names() -> list[str]:
    return list(_REGISTRY)


def billing_provider(name: str | None = None) -> BillingProvider:
    """The named adapter, or the configured one (``BILLING_PROVIDER``)."""
    try:
        return _REGISTRY[name or settings.BILLING_PROVIDER]()
    except KeyError:
        raise UnknownBillingProviderError(name) from None
