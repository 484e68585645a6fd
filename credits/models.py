"""The credits ledger: accounts, packages (grants), holds and the append-only transaction log.

``credits`` is a leaf: a hold or a transaction refers to what it pays for (a video) by a
string reference, never by a foreign key. Only ``credits.services`` writes these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class TransType(models.TextChoices):
    NEW_USER = "NEW_USER", "New-user gift"
    ORDER_PAY = "ORDER_PAY", "Purchase"
    SUBSCRIPTION = "SUBSCRIPTION", "Subscription"
    VIDEO_CONSUME = "VIDEO_CONSUME", "Video generation"
    EXPIRED = "EXPIRED", "Expired"
    SYSTEM_ADJUST = "SYSTEM_ADJUST", "Staff adjustment"
    # Credits a refund or dispute took back from the package it paid for (billing).
    REFUND = "REFUND", "Refund"


# Transaction types that bring credits in as a package.
GRANT_TYPES = frozenset(
    {TransType.NEW_USER, TransType.ORDER_PAY, TransType.SUBSCRIPTION, TransType.SYSTEM_ADJUST}
)


class CreditAccount(models.Model):
    """One per user. Its row is the lock every ledger write takes; its counters make reads one query.

    ``available`` = Σ package remaining, ``frozen`` = Σ package frozen = Σ open holds,
    ``used`` = credits consumed all-time, ``total`` = credits ever received,
    ``sequence`` = number of the user's last transaction.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_account"
    )
    available = models.BigIntegerField(default=0)
    frozen = models.BigIntegerField(default=0)
    used = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    sequence = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0, frozen__gte=0, used__gte=0, total__gte=0),
                name="credit_account_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Credits of {self.user}"


class CreditPackage(models.Model):
    """A grant of credits. ``amount`` = remaining (spendable) + frozen (held) + spent/expired."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_packages"
    )
    trans_type = models.CharField(max_length=20, choices=TransType.choices)
    order_no = models.CharField(max_length=100, unique=True)
    amount = models.PositiveBigIntegerField()
    remaining = models.BigIntegerField()
    frozen = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    remark = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_package_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0), name="credit_package_remaining_non_negative"
            ),
            models.CheckConstraint(condition=Q(frozen__gte=0), name="credit_package_frozen_non_negative"),
            models.CheckConstraint(
                condition=Q(remaining__lte=F("amount") - F("frozen")), name="credit_package_within_amount"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "expires_at", "created_at"], name="credit_package_fifo"),
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="credit_package_due"),
        ]

    def __str__(self) -> str:
        return f"{self.order_no} ({self.remaining}/{self.amount})"


class HoldState(models.TextChoices):
    HOLDING = "HOLDING", "Holding"
    SETTLED = "SETTLED", "Settled"
    RELEASED = "RELEASED", "Released"


class CreditHold(models.Model):
    """Credits frozen for one piece of work (``reference``, e.g. a video uuid); ends exactly once."""

    reference = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_holds")
    amount = models.PositiveBigIntegerField()
    state = models.CharField(max_length=10, choices=HoldState.choices, default=HoldState.HOLDING)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(state=HoldState.HOLDING, ended_at__isnull=True)
                | (~Q(state=HoldState.HOLDING) & Q(ended_at__isnull=False)),
                name="credit_hold_ended_when_not_holding",
            ),
        ]
        indexes = [models.Index(fields=["user", "state"], name="credit_hold_user_state")]

    def __str__(self) -> str:
        return f"{self.reference} ({self.amount}, {self.state})"


class CreditHoldAllocation(models.Model):
    """How many of a hold's credits came from which package (settle and release undo per package)."""

    hold = models.ForeignKey(CreditHold, on_delete=models.CASCADE, related_name="allocations")
    package = models.ForeignKey(CreditPackage, on_delete=models.PROTECT, related_name="allocations")
    amount = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hold", "package"], name="credit_allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.package_id}"


class CreditTransaction(models.Model):
    """One ledger entry; never updated or deleted.

    ``balance_after`` = available + frozen once this entry applied = the previous entry's
    ``balance_after`` + ``credits``; ``sequence`` numbers a user's entries 1, 2, 3, ...
    """

    trans_no = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_transactions"
    )
    sequence = models.PositiveBigIntegerField()
    trans_type = models.CharField(max_length=20, choices=TransType.choices)
    credits = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    reference = models.CharField(max_length=64, null=True, blank=True)
    package = models.ForeignKey(
        CreditPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    remark = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sequence"], name="credit_transaction_user_sequence"),
            models.CheckConstraint(condition=~Q(credits=0), name="credit_transaction_non_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="credit_transaction_balance_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="credit_tx_user_newest"),
            models.Index(fields=["user", "trans_type", "-id"], name="credit_tx_user_type_newest"),
            models.Index(fields=["reference"], name="credit_tx_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.trans_no} {self.trans_type} {self.credits:+d}"


class AdjustmentRequest(models.Model):
    """A staff adjustment sent with an ``Idempotency-Key``: what was asked and the first answer.

    The unique (actor, key) pair is what makes a retried or parallel POST adjust once;
    kept as long as the ledger entry it answered for (staff adjustments are few).
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    entry = models.OneToOneField(CreditTransaction, on_delete=models.CASCADE, related_name="+")
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="credit_adjustment_actor_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.entry_id}"


# Billing (products, orders, subscriptions) lives in credits.billing; its tables belong to this app.
from credits.billing.models import (  # noqa: E402, F401
    Order,
    Payment,
    ProcessedBillingEvent,
    Product,
    Subscription,
)
