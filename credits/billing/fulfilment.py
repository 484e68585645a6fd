"""What a provider event does to orders, subscriptions and — through the ledger — credits.

Each handler runs inside the event's transaction (``credits.billing.events``) and locks
the order row before touching its payments or subscription; the ledger (``credits.services``)
locks the user's account after that. A payment is granted once: its ``(provider,
payment_ref)`` and its package's order number are unique. An event about a payment or
subscription not seen yet answers WAITING with what it waits for; ``events`` applies it
when that arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from credits import services, signals
from credits.billing.models import (
    EventOutcome,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    ProductKind,
    Subscription,
    SubscriptionStatus,
)
from credits.billing.providers.base import BillingEvent, EventKind
from credits.models import TransType

logger = logging.getLogger(__name__)

FINAL_STATUSES = (SubscriptionStatus.CANCELED,)
REFUNDED_STATUSES = (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.DISPUTED)
INTERVAL_DAYS = {"month": 31, "year": 366}


@dataclass(frozen=True)
class Outcome:
    outcome: str
    detail: str = ""
    waiting_for: str = ""
    unlocked: tuple[str, ...] = ()  # ids that became known: events waiting for them can go on


def _ignored(detail: str) -> Outcome:
    return Outcome(EventOutcome.IGNORED, detail)


def _waiting(ref: str, detail: str) -> Outcome:
    return Outcome(EventOutcome.WAITING, detail, waiting_for=ref) if ref else _ignored(detail)


def _locked_order(*, order_no: str = "", pk: int | None = None) -> Order | None:
    # Only the order row, and in a mode foreign-key checks pass: the ledger's writers insert
    # rows that point at the user, and must not queue behind us while we wait for them.
    orders = Order.objects.select_for_update(of=("self",), no_key=True).select_related("product", "user")
    if pk is not None:
        return orders.filter(pk=pk).first()
    return orders.filter(order_no=order_no).first() if order_no else None


def _mark_paid(order: Order, when: datetime) -> None:
    """Mark ``order`` paid and save it; announce the change the first time it happens."""
    became_paid = order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED)
    if became_paid:
        order.status = OrderStatus.PAID
    order.paid_at = order.paid_at or when
    order.save()
    if became_paid:
        # Credits are granted by now and every lock of ours is held: receivers lock last.
        signals.order_paid.send(sender=Order, order=order)


def _record_payment(
    order: Order,
    event: BillingEvent,
    *,
    kind: str,
    package_order_no: str,
    credits: int,
    expires_at: datetime | None,
) -> Payment | None:
    """The payment and its grant, once; None if this payment had been recorded before."""
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order,
                kind=kind,
                provider=event.provider,
                payment_ref=event.payment_ref,
                charge_ref=event.charge_ref,
                package_order_no=package_order_no[:100],
                credits=credits,
                amount=event.amount if event.amount is not None else order.amount,
                currency=event.currency or order.currency,
                period_start=event.period_start,
                period_end=event.period_end,
            )
    except IntegrityError:
        return None
    if credits:
        services.grant(
            order.user,
            credits,
            trans_type=TransType.ORDER_PAY if kind == PaymentKind.PACK else TransType.SUBSCRIPTION,
            order_no=payment.package_order_no,
            expires_at=expires_at,
            remark=f"{order.product.name} ({order.order_no})",
        )
    return payment


def _subscription_for(order: Order, event: BillingEvent) -> Subscription:
    """The order's subscription (created on first sight), locked; the order is locked already."""
    subscription, _ = Subscription.objects.select_for_update().get_or_create(
        order=order,
        defaults={
            "user_id": order.user_id,
            "product_id": order.product_id,
            "provider": event.provider,
            "subscription_ref": event.subscription_ref,
            "customer_ref": event.customer_ref,
        },
    )
    if event.customer_ref and not subscription.customer_ref:
        subscription.customer_ref = event.customer_ref
    return subscription


def _order_of_subscription(event: BillingEvent) -> Order | None:
    order_id = (
        Subscription.objects.filter(provider=event.provider, subscription_ref=event.subscription_ref)
        .values_list("order_id", flat=True)
        .first()
    )
    if order_id is not None:
        return _locked_order(pk=order_id)
    return _locked_order(order_no=event.order_no)


