"""Stripe through its official library: Checkout Sessions, the Billing Portal, and webhook
events verified with ``stripe.Webhook.construct_event`` (300 s tolerance).

Events: ``checkout.session.completed``, ``invoice.paid`` (every subscription period, the
first included), ``charge.refunded``, ``charge.dispute.created`` and
``customer.subscription.updated|deleted``. Payloads of older and newer API versions are
both read (an invoice's subscription moved under ``parent.subscription_details``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import stripe

from credits.billing.providers.base import (
    BillingEvent,
    BillingProvider,
    BillingProviderError,
    CheckoutRequest,
    CheckoutSession,
    EventKind,
    EventRejectedError,
    dig,
    from_unix,
    header,
    json_object,
    text,
    whole,
)

TOLERANCE = 300  # seconds a signed event stays acceptable (Stripe's own default)
TIMEOUT = (5.0, 30.0)

SUBSCRIPTION_STATUS = {
    "active": "ACTIVE",
    "trialing": "ACTIVE",
    "past_due": "PAST_DUE",
    "unpaid": "PAST_DUE",
    "canceled": "CANCELED",
    "incomplete_expired": "CANCELED",
}


class StripeProvider(BillingProvider):
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.api_base = api_base.rstrip("/")

    def _client(self) -> stripe.StripeClient:
        if not self.secret_key:
            raise BillingProviderError("Stripe is not configured (STRIPE_SECRET_KEY).", retryable=False)
        return stripe.StripeClient(
            self.secret_key,
            base_addresses={"api": self.api_base},
            # Checkout creation carries an idempotency key, so a retry never opens a second session.
            max_network_retries=1,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        subscription = request.kind == "subscription"
        if request.provider_product:
            line_item: dict[str, Any] = {"price": request.provider_product, "quantity": 1}
        else:
            price_data: dict[str, Any] = {
                "currency": request.currency,
                "unit_amount": request.amount,
                "product_data": {"name": request.product_name},
            }
            if subscription:
                price_data["recurring"] = {"interval": request.interval}
            line_item = {"price_data": price_data, "quantity": 1}
        metadata = {"order_no": request.order_no, "user_id": str(request.user_id)}
        params: dict[str, Any] = {
            "mode": "subscription" if subscription else "payment",
            "line_items": [line_item],
            "client_reference_id": request.order_no,
            "metadata": metadata,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
        }
        if subscription:
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["payment_intent_data"] = {"metadata": metadata}
            params["customer_creation"] = "always"
        if request.customer_ref:
            params["customer"] = request.customer_ref
        elif request.email:
            params["customer_email"] = request.email
        session = self._call(
            lambda client: client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"kensa-checkout-{request.order_no}"}
            )
        )
        if not session.get("id") or not session.get("url"):
            raise BillingProviderError("Stripe answered without a checkout URL.", retryable=True)
        return CheckoutSession(checkout_id=session["id"], url=session["url"])

    def portal_url(self, customer_ref: str, return_url: str, site_url: str = "") -> str:
        portal = self._call(
            lambda client: client.v1.billing_portal.sessions.create(
                params={"customer": customer_ref, "return_url": return_url}
            )
        )
        if not portal.get("url"):
            raise BillingProviderError("Stripe answered without a portal URL.", retryable=True)
        return portal["url"]

    def _call(self, call: Any) -> dict[str, Any]:
        try:
            return call(self._client()).to_dict()
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise BillingProviderError(
                "Stripe could not be reached.", retryable=True, code="unreachable"
            ) from error
        except stripe.StripeError as error:
            status = error.http_status or 0
            raise BillingProviderError(
                f"Stripe refused the request (HTTP {status}).", retryable=status >= 500, code=str(status)
            ) from error

    def parse_event(
        self, body: bytes, headers: Mapping[str, str], *, received_at: float | None = None
    ) -> BillingEvent:
        if not self.webhook_secret:
            raise EventRejectedError("Stripe webhooks are not configured.", authentic=False)
        # The library compares with now: widening its tolerance by the delivery's age judges
        # the timestamp against when it arrived.
        age = max(0.0, time.time() - received_at) if received_at is not None else 0.0
        try:
            stripe.Webhook.construct_event(
                body, header(headers, "Stripe-Signature"), self.webhook_secret, tolerance=TOLERANCE + int(age)
            )
        except stripe.SignatureVerificationError as error:
            raise EventRejectedError(
                "The Stripe signature is missing, invalid or stale.", authentic=False
            ) from error
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise EventRejectedError("The event body is not valid JSON.", authentic=True) from error
        return parse(json_object(body))


def parse(event: dict[str, Any]) -> BillingEvent:
    event_id, event_type = text(event.get("id")), text(event.get("type"))
    created = from_unix(event.get("created"))
    obj = dig(event, "data", "object")
    if not event_id or not event_type or created is None or not isinstance(obj, dict):
        raise EventRejectedError("The event lacks its id, type, time or object.", authentic=True)
    base = {"provider": "stripe", "event_id": event_id, "event_type": event_type, "created_at": created}
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}

    if event_type == "checkout.session.completed":
        return BillingEvent(
            **base,
            kind=EventKind.CHECKOUT_COMPLETED,
            order_no=text(obj.get("client_reference_id")) or text(metadata.get("order_no")),
            paid=obj.get("payment_status") in ("paid", "no_payment_required"),
            customer_ref=text(obj.get("customer")),
            subscription_ref=text(obj.get("subscription")),
            payment_ref=text(obj.get("payment_intent")) or text(obj.get("id")),
            amount=whole(obj.get("amount_total")),
            currency=text(obj.get("currency"), 3),
        )
    if event_type == "invoice.paid":
        details = dig(obj, "parent", "subscription_details") or obj.get("subscription_details") or {}
        subscription_ref = text(obj.get("subscription")) or text(dig(details, "subscription"))
        if not subscription_ref:
            return BillingEvent(**base, kind=EventKind.IGNORED)
        line = dig(obj, "lines", "data", 0) or {}
        sub_metadata = dig(details, "metadata") or dig(line, "metadata") or {}
        payment_intent = text(obj.get("payment_intent")) or text(
            dig(obj, "payments", "data", 0, "payment", "payment_intent")
        )
        return BillingEvent(
            **base,
            kind=EventKind.PERIOD_PAID,
            order_no=text(sub_metadata.get("order_no")) if isinstance(sub_metadata, dict) else "",
            customer_ref=text(obj.get("customer")),
            subscription_ref=subscription_ref,
            payment_ref=text(obj.get("id")),
            charge_ref=payment_intent,
            period_start=from_unix(dig(line, "period", "start")),
            period_end=from_unix(dig(line, "period", "end")),
            amount=whole(obj.get("amount_paid")),
            currency=text(obj.get("currency"), 3),
        )
    if event_type in ("charge.refunded", "charge.dispute.created"):
        dispute = event_type == "charge.dispute.created"
        refs = tuple(
            r for r in (text(obj.get("payment_intent")), text(obj.get("charge")), text(obj.get("id"))) if r
        )
        return BillingEvent(
            **base,
            kind=EventKind.DISPUTE if dispute else EventKind.REFUND,
            order_no=text(metadata.get("order_no")),
            refund_refs=refs,
            amount=None if dispute else whole(obj.get("amount")),
            refunded=whole(obj.get("amount") if dispute else obj.get("amount_refunded")),
            currency=text(obj.get("currency"), 3),
        )
    if event_type in ("customer.subscription.updated", "customer.subscription.deleted"):
        status = (
            "CANCELED" if event_type.endswith("deleted") else SUBSCRIPTION_STATUS.get(obj.get("status"), "")
        )
        period_end = obj.get("current_period_end") or dig(obj, "items", "data", 0, "current_period_end")
        return BillingEvent(
            **base,
            kind=EventKind.SUBSCRIPTION_STATUS,
            order_no=text(metadata.get("order_no")),
            customer_ref=text(obj.get("customer")),
            subscription_ref=text(obj.get("id")),
            subscription_status=status,
            period_end=from_unix(period_end),
            cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        )
    return BillingEvent(**base, kind=EventKind.IGNORED)
