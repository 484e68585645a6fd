"""Buying credits end to end, over real HTTP: gunicorn serving Kensa, a real task worker,
Stripe's API faked on loopback, and Stripe-signed events POSTed to the webhook URL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from credits.billing.models import Order, ProcessedBillingEvent
from credits.models import CreditPackage
from tests.credits.billing.conftest import STRIPE_KEY, STRIPE_WHSEC
from tests.fakes.stripe_server import FakeStripeServer, stripe_signature
from tests.live import process_env, task_worker, web_server
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WEBHOOK = "/api/v1/billing/webhook/stripe"
BAD_SIGNATURE = {
    "success": False,
    "error": "The event signature is missing, invalid or expired.",
    "code": "invalid_signature",
}


@pytest.fixture
def stripe_api():
    with FakeStripeServer(secret_key=STRIPE_KEY) as server:
        yield server


def stack_env(tmp_path, stripe_api) -> dict[str, str]:
    return process_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        NEW_USER_CREDITS="0",
        RATELIMIT_ENABLE="false",
        BILLING_PROVIDER="stripe",
        STRIPE_SECRET_KEY=STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET=STRIPE_WHSEC,
        STRIPE_API_BASE=stripe_api.base_url,
    )


def sign_up_and_buy(base: str, email: str) -> tuple[requests.Session, dict]:
    session = requests.Session()
    signup = session.post(
        f"{base}/api/v1/auth/signup", json={"email": email, "password": "a-Strong-pass-123"}, timeout=10
    )
    assert signup.status_code == 201, signup.text
    checkout = session.post(f"{base}/api/v1/credit/checkout", json={"productId": "starter-pack"}, timeout=10)
    assert checkout.status_code == 201, checkout.text
    return session, checkout.json()["data"]


def paid_session(order_no: str) -> dict:
    return {
        "id": f"cs_test_{order_no}",
        "object": "checkout.session",
        "client_reference_id": order_no,
        "mode": "payment",
        "payment_status": "paid",
        "payment_intent": f"pi_{order_no}",
        "customer": "cus_e2e",
        "amount_total": 1490,
        "currency": "usd",
        "metadata": {"order_no": order_no},
    }


def deliver(base: str, body: bytes, headers: dict) -> requests.Response:
    """As Stripe sends it: the raw JSON body and its signature header, no session."""
    return requests.post(
        f"{base}{WEBHOOK}",
        data=body,
        headers={**headers, "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0"},
        timeout=10,
    )


def credits_of(session: requests.Session, base: str) -> dict:
    return session.get(f"{base}/api/v1/auth/session", timeout=5).json()["data"]["credits"]


def poll_until_finished(session: requests.Session, base: str, uuid: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = session.get(f"{base}/api/v1/video/task", params={"uuid": uuid}, timeout=5).json()["data"]
        if data["status"] in ("COMPLETED", "FAILED"):
            return data
        time.sleep(0.2)
    raise AssertionError(f"video {uuid} did not finish in {timeout} s")


def test_buy_generate_refund_takes_back_only_the_unspent_credits(tmp_path, stripe_api):
    env = stack_env(tmp_path, stripe_api)
    with web_server(env, tmp_path) as base, task_worker(env, tmp_path):
        session, checkout = sign_up_and_buy(base, "buyer@example.com")
        assert checkout["provider"] == "stripe"
        [created] = stripe_api.requests_to("/v1/checkout/sessions")
        assert created.form["client_reference_id"] == checkout["orderNo"]
        assert checkout["checkoutUrl"].startswith("https://checkout.stripe.test/")
        order_no = checkout["orderNo"]

        paid = deliver(
            base,
            *FakeStripeServer.event(
                "checkout.session.completed", paid_session(order_no), secret=STRIPE_WHSEC
            ),
        )
        assert paid.status_code == 200, paid.text
        assert paid.json()["data"]["outcome"] == "applied"
        assert credits_of(session, base)["available"] == 280

        accepted = session.post(
            f"{base}/api/v1/video/generate",
            json={
                "prompt": "a paper boat on a lake",
                "model": "sora-2",
                "duration": 10,
                "aspectRatio": "9:16",
            },
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text
        final = poll_until_finished(session, base, accepted.json()["data"]["uuid"])
        assert final["status"] == "COMPLETED"
        spent = final["creditsUsed"]
        assert spent > 0

        refund = {
            "id": f"ch_{order_no}",
            "object": "charge",
            "payment_intent": f"pi_{order_no}",
            "amount": 1490,
            "amount_refunded": 1490,
            "currency": "usd",
            "metadata": {"order_no": order_no},
        }
        refunded = deliver(base, *FakeStripeServer.event("charge.refunded", refund, secret=STRIPE_WHSEC))
        assert refunded.status_code == 200, refunded.text
        assert refunded.json()["data"]["outcome"] == "applied"

        credits = credits_of(session, base)
        orders = session.get(f"{base}/api/v1/credit/orders", timeout=5).json()["data"]["orders"]
        history = session.get(f"{base}/api/v1/credit/history", timeout=5).json()["data"]["transactions"]

    assert (credits["available"], credits["frozen"]) == (0, 0)
    assert [(o["orderNo"], o["status"]) for o in orders] == [(order_no, "REFUNDED")]
    assert [(t["transType"], t["credits"]) for t in reversed(history)] == [
        ("ORDER_PAY", 280),
        ("VIDEO_CONSUME", -spent),
        ("REFUND", -(280 - spent)),
    ]
    order = Order.objects.get(order_no=order_no)
    assert (order.credits_refunded, order.refund_shortfall) == (280 - spent, spent)
    assert WebhookDelivery.objects.filter(kind="billing", outcome="applied").count() == 2
    call_command("credits_verify", stdout=StringIO())  # raises CommandError on any mismatch


def test_webhook_over_http_grants_once_and_refuses_what_it_must(tmp_path, stripe_api):
    env = stack_env(tmp_path, stripe_api)
    with web_server(env, tmp_path, workers=4) as base:
        session, checkout = sign_up_and_buy(base, "parallel@example.com")
        order_no = checkout["orderNo"]
        genuine_body, genuine_headers = FakeStripeServer.event(
            "checkout.session.completed", paid_session(order_no), secret=STRIPE_WHSEC, event_id="evt_e2e_paid"
        )
        now = int(time.time())
        forged = FakeStripeServer.event(
            "checkout.session.completed", paid_session(order_no), secret="whsec_x"
        )
        tampered = (genuine_body.replace(b'"amount_total": 1490', b'"amount_total": 14900'), genuine_headers)
        stale_body = genuine_body.replace(b"evt_e2e_paid", b"evt_e2e_stale")
        stale = (stale_body, {"Stripe-Signature": stripe_signature(stale_body, STRIPE_WHSEC, now - 301)})
        not_json = b"this is not json"

        refusals = {
            "forged": deliver(base, *forged),
            "tampered": deliver(base, *tampered),
            "stale": deliver(base, *stale),
            "unsigned": deliver(base, genuine_body, {}),
        }
        huge = deliver(base, b"{" + b" " * (2 * 1024 * 1024) + b"}", {})
        oversized_event = deliver(base, b"{" + b" " * (600 * 1024) + b"}", {})
        malformed = deliver(
            base, not_json, {"Stripe-Signature": stripe_signature(not_json, STRIPE_WHSEC, int(time.time()))}
        )
        credits_before = credits_of(session, base)

        with ThreadPoolExecutor(max_workers=5) as pool:
            answers = list(pool.map(lambda _: deliver(base, genuine_body, genuine_headers), range(5)))
        credits_after = credits_of(session, base)

    for name, response in refusals.items():
        assert (name, response.status_code, response.json()) == (name, 401, BAD_SIGNATURE)
    assert (huge.status_code, huge.json()) == (
        413,
        {
            "success": False,
            "error": "The request body is too large (at most 1048576 bytes).",
            "code": "payload_too_large",
        },
    )
    assert (oversized_event.status_code, oversized_event.json()) == (
        413,
        {
            "success": False,
            "error": "The event body is too large (at most 524288 bytes).",
            "code": "payload_too_large",
        },
    )
    assert (malformed.status_code, malformed.json()) == (
        400,
        {"success": False, "error": "The event body is not valid JSON.", "code": "malformed_event"},
    )
    assert credits_before["available"] == 0
    assert [a.status_code for a in answers] == [200] * 5
    assert sorted(a.json()["data"]["outcome"] for a in answers) == ["applied"] + ["ignored"] * 4
    assert credits_after["available"] == 280
    assert CreditPackage.objects.filter(order_no=order_no).count() == 1
    assert ProcessedBillingEvent.objects.filter(event_id="evt_e2e_paid").count() == 1
    assert WebhookDelivery.objects.filter(kind="billing", event_id="evt_e2e_paid").count() == 5
    call_command("credits_verify", stdout=StringIO())