def checkout_completed(event: BillingEvent) -> Outcome:
    order = _locked_order(order_no=event.order_no)
    if order is None or order.provider != event.provider:
        return _ignored("no order of ours has this order number")
    if not event.paid:
        return _ignored("checkout completed but not paid yet")
    if event.customer_ref and not order.customer_ref:
        order.customer_ref = event.customer_ref
    unlocked = [order.order_no]
    if order.kind == ProductKind.PACK:
        if not order.payments.exists():
            payment = _record_payment(
                order,
                event
                if event.payment_ref
                else replace(event, payment_ref=f"{order.checkout_id or order.order_no}"),
                kind=PaymentKind.PACK,
                package_order_no=order.order_no,
                credits=order.credits,
                expires_at=timezone.now() + timedelta(days=order.validity_days or 365),
            )
            if payment is not None:
                unlocked += [payment.payment_ref, payment.charge_ref]
    elif event.subscription_ref:
        subscription = _subscription_for(order, event)
        subscription.save()
        unlocked.append(subscription.subscription_ref)
    _mark_paid(order, event.created_at)
    return Outcome(EventOutcome.APPLIED, unlocked=tuple(unlocked))


def period_paid(event: BillingEvent) -> Outcome:
    if not event.subscription_ref or not event.payment_ref:
        return _ignored("the period has no subscription or payment id")
    order = _order_of_subscription(event)
    if order is None:
        return _waiting(event.subscription_ref, "waiting for the checkout of this subscription")
    if order.kind != ProductKind.SUBSCRIPTION or order.provider != event.provider:
        return _ignored("the order is not a subscription of this provider")
    subscription = _subscription_for(order, event)
    now = timezone.now()
    period_end = event.period_end or (event.period_start or event.created_at) + timedelta(
        days=INTERVAL_DAYS.get(order.interval or "month", 31)
    )
    # Credits of a period expire at its end: a period reported after it ended grants nothing.
    credits = order.credits if period_end > now else 0
    payment = _record_payment(
        order,
        replace(event, period_end=period_end),
        kind=PaymentKind.PERIOD,
        package_order_no=f"SUB-{event.provider}-{event.payment_ref}",
        credits=credits,
        expires_at=period_end,
    )
    if subscription.current_period_end is None or period_end > subscription.current_period_end:
        subscription.current_period_end = period_end
    if subscription.status not in FINAL_STATUSES and _is_newer(event, subscription):
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.status_at = event.created_at
    subscription.save()
    _mark_paid(order, event.created_at)
    unlocked = [order.order_no, event.subscription_ref, event.payment_ref, event.charge_ref]
    detail = "" if payment is not None else "this period had been recorded before"
    return Outcome(EventOutcome.APPLIED, detail, unlocked=tuple(unlocked))


def _is_newer(event: BillingEvent, subscription: Subscription) -> bool:
    return subscription.status_at is None or event.created_at >= subscription.status_at


def subscription_status(event: BillingEvent) -> Outcome:
    if not event.subscription_ref:
        return _ignored("no subscription id")
    order = _order_of_subscription(event)
    if order is None:
        return _waiting(event.subscription_ref, "waiting for the checkout of this subscription")
    subscription = _subscription_for(order, event)
    if subscription.status in FINAL_STATUSES or not _is_newer(event, subscription):
        subscription.save()
        return _ignored("the subscription already has a newer or final state")
    if event.subscription_status:
        subscription.status = event.subscription_status
    if event.cancel_at_period_end is not None:
        subscription.cancel_at_period_end = event.cancel_at_period_end
    if event.period_end and (
        subscription.current_period_end is None or event.period_end > subscription.current_period_end
    ):
        subscription.current_period_end = event.period_end
    subscription.status_at = event.created_at
    subscription.save()
    return Outcome(EventOutcome.APPLIED, unlocked=(event.subscription_ref,))


def _payment_for_refund(event: BillingEvent) -> tuple[Payment | None, str]:
    """The payment a refund or dispute is about, or None and what to wait for."""
    refs = [ref for ref in event.refund_refs if ref]
    if refs:
        payment = Payment.objects.filter(
            Q(payment_ref__in=refs) | Q(charge_ref__in=refs), provider=event.provider
        ).first()
        if payment is not None:
            return payment, ""
    order = Order.objects.filter(order_no=event.order_no).first() if event.order_no else None
    if order is not None and order.kind == ProductKind.PACK:
        payment = order.payments.first()
        return payment, "" if payment else order.order_no
    return None, refs[0] if refs else ""


