"""Reads of billing. Nothing here writes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from credits.billing.models import Order, Product, Subscription, SubscriptionStatus

# A subscription that still bills (a failed renewal being retried included): a second one is refused.
BILLING_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(active=True).order_by("sort_order", "id")


def orders_of(user: AbstractBaseUser) -> QuerySet[Order]:
    return Order.objects.filter(user_id=user.pk).select_related("product").order_by("-created_at", "-id")


def current_subscription(user: AbstractBaseUser) -> Subscription | None:
    """The user's subscription that still bills, newest first (None when there is none)."""
    return (
        Subscription.objects.filter(user_id=user.pk, status__in=BILLING_STATUSES)
        .select_related("product")
        .order_by("-created_at", "-id")
        .first()
    )


def is_subscriber(user: AbstractBaseUser) -> bool:
    """Active and paid up: the current period has not ended."""
    return Subscription.objects.filter(
        Q(current_period_end__isnull=True) | Q(current_period_end__gt=timezone.now()),
        user_id=user.pk,
        status=SubscriptionStatus.ACTIVE,
    ).exists()


def customer_ref_of(user: AbstractBaseUser, provider: str) -> str:
    """The user's customer id at ``provider`` (from their latest subscription or paid order)."""
    ref = (
        Subscription.objects.filter(user_id=user.pk, provider=provider)
        .exclude(customer_ref="")
        .order_by("-created_at")
        .values_list("customer_ref", flat=True)
        .first()
    )
    if ref:
        return ref
    return (
        Order.objects.filter(user_id=user.pk, provider=provider)
        .exclude(customer_ref="")
        .order_by("-created_at")
        .values_list("customer_ref", flat=True)
        .first()
        or ""
    )
