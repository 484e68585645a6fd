"""POST /api/v1/billing/webhook/{provider} and /api/auth/creem/webhook: payment events,
stored raw first, verified on the raw body, applied once per event id."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from credits.billing import checkout
from credits.billing.models import Order, OrderStatus, ProcessedBillingEvent, Product
from credits.billing.providers import billing_provider
from credits.models import CreditPackage, CreditTransaction
from credits.selectors import balance_of
from tests.credits.billing.conftest import CREEM_KEY, CREEM_WHSEC, STRIPE_KEY, STRIPE_WHSEC
from tests.fakes.creem_server import FakeCreemServer
from tests.fakes.stripe_server import FakeStripeServer, stripe_signature
from webhooks.models import DeliveryKind, DeliveryOutcome, WebhookDelivery
from webhooks.services import reprocess

pytestmark = pytest.mark.django_db

STRIPE_URL = "/api/v1/billing/webhook/stripe"
CREEM_URL = "/api/v1/billing/webhook/creem"
CREEM_DOCS_URL = "/api/auth/creem/webhook"
DEMO_URL = "/api/v1/billing/webhook/demo"
BAD_SIGNATURE = {
    "success": False,
    "error": "The event signature is missing, invalid or expired.",
    "code": "invalid_signature",
}


@pytest.fixture(autouse=True)
def billing_keys(settings):
    settings.BILLING_DEMO_PAYMENTS = True
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WHSEC
    settings.CREEM_API_KEY = CREEM_KEY
    settings.CREEM_WEBHOOK_SECRET = CREEM_WHSEC
    settings.BILLING_SUCCESS_URL = "https://kensa.test/done"


@pytest.fixture
def stripe_order(settings, user) -> Order:
    with FakeStripeServer(secret_key=STRIPE_KEY) as server:
        settings.STRIPE_API_BASE = server.base_url
        settings.BILLING_PROVIDER = "stripe"
        return checkout.start_checkout(user, "starter-pack", site_url="http://testserver")


@pytest.fixture
def creem_order(settings, user) -> Order:
    with FakeCreemServer(api_key=CREEM_KEY) as server:
        settings.CREEM_API_BASE = server.base_url
        settings.BILLING_PROVIDER = "creem"
        Product.objects.update(creem_product_id="prod_kensa_test")
        return checkout.start_checkout(user, "starter-pack", site_url="http://testserver")


def session_completed(order: Order) -> dict:
    return {
        "id": f"cs_test_{order.order_no}",
        "object": "checkout.session",
        "client_reference_id": order.order_no,
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": f"pi_{order.order_no}",
        "customer": "cus_kensa",
        "amount_total": order.amount,
        "currency": "usd",
    }


def charge_refunded(order: Order, refunded: int) -> dict:
    return {
        "id": f"ch_{order.order_no}",
        "object": "charge",
        "payment_intent": f"pi_{order.order_no}",
        "amount": order.amount,
        "amount_refunded": refunded,
        "currency": "usd",
        "metadata": {"order_no": order.order_no},
    }


def creem_completed(order: Order) -> dict:
    return {
        "id": f"ch_{order.order_no}",
        "object": "checkout",
        "request_id": order.order_no,
        "order": {"id": f"ord_{order.order_no}", "amount": order.amount, "currency": "USD", "status": "paid"},
        "customer": {"id": "cust_kensa", "object": "customer"},
        "metadata": {"order_no": order.order_no},
    }


def post(client: APIClient, url: str, body: bytes, headers: dict, content_type: str = "application/json"):
    return client.generic("POST", url, body, content_type=content_type, headers=headers)


def received(outcome: str, event_id: str) -> dict:
    return {"success": True, "data": {"received": True, "outcome": outcome, "eventId": event_id}}


def test_a_paid_stripe_checkout_grants_the_pack_and_answers_applied(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC, event_id="evt_1"
    )

    response = post(client, STRIPE_URL, body, headers)

    assert response.status_code == 200
    assert response.json() == received("applied", "evt_1")
    stripe_order.refresh_from_db()
    assert stripe_order.status == OrderStatus.PAID
    assert balance_of(user).available == 280


def test_the_delivery_is_stored_raw_with_its_outcome(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC, event_id="evt_1"
    )

    post(client, STRIPE_URL, body, headers)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.provider, delivery.event_id) == (DeliveryKind.BILLING, "stripe", "evt_1")
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.APPLIED, True)
    assert delivery.body.encode() == body
    assert delivery.headers["Stripe-Signature"] == headers["Stripe-Signature"]
    assert delivery.processed_at is not None


def test_the_same_event_delivered_again_answers_200_and_grants_once(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC, event_id="evt_1"
    )

    post(client, STRIPE_URL, body, headers)
    again = post(client, STRIPE_URL, body, headers)

    assert again.status_code == 200
    assert again.json() == received("ignored", "evt_1")
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert WebhookDelivery.objects.filter(outcome=DeliveryOutcome.IGNORED).get().error == (
        "event processed before"
    )


def test_a_refund_before_its_payment_waits_and_is_applied_when_the_payment_arrives(
    client, user, stripe_order
):
    refund_body, refund_headers = FakeStripeServer.event(
        "charge.refunded", charge_refunded(stripe_order, stripe_order.amount), secret=STRIPE_WHSEC
    )
    paid_body, paid_headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC
    )

    early = post(client, STRIPE_URL, refund_body, refund_headers)
    post(client, STRIPE_URL, paid_body, paid_headers)

    assert (early.status_code, early.json()["data"]["outcome"]) == (200, "waiting")
    stripe_order.refresh_from_db()
    assert stripe_order.status == OrderStatus.REFUNDED
    assert balance_of(user).available == 0


def test_a_forged_signature_answers_401_and_changes_nothing(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret="whsec_attacker"
    )

    response = post(client, STRIPE_URL, body, headers)

    assert response.status_code == 401
    assert response.json() == BAD_SIGNATURE
    assert not CreditPackage.objects.exists()
    assert not ProcessedBillingEvent.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.REJECTED, False)


def test_a_tampered_body_answers_401_and_changes_nothing(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC
    )

    response = post(
        client, STRIPE_URL, body.replace(b'"amount_total": 1490', b'"amount_total": 149'), headers
    )

    assert response.status_code == 401
    assert response.json() == BAD_SIGNATURE
    assert not CreditPackage.objects.exists()


def test_a_stale_event_answers_401_and_changes_nothing(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed",
        session_completed(stripe_order),
        secret=STRIPE_WHSEC,
        signed_at=int(time.time()) - 301,
    )

    response = post(client, STRIPE_URL, body, headers)

    assert response.status_code == 401
    assert response.json() == BAD_SIGNATURE
    assert not CreditPackage.objects.exists()


def test_no_signature_answers_401(client, stripe_order):
    response = post(client, STRIPE_URL, b"{}", {})

    assert response.status_code == 401
    assert response.json() == BAD_SIGNATURE


def test_a_signed_body_that_is_not_json_answers_400(client):
    body = b"not json at all"

    response = post(
        client, STRIPE_URL, body, {"Stripe-Signature": stripe_signature(body, STRIPE_WHSEC, int(time.time()))}
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The event body is not valid JSON.",
        "code": "malformed_event",
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.INVALID, True)


def test_a_body_larger_than_any_event_answers_413_and_is_not_stored(client):
    response = post(client, STRIPE_URL, b"{" + b" " * (600 * 1024) + b"}", {})

    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": "The event body is too large (at most 524288 bytes).",
        "code": "payload_too_large",
    }
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("provider", ["paypal", "Stripe", "evolink"])
def test_an_unknown_provider_is_not_found_and_nothing_is_stored(client, provider):
    response = post(client, f"/api/v1/billing/webhook/{provider}", b"{}", {})

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Not found.", "code": "not_found"}
    assert not WebhookDelivery.objects.exists()


def test_the_body_is_read_raw_whatever_its_content_type(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC, event_id="evt_1"
    )

    response = post(client, STRIPE_URL, body, headers, content_type="text/plain; charset=utf-8")

    assert response.status_code == 200
    assert response.json() == received("applied", "evt_1")


def test_a_cross_site_delivery_needs_no_session_or_csrf_token(user, stripe_order):
    browser_like = APIClient(enforce_csrf_checks=True)
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC, event_id="evt_1"
    )

    response = post(
        browser_like,
        STRIPE_URL,
        body,
        {**headers, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )

    assert response.status_code == 200
    assert response.json() == received("applied", "evt_1")


def test_creem_events_are_taken_at_the_path_kensas_docs_give_creem(client, user, creem_order):
    body, headers = FakeCreemServer.event(
        "checkout.completed", creem_completed(creem_order), secret=CREEM_WHSEC, event_id="evt_c1"
    )

    response = post(client, CREEM_DOCS_URL, body, headers)

    assert response.status_code == 200
    assert response.json() == received("applied", "evt_c1")
    assert balance_of(user).available == 280
    assert WebhookDelivery.objects.get().provider == "creem"


def test_creem_events_are_taken_under_the_billing_prefix_too(client, user, creem_order):
    body, headers = FakeCreemServer.event(
        "checkout.completed", creem_completed(creem_order), secret=CREEM_WHSEC, event_id="evt_c1"
    )

    response = post(client, CREEM_URL, body, headers)

    assert response.status_code == 200
    assert response.json() == received("applied", "evt_c1")


def test_a_creem_event_with_a_bad_signature_answers_401(client, user, creem_order):
    body, _ = FakeCreemServer.event("checkout.completed", creem_completed(creem_order), secret=CREEM_WHSEC)

    response = post(client, CREEM_DOCS_URL, body, {"creem-signature": "0" * 64})

    assert response.status_code == 401
    assert response.json() == BAD_SIGNATURE
    assert not CreditPackage.objects.exists()


def test_webhooks_are_rate_limited_per_address(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_CALLBACK_IP = "2/m"

    statuses = [post(client, STRIPE_URL, b"{}", {}).status_code for _ in range(3)]
    refused = post(client, CREEM_DOCS_URL, b"{}", {})

    assert statuses == [401, 401, 429]
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0


def test_the_demo_pay_button_stores_a_delivery_like_any_provider_event(client, user, settings):
    settings.BILLING_PROVIDER = "demo"
    order = checkout.start_checkout(user, "starter-pack", site_url="http://testserver")
    client.force_login(user)

    response = client.post(f"/billing/demo/checkout/{order.order_no}", {"action": "pay"})

    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.provider, delivery.outcome) == ("billing", "demo", "applied")
    assert "Kensa-Demo-Signature" in delivery.headers
    assert balance_of(user).available == 280


def test_a_signed_demo_event_is_taken_at_the_demo_webhook(client, user, settings):
    settings.BILLING_PROVIDER = "demo"
    order = checkout.start_checkout(user, "starter-pack", site_url="http://testserver")
    body, headers = billing_provider("demo").signed_event(
        "checkout.completed", {"order_no": order.order_no, "payment_ref": "demo_pay_1"}
    )

    response = post(client, DEMO_URL, body, headers)

    assert response.status_code == 200
    assert response.json()["data"]["outcome"] == "applied"
    assert balance_of(user).available == 280


def test_staff_reprocess_applies_a_delivery_after_the_signature_tolerance_passed(user, stripe_order):
    # Received an hour ago, signed then; processing failed (say the database was down).
    an_hour_ago = timezone.now() - timedelta(hours=1)
    body, headers = FakeStripeServer.event(
        "checkout.session.completed",
        session_completed(stripe_order),
        secret=STRIPE_WHSEC,
        signed_at=int(an_hour_ago.timestamp()),
    )
    delivery = WebhookDelivery.objects.create(
        kind=DeliveryKind.BILLING,
        provider="stripe",
        headers=headers,
        body=body.decode(),
        outcome=DeliveryOutcome.ERROR,
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=an_hour_ago)
    delivery.refresh_from_db()

    result = reprocess(delivery)

    assert (result.outcome, result.signature_valid) == (DeliveryOutcome.APPLIED, True)
    assert balance_of(user).available == 280


def test_reprocess_of_an_event_signed_long_before_it_arrived_is_still_refused(user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed",
        session_completed(stripe_order),
        secret=STRIPE_WHSEC,
        signed_at=int(time.time()) - 301,
    )
    delivery = WebhookDelivery.objects.create(
        kind=DeliveryKind.BILLING, provider="stripe", headers=headers, body=body.decode()
    )

    result = reprocess(delivery)

    assert (result.outcome, result.signature_valid) == (DeliveryOutcome.REJECTED, False)
    assert not CreditPackage.objects.exists()


def test_reprocess_of_an_applied_delivery_changes_nothing(client, user, stripe_order):
    body, headers = FakeStripeServer.event(
        "checkout.session.completed", session_completed(stripe_order), secret=STRIPE_WHSEC
    )
    post(client, STRIPE_URL, body, headers)

    result = reprocess(WebhookDelivery.objects.get())

    assert (result.outcome, result.error) == (DeliveryOutcome.IGNORED, "event processed before")
    assert CreditTransaction.objects.filter(user=user).count() == 1