def refund_or_dispute(event: BillingEvent) -> Outcome:
    payment, waiting_for = _payment_for_refund(event)
    if payment is None:
        return _waiting(waiting_for, "waiting for the payment this refund or dispute is about")
    order = _locked_order(pk=payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    reported = event.refunded or 0
    if event.kind == EventKind.DISPUTE:
        payment.disputed_amount = max(payment.disputed_amount, reported)
    else:
        payment.refunded_amount = max(payment.refunded_amount, reported)
    paid = event.amount or payment.amount
    _claw_back(payment, order, paid, remark=f"{event.event_type} {event.event_id}")
    _update_order(order)
    return Outcome(EventOutcome.APPLIED)


def _claw_back(
    payment: Payment, order: Order, paid: int, *, remark: str, actor: AbstractBaseUser | None = None
) -> None:
    """Take back ``floor(credits × returned / paid)`` credits in total; what was spent already
    stays spent and is counted as shortfall."""
    returned = max(payment.refunded_amount, payment.disputed_amount)
    # A free payment (a 100 % coupon) refunded or disputed at all gives everything back.
    due = payment.credits * min(returned, paid) // paid if paid > 0 else (payment.credits if returned else 0)
    missing = due - payment.credits_refunded - payment.refund_shortfall
    if missing > 0:
        taken = services.revoke(payment.package_order_no, missing, remark=remark, actor=actor)
        payment.credits_refunded += taken
        payment.refund_shortfall += missing - taken
    payment.save()


def refund_credits(order: Order, *, actor: AbstractBaseUser | None = None) -> int:
    """Staff: take back every unspent credit the order granted (the money is refunded at the
    provider); what is spent or held stays and is recorded as shortfall. Returns credits taken."""
    taken_total = 0
    with transaction.atomic():
        order = _locked_order(pk=order.pk)
        for payment in order.payments.select_for_update().order_by("id"):
            outstanding = payment.credits - payment.credits_refunded
            if outstanding > 0:
                taken = services.revoke(
                    payment.package_order_no,
                    outstanding,
                    remark=f"Staff refund of {order.order_no}",
                    actor=actor,
                )
                payment.credits_refunded += taken
                taken_total += taken
            payment.refund_shortfall = payment.credits - payment.credits_refunded
            payment.refunded_amount = max(payment.refunded_amount, payment.amount)
            payment.save()
        _update_order(order)
    return taken_total


def _update_order(order: Order) -> None:
    before = (order.status, order.refunded_amount, order.credits_refunded)
    payments = list(order.payments.all())
    order.refunded_amount = sum(p.refunded_amount for p in payments)
    order.credits_refunded = sum(p.credits_refunded for p in payments)
    order.refund_shortfall = sum(p.refund_shortfall for p in payments)
    if any(p.disputed_amount for p in payments):
        order.status = OrderStatus.DISPUTED
    elif payments and all(p.refunded_amount >= p.amount for p in payments):
        order.status = OrderStatus.REFUNDED
    elif any(p.refunded_amount for p in payments):
        order.status = OrderStatus.PARTIALLY_REFUNDED
    order.save()
    after = (order.status, order.refunded_amount, order.credits_refunded)
    if after != before and order.status in REFUNDED_STATUSES:
        signals.order_refunded.send(sender=Order, order=order)


HANDLERS: dict[str, Callable[[BillingEvent], Outcome]] = {
    EventKind.CHECKOUT_COMPLETED: checkout_completed,
    EventKind.PERIOD_PAID: period_paid,
    EventKind.SUBSCRIPTION_STATUS: subscription_status,
    EventKind.REFUND: refund_or_dispute,
    EventKind.DISPUTE: refund_or_dispute,
}


def apply(event: BillingEvent) -> Outcome:
    handler = HANDLERS.get(event.kind)
    if handler is None:
        return _ignored(f"Kensa does not act on {event.event_type}")
    return handler(event)
