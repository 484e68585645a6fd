"""Creem over its HTTP API: ``POST /v1/checkouts`` (header ``x-api-key``) and the customer
portal; webhooks signed with ``creem-signature`` = hex HMAC-SHA256 of the raw body.

Events: ``checkout.completed``, ``subscription.paid`` (every period), ``subscription.canceled``,
``subscription.expired``, ``refund.created`` and ``dispute.created``. Creem signs no
timestamp: a replayed delivery is caught by its event id, processed once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from credits.billing.providers import http
from credits.billing.providers.base import (
    BillingEvent,
    BillingProvider,
    BillingProviderError,
    CheckoutRequest,
    CheckoutSession,
    EventKind,
    EventRejectedError,
    dig,
    from_iso,
    from_unix,
    header,
    json_object,
    text,
    whole,
)

LIVE_API_BASE = "https://api.creem.io"
TEST_API_BASE = "https://test-api.creem.io"


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class CreemProvider(BillingProvider):
    name = "creem"

    def __init__(self, *, api_key: str, webhook_secret: str, api_base: str) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")

    def _post(self, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        if not self.api_key:
            raise BillingProviderError("Creem is not configured (CREEM_API_KEY).", retryable=False)
        status, body = http.post_json(f"{self.api_base}{path}", payload, headers={"x-api-key": self.api_key})
        if status >= 400 or not isinstance(body, dict):
            raise BillingProviderError(
                f"Creem refused the request (HTTP {status}).",
                retryable=status == 429 or status >= 500,
                code=str(status),
            )
        return body

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        if not request.provider_product:
            raise BillingProviderError(
                f"Product {request.product_slug} has no Creem product id.",
                retryable=False,
                code="not_configured",
            )
        payload: dict[str, Any] = {
            "product_id": request.provider_product,
            "request_id": request.order_no,
            "success_url": request.success_url,
            "metadata": {"order_no": request.order_no, "user_id": str(request.user_id)},
        }
        if request.email:
            payload["customer"] = {"email": request.email}
        body = self._post("/v1/checkouts", payload)
        url, checkout_id = text(body.get("checkout_url"), 2000), text(body.get("id"))
        if not url or not checkout_id:
            raise BillingProviderError("Creem answered without a checkout URL.", retryable=True)
        return CheckoutSession(checkout_id=checkout_id, url=url)

    def portal_url(self, customer_ref: str, return_url: str, site_url: str = "") -> str:
        body = self._post("/v1/customers/billing", {"customer_id": customer_ref})
        url = text(body.get("customer_portal_link"), 2000)
        if not url:
            raise BillingProviderError("Creem answered without a portal link.", retryable=True)
        return url

    def parse_event(
        self, body: bytes, headers: Mapping[str, str], *, received_at: float | None = None
    ) -> BillingEvent:
        if not self.webhook_secret:
            raise EventRejectedError("Creem webhooks are not configured.", authentic=False)
        sent = header(headers, "creem-signature").strip().lower()
        if not sent or not hmac.compare_digest(sent, signature(body, self.webhook_secret)):
            raise EventRejectedError("The Creem signature is missing or invalid.", authentic=False)
        return parse(json_object(body))


def _order_no(*candidates: Any) -> str:
    for metadata in candidates:
        if isinstance(metadata, dict) and text(metadata.get("order_no")):
            return text(metadata.get("order_no"))
        if isinstance(metadata, str) and text(metadata):
            return metadata
    return ""


def parse(event: dict[str, Any]) -> BillingEvent:
    event_id, event_type = text(event.get("id")), text(event.get("eventType"))
    created = from_unix(event.get("created_at"), millis=True)
    obj = event.get("object")
    if not event_id or not event_type or created is None or not isinstance(obj, dict):
        raise EventRejectedError("The event lacks its id, eventType, created_at or object.", authentic=True)
    base = {"provider": "creem", "event_id": event_id, "event_type": event_type, "created_at": created}

    if event_type == "checkout.completed":
        order = obj.get("order") if isinstance(obj.get("order"), dict) else {}
        return BillingEvent(
            **base,
            kind=EventKind.CHECKOUT_COMPLETED,
            order_no=_order_no(obj.get("request_id"), obj.get("metadata")),
            paid=order.get("status") == "paid",
            customer_ref=text(obj.get("customer")) or text(order.get("customer")),
            subscription_ref=text(obj.get("subscription")),
            payment_ref=text(order.get("id")),
            charge_ref=text(order.get("transaction")),
            amount=whole(order.get("amount_paid")) if "amount_paid" in order else whole(order.get("amount")),
            currency=text(order.get("currency"), 3).lower(),
        )
    if event_type == "subscription.paid":
        return BillingEvent(
            **base,
            kind=EventKind.PERIOD_PAID,
            order_no=_order_no(obj.get("metadata")),
            customer_ref=text(obj.get("customer")),
            subscription_ref=text(obj.get("id")),
            payment_ref=text(obj.get("last_transaction_id")),
            period_start=from_iso(obj.get("current_period_start_date")),
            period_end=from_iso(obj.get("current_period_end_date")),
            amount=whole(dig(obj, "product", "price")),
            currency=text(dig(obj, "product", "currency"), 3).lower(),
        )
    if event_type in ("subscription.canceled", "subscription.expired"):
        return BillingEvent(
            **base,
            kind=EventKind.SUBSCRIPTION_STATUS,
            order_no=_order_no(obj.get("metadata")),
            subscription_ref=text(obj.get("id")),
            subscription_status="CANCELED" if event_type.endswith("canceled") else "EXPIRED",
            period_end=from_iso(obj.get("current_period_end_date")),
        )
    if event_type in ("refund.created", "dispute.created"):
        dispute = event_type == "dispute.created"
        transaction = obj.get("transaction") if isinstance(obj.get("transaction"), dict) else {}
        checkout = obj.get("checkout") if isinstance(obj.get("checkout"), dict) else {}
        refs = tuple(
            r
            for r in (text(transaction.get("id")), text(transaction.get("order")), text(obj.get("order")))
            if r
        )
        paid = whole(transaction.get("amount_paid"))
        if dispute:
            refunded = whole(obj.get("amount"))
        else:
            refunded = whole(transaction.get("refunded_amount"))
            if refunded is None:
                refunded = whole(obj.get("refund_amount"))
        return BillingEvent(
            **base,
            kind=EventKind.DISPUTE if dispute else EventKind.REFUND,
            order_no=_order_no(checkout.get("request_id"), checkout.get("metadata")),
            subscription_ref=text(transaction.get("subscription")),
            refund_refs=refs,
            amount=paid if paid is not None else whole(transaction.get("amount")),
            refunded=refunded,
            currency=text(obj.get("refund_currency") or obj.get("currency"), 3).lower(),
        )
    return BillingEvent(**base, kind=EventKind.IGNORED)
