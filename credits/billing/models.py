"""Products on sale, orders, subscriptions, the payments they received, and processed events.

Imported by ``credits.models`` so the ``credits`` app owns these tables; nothing here
imports the ledger: a payment names the package it granted by its order number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ProductKind(models.TextChoices):
    PACK = "pack", "Credit pack"
    SUBSCRIPTION = "subscription", "Subscription"


class Interval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class Product(models.Model):
    """What can be bought. Orders copy credits and price, so editing a product changes no past order."""

    slug = models.SlugField(max_length=64, unique=True, help_text="The public id, e.g. starter-pack.")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=ProductKind.choices)
    credits = models.PositiveIntegerField()
    price = models.PositiveIntegerField(help_text="In minor units (cents): 1490 = 14.90.")
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=5, choices=Interval.choices, null=True, blank=True)
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Packs: days until the credits expire. Subscriptions: empty."
    )
    subscribers_only = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)
    active = models.BooleanField(default=True, help_text="On sale; inactive products cannot be bought.")
    stripe_price_id = models.CharField(
        max_length=100, blank=True, help_text="Optional Stripe Price; empty = priced from this product."
    )
    creem_product_id = models.CharField(
        max_length=100, blank=True, help_text="The Creem product (prod_...) to sell; required with Creem."
    )

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="billing_product_credits_positive"),
            models.CheckConstraint(
                condition=Q(kind=ProductKind.PACK, interval__isnull=True, validity_days__gt=0)
                | Q(kind=ProductKind.SUBSCRIPTION, interval__isnull=False, validity_days__isnull=True),
                name="billing_product_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PAID = "PAID", "Paid"
    REFUNDED = "REFUNDED", "Refunded"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"
    DISPUTED = "DISPUTED", "Disputed"
    EXPIRED = "EXPIRED", "Expired"


class Order(models.Model):
    """One checkout. A subscription's order collects the payments of all its periods."""

    order_no = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_orders"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=12, choices=ProductKind.choices)
    credits = models.PositiveIntegerField()
    amount = models.PositiveIntegerField(help_text="Price in minor units when ordered.")
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=Interval.choices, null=True, blank=True)
    validity_days = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    provider = models.CharField(max_length=16)
    checkout_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    customer_ref = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)
    credits_refunded = models.PositiveIntegerField(default=0, help_text="Credits taken back.")
    refund_shortfall = models.PositiveIntegerField(
        default=0, help_text="Credits a refund or dispute should have taken back but were already spent."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="When the checkout stops being offered.")
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="billing_order_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="billing_order_user_newest"),
            models.Index(fields=["provider", "checkout_id"], name="billing_order_checkout"),
        ]

    def __str__(self) -> str:
        return self.order_no


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    PAST_DUE = "PAST_DUE", "Past due (payment being retried)"
    CANCELED = "CANCELED", "Canceled"
    EXPIRED = "EXPIRED", "Expired"


class Subscription(models.Model):
    """A subscription at a provider; its paid periods are payments of its order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_subscriptions"
    )
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="subscription")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=16)
    subscription_ref = models.CharField(max_length=255)
    customer_ref = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When the provider said what ``status`` is: an older event never overrides a newer one.
    status_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "subscription_ref"], name="billing_subscription_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_ref} ({self.status})"


class PaymentKind(models.TextChoices):
    PACK = "pack", "Pack purchase"
    PERIOD = "period", "Subscription period"


class Payment(models.Model):
    """Money received for an order: a pack, or one subscription period. Granted once, by its
    unique ``(provider, payment_ref)`` and its package's unique order number."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=PaymentKind.choices)
    provider = models.CharField(max_length=16)
    # Pack: Stripe's payment intent, Creem's order; period: Stripe's invoice, Creem's transaction.
    payment_ref = models.CharField(max_length=255)
    # Another id refunds may name instead (Stripe: the invoice's payment intent).
    charge_ref = models.CharField(max_length=255, blank=True, db_index=True)
    package_order_no = models.CharField(max_length=100, help_text="The ledger package it granted.")
    credits = models.PositiveIntegerField(help_text="Credits granted (0: the period had already ended).")
    amount = models.PositiveIntegerField(help_text="Paid, in minor units.")
    currency = models.CharField(max_length=3, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)
    disputed_amount = models.PositiveIntegerField(default=0)
    credits_refunded = models.PositiveIntegerField(default=0)
    refund_shortfall = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "payment_ref"], name="billing_payment_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_ref} → {self.package_order_no}"


class EventOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Nothing to do"
    WAITING = "waiting", "Waiting for the payment or subscription it refers to"


class ProcessedBillingEvent(models.Model):
    """Each provider event once: the unique (provider, event_id) row is written in the same
    transaction that applies the event, so a repeat or a parallel copy changes nothing."""

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=EventOutcome.choices)
    # What a WAITING event waits for (a payment or subscription id, or an order number).
    waiting_for = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, help_text="The event as parsed (for applying it later).")
    received_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="billing_event_once"),
        ]
        indexes = [
            models.Index(
                fields=["provider", "waiting_for"],
                condition=Q(outcome="waiting"),
                name="billing_event_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.outcome})"
