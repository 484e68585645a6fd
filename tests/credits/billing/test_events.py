"""The event pipeline: once per event id, any order, bad input refused, holds untouched."""

from __future__ import annotations

import pytest

from credits import services
from credits.billing import events
from credits.billing.errors import BillingEventTooLargeError, UnknownBillingProviderNameError
from credits.billing.models import OrderStatus, ProcessedBillingEvent
from credits.billing.providers import billing_provider
from credits.billing.views import pay
from credits.models import CreditPackage, CreditTransaction
from credits.selectors import balance_of, ledger_problems
from tests.credits.billing.conftest import order_for

pytestmark = pytest.mark.django_db


def demo_event(event_type: str, data: dict, **kwargs) -> tuple[bytes, dict]:
    return billing_provider("demo").signed_event(event_type, data, **kwargs)


def refund_of(order, refunded: int) -> tuple[bytes, dict]:
    return demo_event(
        "refund.created",
        {
            "order_no": order.order_no,
            "payment_ref": f"demo_pay_{order.order_no}",
            "refunded": refunded,
            "amount": order.amount,
        },
    )


def test_the_same_event_delivered_again_changes_nothing(user):
    order = order_for(user, "starter-pack")
    body, headers = demo_event("checkout.completed", {"order_no": order.order_no, "payment_ref": "pay_1"})

    first = events.handle_event("demo", body, headers)
    again = events.handle_event("demo", body, headers)

    assert (first.outcome, again.outcome) == ("applied", "duplicate")
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert ProcessedBillingEvent.objects.count() == 1


def test_refund_before_the_payment_is_applied_when_the_payment_arrives(user):
    order = order_for(user, "starter-pack")

    early = events.handle_event("demo", *refund_of(order, order.amount))
    assert early.outcome == "waiting"
    assert not CreditPackage.objects.exists()
    pay(order)

    order.refresh_from_db()
    assert (order.status, order.credits_refunded) == (OrderStatus.REFUNDED, 280)
    assert balance_of(user).available == 0
    assert list(
        CreditTransaction.objects.filter(user=user).order_by("id").values_list("trans_type", "credits")
    ) == [
        ("ORDER_PAY", 280),
        ("REFUND", -280),
    ]


def test_refund_never_takes_credits_held_by_a_running_generation(user):
    order = order_for(user, "starter-pack")
    pay(order)
    services.hold(user, 100, reference="video-running")

    events.handle_event("demo", *refund_of(order, order.amount))

    order.refresh_from_db()
    assert (order.credits_refunded, order.refund_shortfall) == (180, 100)
    assert balance_of(user).available == 0 and balance_of(user).frozen == 100
    assert services.settle("video-running") is True
    assert ledger_problems(user) == []


def test_refund_after_credits_were_spent_records_the_shortfall(user):
    order = order_for(user, "starter-pack")
    pay(order)
    services.hold(user, 250, reference="video-done")
    services.settle("video-done")

    events.handle_event("demo", *refund_of(order, order.amount))

    order.refresh_from_db()
    assert (order.status, order.credits_refunded, order.refund_shortfall) == (OrderStatus.REFUNDED, 30, 250)
    assert balance_of(user).available == 0


def test_a_huge_body_is_refused_before_anything_is_read():
    with pytest.raises(BillingEventTooLargeError) as refused:
        events.handle_event("demo", b"{" + b" " * (600 * 1024) + b"}", {})

    assert (refused.value.status_code, refused.value.code) == (413, "payload_too_large")
    assert not ProcessedBillingEvent.objects.exists()


def test_an_unknown_provider_is_not_found():
    with pytest.raises(UnknownBillingProviderNameError) as refused:
        events.handle_event("paypal", b"{}", {})

    assert refused.value.status_code == 404


def test_a_demo_event_older_than_300_seconds_is_refused(user):
    import time

    from credits.billing.errors import InvalidBillingSignatureError

    order = order_for(user, "starter-pack")
    body, headers = demo_event("checkout.completed", {"order_no": order.order_no}, at=int(time.time()) - 301)

    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event("demo", body, headers)

    assert not CreditPackage.objects.exists()


def test_an_event_for_an_order_of_another_provider_is_ignored(user, settings):
    settings.BILLING_PROVIDER = "demo"
    order = order_for(user, "starter-pack")
    order.provider = "stripe"
    order.save()

    result = events.handle_event("demo", *demo_event("checkout.completed", {"order_no": order.order_no}))

    assert result.outcome == "ignored"
    assert not CreditPackage.objects.exists()
