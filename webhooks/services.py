"""Provider callbacks: store raw, authenticate, then hand the video a status refresh.

The callback is a trigger, not the truth: processing never trusts the body's verdict;
it queues a query of the provider, whose answer decides (videos.services).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs

from django.utils import timezone

from kensa.errors import DomainError
from videos import tasks as video_tasks
from videos.callbacks import verify_callback
from videos.models import FailureReason, Video
from videos.providers import get_provider
from videos.providers.base import ProviderError
from webhooks.models import DeliveryOutcome, WebhookDelivery

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
    provider: str, *, headers: Mapping[str, str], body: bytes, query_string: str, remote_addr: str | None
) -> WebhookDelivery:
    video = parse_qs(query_string).get("video", [""])[0][:64]
    return WebhookDelivery.objects.create(
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
    delivery.save(update_fields=["outcome", "error", "processed_at", "signature_valid", "task_id"])
    return delivery


def process_delivery(delivery: WebhookDelivery) -> WebhookDelivery:
    """Authenticate a stored delivery and queue the video's refresh. Safe to repeat.

    Refusals raise typed errors; anything unexpected is recorded on the delivery (outcome
    ``error``, reprocess it from the admin) before it propagates.
    """
    try:
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
    video = (
        Video.objects.filter(pk=video_pk).only("uuid", "status", "failure_reason", "provider_task_id").first()
    )
    if video is None:
        return _finish(delivery, DeliveryOutcome.IGNORED, "unknown video")
    if video.provider_task_id and video.provider_task_id != info.task_id:
        return _finish(delivery, DeliveryOutcome.IGNORED, "task id does not match the video's task")
    if video.is_terminal and video.failure_reason != FailureReason.TIMEOUT:
        return _finish(delivery, DeliveryOutcome.IGNORED, "video already finished")
    if not video.provider_task_id:
        # Our submission has not recorded the task id yet; the reconciler asks later.
        return _finish(delivery, DeliveryOutcome.IGNORED, "video not yet submitted")
    video_tasks.request_refresh(str(video.uuid), force=True)
    return _finish(delivery, DeliveryOutcome.QUEUED)


def reprocess(delivery: WebhookDelivery) -> WebhookDelivery:
    try:
        return process_delivery(delivery)
    except DomainError:
        return delivery
