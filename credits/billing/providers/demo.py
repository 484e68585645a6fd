"""The built-in demo provider: checkout and portal are pages of ours, and paying there sends
a signed event through the same verify-and-apply path as Stripe's and Creem's.

Events are ``{id, type, created, data}`` signed like Stripe's (``Kensa-Demo-Signature:
t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, 300 s tolerance) with a key derived from
SECRET_KEY, so nobody without it can forge a payment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from django.urls import NoReverseMatch, reverse

from credits.billing.providers.base import (
    BillingEvent,
    BillingProvider,
    BillingProviderError,
    CheckoutRequest,
    CheckoutSession,
    EventKind,
    EventRejectedError,
    from_unix,
    header,
    json_object,
    text,
    whole,
)

SIGNATURE_HEADER = "Kensa-Demo-Signature"
TOLERANCE = 300
KINDS = {
    "checkout.completed": EventKind.CHECKOUT_COMPLETED,
    "subscription.paid": EventKind.PERIOD_PAID,
    "subscription.canceled": EventKind.SUBSCRIPTION_STATUS,
    "refund.created": EventKind.REFUND,
    "dispute.created": EventKind.DISPUTE,
}


def _page(name: str, *args: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch as error:
        raise BillingProviderError(
            "The demo pages are not mounted: add path('billing/', include('credits.billing.urls')).",
            retryable=False,
            code="not_configured",
        ) from error


def signing_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"kensa.billing.demo-webhook", hashlib.sha256).digest()


def _mac(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


class DemoProvider(BillingProvider):
    name = "demo"

    def __init__(self, *, secret_key: str) -> None:
        self.key = signing_key(secret_key)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        path = _page("billing-demo-checkout", request.order_no)
        return CheckoutSession(checkout_id=f"demo_cs_{request.order_no}", url=f"{request.site_url}{path}")

    def portal_url(self, customer_ref: str, return_url: str, site_url: str = "") -> str:
        return f"{site_url}{_page('billing-demo-portal')}"

    def signed_event(
        self, event_type: str, data: Mapping[str, Any], *, at: int | None = None
    ) -> tuple[bytes, dict]:
        """A demo event as its body and headers, signed now (or at ``at``)."""
        timestamp = int(time.time()) if at is None else at
        body = json.dumps(
            {
                "id": f"evt_demo_{uuid.uuid4().hex}",
                "type": event_type,
                "created": timestamp,
                "data": dict(data),
            }
        ).encode()
        return body, {SIGNATURE_HEADER: f"t={timestamp},v1={_mac(self.key, timestamp, body)}"}

    def parse_event(
        self, body: bytes, headers: Mapping[str, str], *, received_at: float | None = None
    ) -> BillingEvent:
        parts = dict(
            item.split("=", 1) for item in header(headers, SIGNATURE_HEADER).split(",") if "=" in item
        )
        timestamp = parts.get("t", "")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise EventRejectedError("The demo signature is missing or invalid.", authentic=False)
        expected = _mac(self.key, int(timestamp), body)
        if not hmac.compare_digest(parts.get("v1", ""), expected):
            raise EventRejectedError("The demo signature is missing or invalid.", authentic=False)
        if int(timestamp) < (time.time() if received_at is None else received_at) - TOLERANCE:
            raise EventRejectedError("The demo event is too old.", authentic=False)
        return parse(json_object(body))


def parse(event: dict[str, Any]) -> BillingEvent:
    event_id, event_type = text(event.get("id")), text(event.get("type"))
    created, data = from_unix(event.get("created")), event.get("data")
    if not event_id or not event_type or created is None or not isinstance(data, dict):
        raise EventRejectedError("The event lacks its id, type, time or data.", authentic=True)
    kind = KINDS.get(event_type, EventKind.IGNORED)
    return BillingEvent(
        provider="demo",
        event_id=event_id,
        event_type=event_type,
        kind=kind,
        created_at=created,
        order_no=text(data.get("order_no")),
        customer_ref=text(data.get("customer_ref")),
        subscription_ref=text(data.get("subscription_ref")),
        payment_ref=text(data.get("payment_ref")),
        refund_refs=tuple(r for r in (text(data.get("payment_ref")),) if r),
        period_start=from_unix(data.get("period_start")),
        period_end=from_unix(data.get("period_end")),
        amount=whole(data.get("amount")),
        currency=text(data.get("currency"), 3),
        refunded=whole(data.get("refunded")),
        subscription_status="CANCELED" if event_type == "subscription.canceled" else "",
    )
