"""Parallel deliveries on PostgreSQL: once per event, and the ledger stays consistent."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from credits import services
from credits.billing import events
from credits.billing.models import Order
from credits.billing.providers import billing_provider
from credits.errors import InsufficientCreditsError
from credits.models import CreditPackage, CreditTransaction
from credits.selectors import ledger_problems
from tests.credits.billing.conftest import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def signed(event_type: str, data: dict) -> tuple[bytes, dict]:
    return billing_provider("demo").signed_event(event_type, data)


def test_the_same_paid_event_five_times_in_parallel_grants_once(user):
    order = order_for(user, "starter-pack")
    body, headers = signed("checkout.completed", {"order_no": order.order_no, "payment_ref": "pay_1"})

    results = in_threads([lambda: events.handle_event("demo", body, headers)] * 5)

    assert sorted(r.outcome for r in results) == [
        "applied",
        "duplicate",
        "duplicate",
        "duplicate",
        "duplicate",
    ]
    assert CreditPackage.objects.filter(user=user).count() == 1
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_one_period_reported_by_five_different_events_grants_once(user):
    order = order_for(user, "basic-monthly")
    now = datetime.now(UTC)
    data = {
        "order_no": order.order_no,
        "subscription_ref": "demo_sub_1",
        "payment_ref": "period_1",
        "period_start": int(now.timestamp()),
        "period_end": int((now + timedelta(days=30)).timestamp()),
    }
    deliveries = [signed("subscription.paid", data) for _ in range(5)]

    results = in_threads([lambda d=d: events.handle_event("demo", *d) for d in deliveries])

    assert all(r.outcome == "applied" for r in results), results
    assert CreditPackage.objects.filter(user=user).count() == 1


def test_mixed_parallel_purchases_renewals_refunds_and_holds_keep_the_ledger_consistent():
    users = [UserFactory() for _ in range(3)]
    rng = random.Random(12)
    now = datetime.now(UTC)
    calls: list[Callable[[], object]] = []
    for user in users:
        services.grant(user, 50, trans_type="SYSTEM_ADJUST", order_no=f"seed-{user.pk}")
        pack = order_for(user, "starter-pack")
        Order.objects.filter(pk=pack.pk).update(idempotency_key="")
        subscription = order_for(user, "basic-monthly")
        pay_pack = signed(
            "checkout.completed", {"order_no": pack.order_no, "payment_ref": f"pay_{pack.order_no}"}
        )
        refund_pack = signed(
            "refund.created",
            {
                "order_no": pack.order_no,
                "payment_ref": f"pay_{pack.order_no}",
                "refunded": 700,
                "amount": 1490,
            },
        )
        periods = [
            signed(
                "subscription.paid",
                {
                    "order_no": subscription.order_no,
                    "subscription_ref": f"sub_{subscription.order_no}",
                    "payment_ref": f"period_{subscription.order_no}_{n}",
                    "period_start": int((now + timedelta(days=30 * n)).timestamp()),
                    "period_end": int((now + timedelta(days=30 * (n + 1))).timestamp()),
                },
            )
            for n in range(3)
        ]
        refund_period = signed(
            "refund.created",
            {
                "order_no": subscription.order_no,
                "payment_ref": f"period_{subscription.order_no}_1",
                "refunded": 990,
                "amount": 990,
            },
        )
        deliveries = [pay_pack, pay_pack, refund_pack, *periods, periods[0], refund_period]
        calls += [lambda d=d: events.handle_event("demo", *d) for d in deliveries]
        for n in range(4):

            def spend(user=user, n=n) -> object:
                try:
                    services.hold(user, 40, reference=f"v-{user.pk}-{n}")
                except InsufficientCreditsError:
                    return "short"
                return services.settle(f"v-{user.pk}-{n}") if n % 2 else services.release(f"v-{user.pk}-{n}")

            calls.append(spend)
    rng.shuffle(calls)

    results = in_threads(calls)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert ledger_problems() == []
    call_command("credits_verify")  # exits non-zero on any mismatch
    for user in users:
        packages = CreditPackage.objects.filter(user=user).exclude(order_no__startswith="seed-")
        assert packages.count() == 4  # one pack and three periods, each once
        assert CreditTransaction.objects.filter(user=user, trans_type="REFUND").count() <= 2
