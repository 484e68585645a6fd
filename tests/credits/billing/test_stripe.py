"""Stripe over real HTTP (a loopback server that speaks its API) and its signed events."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from credits.billing import events
from credits.billing.errors import InvalidBillingSignatureError, MalformedBillingEventError
from credits.billing.models import Order, OrderStatus, ProcessedBillingEvent, SubscriptionStatus
from credits.models import CreditPackage, CreditTransaction
from credits.selectors import balance_of, ledger_problems
from tests.credits.billing.conftest import STRIPE_WHSEC, order_for
from tests.fakes.stripe_server import FakeStripeServer

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/credit/checkout"


def deliver(event_type: str, obj: dict, **kwargs) -> events.EventResult:
    body, headers = FakeStripeServer.event(event_type, obj, secret=STRIPE_WHSEC, **kwargs)
    return events.handle_event("stripe", body, headers)


def session_completed(order: Order, **extra) -> dict:
    return {
        "id": f"cs_test_{order.order_no}",
        "object": "checkout.session",
        "client_reference_id": order.order_no,
        "mode": "payment" if order.kind == "pack" else "subscription",
        "payment_status": "paid",
        "payment_intent": f"pi_{order.order_no}" if order.kind == "pack" else None,
        "subscription": f"sub_{order.order_no}" if order.kind == "subscription" else None,
        "customer": "cus_kensa",
        "amount_total": order.amount,
        "currency": "usd",
        **extra,
    }


def invoice(order: Order, number: int, *, start: datetime, days: int = 30) -> dict:
    """An invoice of a newer API version: the subscription under parent.subscription_details."""
    return {
        "id": f"in_{order.order_no}_{number}",
        "object": "invoice",
        "customer": "cus_kensa",
        "amount_paid": order.amount,
        "currency": "usd",
        "billing_reason": "subscription_create" if number == 1 else "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": f"sub_{order.order_no}",
                "metadata": {"order_no": order.order_no},
            },
        },
        "lines": {
            "data": [
                {
                    "period": {
                        "start": int(start.timestamp()),
                        "end": int((start + timedelta(days=days)).timestamp()),
                    }
                }
            ]
        },
        "payments": {"data": [{"payment": {"payment_intent": f"pi_in_{order.order_no}_{number}"}}]},
    }


# --- checkout and portal over HTTP ------------------------------------------------------------


def test_checkout_opens_a_stripe_checkout_session(auth_client, user, stripe_server):
    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 201
    order = Order.objects.get(user=user)
    data = response.json()["data"]
    assert data["provider"] == "stripe"
    assert data["checkoutUrl"] == f"https://checkout.stripe.test/c/pay/{order.checkout_id}"
    [request] = stripe_server.requests_to("/v1/checkout/sessions")
    assert request.headers["Idempotency-Key"] == f"kensa-checkout-{order.order_no}"
    form = request.form
    assert (form["mode"], form["client_reference_id"]) == ("payment", order.order_no)
    assert form["line_items"] == [
        {
            "price_data": {
                "currency": "usd",
                "unit_amount": "1490",
                "product_data": {"name": "Starter pack"},
            },
            "quantity": "1",
        }
    ]
    assert form["payment_intent_data"]["metadata"] == {"order_no": order.order_no, "user_id": str(user.pk)}
    assert form["success_url"] == f"https://kensa.test/done?order={order.order_no}"
    assert form["customer_email"] == "alice@example.com"
    assert int(form["expires_at"]) == int(order.expires_at.timestamp())


def test_subscription_checkout_is_recurring_with_the_order_in_its_metadata(auth_client, user, stripe_server):
    auth_client.post(CHECKOUT, {"productId": "pro-yearly"}, format="json")

    order = Order.objects.get(user=user)
    form = stripe_server.requests_to("/v1/checkout/sessions")[0].form
    assert form["mode"] == "subscription"
    assert form["line_items"][0]["price_data"]["recurring"] == {"interval": "year"}
    assert form["subscription_data"]["metadata"]["order_no"] == order.order_no


def test_stripe_failure_answers_502_and_kills_the_order(auth_client, user, stripe_server):
    stripe_server.fail_next(500, times=3)

    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 502
    assert response.json() == {
        "success": False,
        "error": "The payment provider could not be reached; please try again in a minute.",
        "code": "billing_unavailable",
    }
    assert Order.objects.get(user=user).status == OrderStatus.EXPIRED


def test_portal_opens_a_stripe_billing_portal_session(auth_client, user, stripe_server):
    order = order_for(user, "basic-monthly")
    deliver("checkout.session.completed", session_completed(order))

    response = auth_client.post("/api/v1/credit/portal", {}, format="json")

    assert response.status_code == 200
    [request] = stripe_server.requests_to("/v1/billing_portal/sessions")
    assert request.form["customer"] == "cus_kensa"
    assert response.json()["data"]["url"].startswith("https://billing.stripe.test/p/session/")


# --- events ------------------------------------------------------------------------------------


def test_paid_checkout_of_a_pack_grants_order_pay_credits(user, stripe_server):
    order = order_for(user, "starter-pack")

    result = deliver("checkout.session.completed", session_completed(order))

    assert result.outcome == "applied"
    package = CreditPackage.objects.get(user=user)
    assert (package.trans_type, package.order_no, package.amount) == ("ORDER_PAY", order.order_no, 280)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    assert balance_of(user).available == 280


def test_each_invoice_paid_grants_a_subscription_period_expiring_at_its_end(user, stripe_server):
    order = order_for(user, "basic-monthly")
    start = datetime.now(UTC).replace(microsecond=0)
    deliver("checkout.session.completed", session_completed(order))

    deliver("invoice.paid", invoice(order, 1, start=start))
    deliver("invoice.paid", invoice(order, 2, start=start + timedelta(days=30)))

    packages = CreditPackage.objects.filter(user=user).order_by("id")
    assert [(p.trans_type, p.order_no, p.amount) for p in packages] == [
        ("SUBSCRIPTION", f"SUB-stripe-in_{order.order_no}_1", 280),
        ("SUBSCRIPTION", f"SUB-stripe-in_{order.order_no}_2", 280),
    ]
    assert packages[1].expires_at == start + timedelta(days=60)
    assert order.subscription.current_period_end == start + timedelta(days=60)


def test_invoice_paid_before_the_checkout_event_still_grants_once(user, stripe_server):
    order = order_for(user, "basic-monthly")
    start = datetime.now(UTC)

    deliver("invoice.paid", invoice(order, 1, start=start))
    deliver("checkout.session.completed", session_completed(order))
    deliver("invoice.paid", invoice(order, 1, start=start))  # Stripe retries with a new event id

    assert CreditPackage.objects.filter(user=user).count() == 1
    assert order.subscription.status == SubscriptionStatus.ACTIVE


def test_subscription_deleted_ends_it(user, auth_client, stripe_server):
    order = order_for(user, "basic-monthly")
    deliver("checkout.session.completed", session_completed(order))
    deliver("invoice.paid", invoice(order, 1, start=datetime.now(UTC)))

    deliver("customer.subscription.deleted", {"id": f"sub_{order.order_no}", "status": "canceled"})

    order.subscription.refresh_from_db()
    assert order.subscription.status == SubscriptionStatus.CANCELED
    assert auth_client.get("/api/v1/credit/subscription").json() == {"success": True, "data": None}


def test_an_older_update_does_not_revive_a_canceled_subscription(user, stripe_server):
    order = order_for(user, "basic-monthly")
    deliver("checkout.session.completed", session_completed(order))
    deliver("customer.subscription.deleted", {"id": f"sub_{order.order_no}", "status": "canceled"})

    deliver("customer.subscription.updated", {"id": f"sub_{order.order_no}", "status": "active"})

    order.subscription.refresh_from_db()
    assert order.subscription.status == SubscriptionStatus.CANCELED


def test_partial_refund_takes_back_credits_pro_rata(user, stripe_server):
    order = order_for(user, "starter-pack")
    deliver("checkout.session.completed", session_completed(order))

    deliver(
        "charge.refunded",
        {"id": "ch_1", "payment_intent": f"pi_{order.order_no}", "amount": 1490, "amount_refunded": 500},
    )

    refund = CreditTransaction.objects.get(user=user, trans_type="REFUND")
    assert refund.credits == -(280 * 500 // 1490)  # floor: 93
    order.refresh_from_db()
    assert (order.status, order.credits_refunded, order.refunded_amount) == (
        OrderStatus.PARTIALLY_REFUNDED,
        93,
        500,
    )


def test_a_later_full_refund_takes_back_the_rest_only(user, stripe_server):
    order = order_for(user, "starter-pack")
    deliver("checkout.session.completed", session_completed(order))
    charge = {"id": "ch_1", "payment_intent": f"pi_{order.order_no}", "amount": 1490}
    deliver("charge.refunded", {**charge, "amount_refunded": 500})

    deliver("charge.refunded", {**charge, "amount_refunded": 1490})
    deliver("charge.refunded", {**charge, "amount_refunded": 500})  # a late, older event

    order.refresh_from_db()
    assert (order.status, order.credits_refunded) == (OrderStatus.REFUNDED, 280)
    assert balance_of(user).available == 0
    assert ledger_problems(user) == []


def test_refund_of_a_renewal_takes_back_that_period_only(user, stripe_server):
    order = order_for(user, "basic-monthly")
    start = datetime.now(UTC)
    deliver("checkout.session.completed", session_completed(order))
    deliver("invoice.paid", invoice(order, 1, start=start))
    deliver("invoice.paid", invoice(order, 2, start=start + timedelta(days=1)))

    deliver(
        "charge.refunded",
        {"id": "ch_2", "payment_intent": f"pi_in_{order.order_no}_2", "amount": 990, "amount_refunded": 990},
    )

    assert balance_of(user).available == 280
    assert CreditPackage.objects.get(order_no=f"SUB-stripe-in_{order.order_no}_2").remaining == 0


def test_dispute_takes_back_the_unspent_credits(user, stripe_server):
    order = order_for(user, "starter-pack")
    deliver("checkout.session.completed", session_completed(order))

    deliver(
        "charge.dispute.created",
        {"id": "dp_1", "charge": "ch_1", "payment_intent": f"pi_{order.order_no}", "amount": 1490},
    )

    order.refresh_from_db()
    assert (order.status, order.credits_refunded) == (OrderStatus.DISPUTED, 280)
    assert balance_of(user).available == 0


def test_forged_event_changes_nothing(user, stripe_server):
    order = order_for(user, "starter-pack")
    body, _ = FakeStripeServer.event(
        "checkout.session.completed", session_completed(order), secret="whsec_attacker"
    )
    _, genuine_headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(order), secret=STRIPE_WHSEC
    )

    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event(
            "stripe",
            body,
            {
                "Stripe-Signature": FakeStripeServer.event("x", {}, secret="whsec_attacker")[1][
                    "Stripe-Signature"
                ]
            },
        )
    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event("stripe", body, genuine_headers)  # a signature of another body

    assert not CreditPackage.objects.exists()
    assert not ProcessedBillingEvent.objects.exists()


def test_tampered_event_changes_nothing(user, stripe_server):
    order = order_for(user, "starter-pack")
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(order), secret=STRIPE_WHSEC
    )

    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event("stripe", body.replace(b'"amount_total": 1490', b'"amount_total": 1491'), headers)

    assert not CreditPackage.objects.exists()


def test_event_signed_more_than_300_seconds_ago_changes_nothing(user, stripe_server):
    order = order_for(user, "starter-pack")
    body, headers = FakeStripeServer.event(
        "checkout.session.completed",
        session_completed(order),
        secret=STRIPE_WHSEC,
        signed_at=int(time.time()) - 301,
    )

    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event("stripe", body, headers)

    assert not CreditPackage.objects.exists()


def test_event_signed_299_seconds_ago_is_accepted(user, stripe_server):
    order = order_for(user, "starter-pack")
    body, headers = FakeStripeServer.event(
        "checkout.session.completed",
        session_completed(order),
        secret=STRIPE_WHSEC,
        signed_at=int(time.time()) - 299,
    )

    assert events.handle_event("stripe", body, headers).outcome == "applied"


def test_missing_signature_header_changes_nothing(user, stripe_server):
    order = order_for(user, "starter-pack")
    body, _ = FakeStripeServer.event(
        "checkout.session.completed", session_completed(order), secret=STRIPE_WHSEC
    )

    with pytest.raises(InvalidBillingSignatureError):
        events.handle_event("stripe", body, {})

    assert not CreditPackage.objects.exists()


def test_signed_non_json_is_malformed(stripe_server):
    body = b"not json at all"
    now = int(time.time())
    from tests.fakes.stripe_server import stripe_signature

    with pytest.raises(MalformedBillingEventError):
        events.handle_event("stripe", body, {"Stripe-Signature": stripe_signature(body, STRIPE_WHSEC, now)})

    assert not ProcessedBillingEvent.objects.exists()


def test_events_kensa_does_not_act_on_are_recorded_as_ignored(stripe_server):
    result = deliver("customer.created", {"id": "cus_1"})

    assert result.outcome == "ignored"
    assert ProcessedBillingEvent.objects.get().outcome == "ignored"
