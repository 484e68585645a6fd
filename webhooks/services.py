"""Provider callbacks and payment events: store raw, authenticate, then act.

The callback is a trigger, not the truth: processing never trusts the body's verdict;
it queues a query of the provider, whose answer decides (``videos.refresh``). Which
videos want one is the videos app's rule (``videos.selectors.callback_refusal``).

A payment event (kind ``billing``) goes to ``credits.billing.events.handle_event``, which
checks its signature on the raw body and applies it once per event id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from credits.billing import events as billing_events
from credits.billing.errors import InvalidBillingSignatureError, MalformedBillingEventError
from kensa.errors import DomainError
from videos.callbacks import verify_callback
from videos.providers import get_provider
from videos.providers.base import ProviderError
from videos.refresh import request_refresh
from videos.selectors import callback_refusal
from webhooks.models import DeliveryKind, DeliveryOutcome, WebhookDelivery

logger = logging.getLogger(__name__)

# Credentials and cookies are never stored with a delivery.
DROPPED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class InvalidCallbackSignatureError(DomainError):
    status_code = 401
    code = "invalid_signature"
    default_message = "The callback signature is missing, invalid or expired."


class MalformedCallbackError(DomainError):
    status_code = 400
    code = "malformed_callback"
    default_message = "The callback body could not be read."


def _pg_text(value: str) -> str:
    """PostgreSQL text and jsonb cannot hold NUL; the sender's bytes are kept otherwise."""
    return value.replace("\x00", "\ufffd")


def record_delivery(
    provider: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    query_string: str,
    remote_addr: str | None,
    kind: str = DeliveryKind.CALLBACK,
) -> WebhookDelivery:
    video = parse_qs(query_string).get("video", [""])[0][:64] if kind == DeliveryKind.CALLBACK else ""
    return WebhookDelivery.objects.create(
        kind=kind,
        provider=provider,
        video_uuid=_pg_text(video),
        headers={_pg_text(k): _pg_text(v) for k, v in headers.items() if k.lower() not in DROPPED_HEADERS},
        body=_pg_text(body.decode("utf-8", errors="replace")),
        query_string=_pg_text(query_string[:4096]),
        remote_addr=remote_addr or None,
    )


def _finish(delivery: WebhookDelivery, outcome: str, error: str = "") -> WebhookDelivery:
    delivery.outcome = outcome
    delivery.error = error
    delivery.processed_at = timezone.now()
    delivery.save(
        update_fields=["outcome", "error", "processed_at", "signature_valid", "task_id", "event_id"]
    )
    return delivery


def process_delivery(delivery: WebhookDelivery, raw_body: bytes | None = None) -> WebhookDelivery:
    """Authenticate a stored delivery and act on it (a video's refresh, a payment event).
    Safe to repeat.

    ``raw_body``: the bytes as received (the stored text is the same for any UTF-8 body).
    Refusals raise typed errors; anything unexpected is recorded on the delivery (outcome
    ``error``, reprocess it from the admin) before it propagates.
    """
    try:
        if delivery.kind == DeliveryKind.BILLING:
            return _process_payment_event(delivery, delivery.body.encode() if raw_body is None else raw_body)
        return _process(delivery)
    except DomainError:
        raise
    except Exception:
        logger.exception("processing webhook delivery %s failed", delivery.pk)
        _finish(delivery, DeliveryOutcome.ERROR, "Processing failed; see the server log.")
        raise


