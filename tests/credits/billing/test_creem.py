"""Creem over real HTTP (a loopback server that speaks its API) and its signed events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from credits.billing import events
from credits.billing.errors import InvalidBillingSignatureError, MalformedBillingEventError
from credits.billing.models import Order, OrderStatus, ProcessedBillingEvent, SubscriptionStatus
from credits.models import CreditPackage
from credits.selectors import balance_of
from tests.credits.billing.conftest import CREEM_KEY, CREEM_WHSEC, order_for
from tests.fakes.creem_server import FakeCreemServer, creem_signature

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/credit/checkout"


def deliver(event_type: str, obj: dict, **kwargs) -> events.EventResult:
    body, headers = FakeCreemServer.event(event_type, obj, secret=CREEM_WHSEC, **kwargs)
    return events.handle_event("creem", body, headers)


def checkout_completed(order: Order) -> dict:
    obj = {
        "id": f"ch_{order.order_no}",
        "object": "checkout",
        "request_id": order.order_no,
        "order": {
            "id": f"ord_{order.order_no}",
            "customer": "cust_kensa",
            "product": "prod_kensa_test",
            "amount": order.amount,
            "currency": "USD",
            "status": "paid",
            "type": "recurring" if order.kind == "subscription" else "onetime",
        },
        "customer": {"id": "cust_kensa", "object": "customer", "email": "alice@example.com"},
        "status": "completed",
        "metadata": {"order_no": order.order_no},
    }
    if order.kind == "subscription":
        obj["subscription"] = {"id": f"sub_{order.order_no}", "object": "subscription", "status": "active"}
    return obj


def subscription_paid(order: Order, transaction: str, *, start: datetime) -> dict:
    return {
        "id": f"sub_{order.order_no}",
        "object": "subscription",
        "product": {"id": "prod_kensa_test", "price": order.amount, "currency": "USD"},
        "customer": {"id": "cust_kensa", "object": "customer"},
        "status": "active",
        "last_transaction_id": transaction,
        "current_period_start_date": start.isoformat().replace("+00:00", "Z"),
        "current_period_end_date": (start + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
        "metadata": {"order_no": order.order_no},
    }


def refund(order: Order, transaction: str, *, refunded: int, paid: int) -> dict:
    return {
        "id": f"ref_{transaction}_{refunded}",
        "object": "refund",
        "status": "succeeded",
        "refund_amount": refunded,
        "refund_currency": "USD",
        "transaction": {
            "id": transaction,
            "object": "transaction",
            "amount": paid,
            "amount_paid": paid,
            "refunded_amount": refunded,
            "order": f"ord_{order.order_no}",
            "subscription": f"sub_{order.order_no}" if order.kind == "subscription" else None,
        },
        "checkout": {"id": f"ch_{order.order_no}", "request_id": order.order_no},
    }


def test_checkout_creates_a_creem_checkout(auth_client, user, creem_server):
    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 201
    order = Order.objects.get(user=user)
    [request] = creem_server.requests_to("/v1/checkouts")
    assert request.headers["x-api-key"] == CREEM_KEY
    assert request.json == {
        "product_id": "prod_kensa_test",
        "request_id": order.order_no,
        "success_url": f"https://kensa.test/done?order={order.order_no}",
        "metadata": {"order_no": order.order_no, "user_id": str(user.pk)},
        "customer": {"email": "alice@example.com"},
    }
    assert (
        response.json()["data"]["checkoutUrl"] == f"https://checkout.creem.test/checkout/{order.checkout_id}"
    )


def test_a_product_without_a_creem_id_cannot_be_bought(auth_client, user, creem_server):
    from credits.billing.models import Product

    Product.objects.filter(slug="starter-pack").update(creem_product_id="")

    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "billing_unavailable"
    assert creem_server.requests_to("/v1/checkouts") == []


def test_a_refused_api_key_answers_502(auth_client, user, creem_server, settings):
    settings.CREEM_API_KEY = "creem_test_wrong"

    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 502
    assert Order.objects.get(user=user).status == OrderStatus.EXPIRED


def test_a_creem_host_that_resolves_to_a_private_address_is_never_called(
    auth_client, user, creem_server, settings
):
    # Only an address written into CREEM_API_BASE is trusted; a name must resolve publicly.
    settings.CREEM_API_BASE = creem_server.base_url.replace("127.0.0.1", "localhost")

    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "billing_unavailable"
    assert creem_server.requests_to("/v1/checkouts") == []
    assert Order.objects.get(user=user).status == OrderStatus.EXPIRED


def test_portal_opens_the_creem_customer_portal(auth_client, user, creem_server):
    order = order_for(user, "basic-monthly")
    deliver("checkout.completed", checkout_completed(order))

    response = auth_client.post("/api/v1/credit/portal", {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"url": "https://creem.test/portal/cust_kensa"}}


def test_checkout_completed_grants_a_pack(user, creem_server):
    order = order_for(user, "starter-pack")

    deliver("checkout.completed", checkout_completed(order))

    package = CreditPackage.objects.get(user=user)
    assert (package.trans_type, package.order_no, package.amount) == ("ORDER_PAY", order.order_no, 280)


def test_each_subscription_paid_grants_a_period(user, creem_server):
    order = order_for(user, "pro-monthly")
    start = datetime.now(UTC).replace(microsecond=0)
    deliver("checkout.completed", checkout_completed(order))

    deliver("subscription.paid", subscription_paid(order, "tran_1", start=start))
    deliver("subscription.paid", subscription_paid(order, "tran_2", start=start + timedelta(days=30)))
    deliver("subscription.paid", subscription_paid(order, "tran_2", start=start + timedelta(days=30)))

    assert sorted(CreditPackage.objects.filter(user=user).values_list("order_no", "amount")) == [
        ("SUB-creem-tran_1", 960),
        ("SUB-creem-tran_2", 960),
    ]
    assert order.subscription.current_period_end == start + timedelta(days=60)


def test_subscription_canceled_and_expired(user, creem_server):
    order = order_for(user, "pro-monthly")
    deliver("checkout.completed", checkout_completed(order))
    deliver("subscription.paid", subscription_paid(order, "tran_1", start=datetime.now(UTC)))

    deliver("subscription.expired", {"id": f"sub_{order.order_no}", "status": "active"})
    order.subscription.refresh_from_db()
    assert order.subscription.status == SubscriptionStatus.EXPIRED

    deliver("subscription.canceled", {"id": f"sub_{order.order_no}", "status": "canceled"})
    order.subscription.refresh_from_db()
    assert order.subscription.status == SubscriptionStatus.CANCELED


def test_refund_of_a_pack_takes_back_pro_rata(user, creem_server):
    order = order_for(user, "starter-pack")
    deliver("checkout.completed", checkout_completed(order))

    deliver("refund.created", refund(order, "tran_p", refunded=745, paid=1490))

    assert balance_of(user).available == 280 - 140
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED


def test_refund_before_the_period_is_paid_is_applied_when_it_arrives(user, creem_server):
    order = order_for(user, "pro-monthly")
    deliver("checkout.completed", checkout_completed(order))

    early = deliver("refund.created", refund(order, "tran_1", refunded=2990, paid=2990))
    assert early.outcome == "waiting"
    deliver("subscription.paid", subscription_paid(order, "tran_1", start=datetime.now(UTC)))

    assert balance_of(user).available == 0
    assert ProcessedBillingEvent.objects.get(event_type="refund.created").outcome == "applied"
    order.refresh_from_db()
    assert (order.status, order.credits_refunded) == (OrderStatus.REFUNDED, 960)


def test_dispute_created_takes_back_the_unspent_credits(user, creem_server):
    order = order_for(user, "starter-pack")
    deliver("checkout.completed", checkout_completed(order))
    dispute = {"id": "disp_1", "object": "dispute", "amount": 1490, "currency": "USD"}
    dispute["transaction"] = refund(order, "tran_p", refunded=0, paid=1490)["transaction"]
    dispute["checkout"] = {"request_id": order.order_no}

    deliver("dispute.created", dispute)

    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    assert balance_of(user).available == 0


def test_wrong_signature_changes_nothing(user, creem_server):
    order = order_for(user, "starter-pack")
    body, _ = FakeCreemServer.event("checkout.completed", checkout_completed(order), secret=CREEM_WHSEC)

    for headers in (
        {},
        {"creem-signature": creem_signature(body, "another-secret")},
        {"creem-signature": "zz"},
    ):
        with pytest.raises(InvalidBillingSignatureError):
            events.handle_event("creem", body, headers)

    assert not CreditPackage.objects.exists()
    assert not ProcessedBillingEvent.objects.exists()


def test_signed_non_object_body_is_malformed(creem_server):
    body = b"[1, 2, 3]"

    with pytest.raises(MalformedBillingEventError):
        events.handle_event("creem", body, {"creem-signature": creem_signature(body, CREEM_WHSEC)})

    assert not ProcessedBillingEvent.objects.exists()