def _process(delivery: WebhookDelivery) -> WebhookDelivery:
    params = {k: v[0] for k, v in parse_qs(delivery.query_string).items()}
    provider = get_provider(delivery.provider)
    body = delivery.body.encode()
    url_ok = verify_callback(
        delivery.provider, params.get("video", ""), params.get("ts", ""), params.get("sig", "")
    )
    # The provider's own signature is checked only for an authentic URL: unauthenticated
    # bodies are never parsed.
    delivery.signature_valid = url_ok and provider.verify_signature(body, delivery.headers) is not False
    if not delivery.signature_valid:
        _finish(delivery, DeliveryOutcome.REJECTED, "signature missing, invalid or expired")
        raise InvalidCallbackSignatureError()
    try:
        info = provider.parse_callback(body, delivery.headers)
    except ProviderError as error:
        _finish(delivery, DeliveryOutcome.INVALID, error.message)
        raise MalformedCallbackError() from error
    if not info.task_id.isprintable():
        _finish(delivery, DeliveryOutcome.INVALID, "task id is not printable text")
        raise MalformedCallbackError()
    delivery.task_id = info.task_id[:255]

    try:
        video_pk = uuid.UUID(params["video"])
    except ValueError:
        return _finish(delivery, DeliveryOutcome.IGNORED, "unknown video")
    if refusal := callback_refusal(video_pk, info.task_id):
        return _finish(delivery, DeliveryOutcome.IGNORED, refusal)
    if _already_acted_on(delivery, video_pk):
        # A replayed signed URL must not buy a provider query each time it is sent.
        return _finish(delivery, DeliveryOutcome.IGNORED, "same body as a delivery already processed")
    request_refresh(str(video_pk), force=True)
    return _finish(delivery, DeliveryOutcome.QUEUED)


BILLING_OUTCOMES = {
    "applied": DeliveryOutcome.APPLIED,
    "waiting": DeliveryOutcome.WAITING,
    "ignored": DeliveryOutcome.IGNORED,
    billing_events.DUPLICATE: DeliveryOutcome.IGNORED,
}


def _process_payment_event(delivery: WebhookDelivery, body: bytes) -> WebhookDelivery:
    try:
        result = billing_events.handle_event(
            delivery.provider, body, delivery.headers, received_at=delivery.received_at
        )
    except InvalidBillingSignatureError:
        delivery.signature_valid = False
        _finish(delivery, DeliveryOutcome.REJECTED, "signature missing, invalid or stale")
        raise
    except DomainError as error:  # unreadable or too large: nothing applied
        delivery.signature_valid = True if isinstance(error, MalformedBillingEventError) else None
        _finish(delivery, DeliveryOutcome.INVALID, error.message)
        raise
    delivery.signature_valid = True
    delivery.event_id = result.event_id[:255]
    detail = "event processed before" if result.outcome == billing_events.DUPLICATE else result.detail
    return _finish(delivery, BILLING_OUTCOMES.get(result.outcome, DeliveryOutcome.IGNORED), detail)


def receive_payment_event(provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookDelivery:
    """A payment event Kensa made itself (the demo checkout): stored and processed as if
    it had arrived at the webhook endpoint (``credits.billing.events.submit_event``)."""
    delivery = record_delivery(
        provider, headers=headers, body=body, query_string="", remote_addr=None, kind=DeliveryKind.BILLING
    )
    return process_delivery(delivery, body)


def _already_acted_on(delivery: WebhookDelivery, video_pk: uuid.UUID) -> bool:
    """An earlier delivery with this body queued a refresh of this video."""
    return (
        WebhookDelivery.objects.filter(
            video_uuid=str(video_pk),
            provider=delivery.provider,
            outcome=DeliveryOutcome.QUEUED,
            body=delivery.body,
        )
        .exclude(pk=delivery.pk)
        .exists()
    )


def reprocess(delivery: WebhookDelivery) -> WebhookDelivery:
    try:
        return process_delivery(delivery)
    except DomainError:
        return delivery


# Rejected deliveries (no or a bad signature) can be sent by anyone: kept only for a look.
REJECTED_RETENTION = timedelta(days=1)


def purge_deliveries(*, now: datetime | None = None) -> int:
    """Delete deliveries past WEBHOOK_RETENTION_DAYS (default 30), rejected ones after a day.

    Returns how many were deleted.
    """
    now = now or timezone.now()
    retention = timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(
        Q(received_at__lt=now - retention)
        | Q(outcome=DeliveryOutcome.REJECTED, received_at__lt=now - min(retention, REJECTED_RETENTION))
    ).delete()
    return deleted
