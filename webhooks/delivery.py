"""Sending events to users' endpoints: at least once, signed, retried on a schedule.

One attempt = claim (under the endpoint's row lock) → send (no lock held, through
``kensa.outbound``: public addresses only, the checked address pinned, one deadline,
no redirects) → record. The claim puts a lease on the delivery; at most
WEBHOOKS_ENDPOINT_CONCURRENCY leases per endpoint exist at once, so a slow or dead
endpoint ties up that many workers of the ``webhooks`` queue and no more: the others
find its slots full and leave its deliveries for when one frees up. A worker killed
mid-send leaves a lease that expires; ``webhooks_dispatch`` then queues the delivery
again (the receiver may see it twice: at least once, the same ``webhook-id``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.tasks import task, task_backends
from django.utils import timezone
from requests.compat import json as requests_json

from kensa.outbound import OutboundError, fetch
from webhooks.models import DeliveryAttempt, DeliveryStatus, EventDelivery, WebhookEndpoint
from webhooks.signing import signature_headers

logger = logging.getLogger(__name__)

QUEUE = "webhooks"
# A claimed attempt's lease outlives the request's deadline by this much.
LEASE_MARGIN = timedelta(seconds=5)
# When an endpoint's slots are full, look again after this long (or when a slot frees).
BUSY_DELAY = timedelta(seconds=2)
DISABLED_MESSAGE = "Disabled: every delivery failed for {days} days."


@task(queue_name=QUEUE)
def deliver_event(delivery_id: str) -> None:
    attempt_delivery(delivery_id)


def enqueue_delivery(delivery_id: str, *, delay: float = 0) -> None:
    """Queue an attempt now, or after ``delay`` seconds where the backend can defer.

    A backend that cannot defer (the immediate one) queues nothing for later:
    ``webhooks_dispatch`` queues deliveries once they are due.
    """
    task_obj = deliver_event
    if delay > 0:
        if not task_backends[task_obj.backend].supports_defer:
            return
        task_obj = task_obj.using(run_after=timezone.now() + timedelta(seconds=delay))
    task_obj.enqueue(delivery_id)


def retry_schedule() -> list[float]:
    return [float(seconds) for seconds in settings.WEBHOOKS_RETRY_SCHEDULE]


@dataclass(frozen=True)
class Claim:
    delivery: EventDelivery
    endpoint: WebhookEndpoint


def _claim(delivery_id: str, *, now: datetime) -> Claim | None:
    """Lease the delivery for one attempt, if it is due and its endpoint has a free slot."""
    endpoint_id = EventDelivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    if endpoint_id is None:
        return None
    with transaction.atomic():
        # The endpoint's row lock makes "count the leases, then take one" one step.
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        delivery = EventDelivery.objects.select_for_update().select_related("event").get(pk=delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.leased_until and delivery.leased_until > now:
            return None  # another worker is sending it
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
            return None  # a retry that is not due (a stale task)
        if not endpoint.enabled:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return None
        busy = EventDelivery.objects.filter(endpoint=endpoint, leased_until__gt=now).count()
        if busy >= settings.WEBHOOKS_ENDPOINT_CONCURRENCY:
            delivery.next_attempt_at = now + BUSY_DELAY
            delivery.save(update_fields=["next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.leased_until = now + timedelta(seconds=settings.WEBHOOKS_TIMEOUT) + LEASE_MARGIN
        delivery.save(update_fields=["attempts", "leased_until"])
    return Claim(delivery=delivery, endpoint=endpoint)


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _body(payload: dict) -> bytes:
    # Serialised by the function requests uses for ``json=``: the bytes signed are the
    # bytes sent (kensa.outbound takes JSON, not raw bytes).
    return requests_json.dumps(payload, allow_nan=False).encode()


def send(endpoint: WebhookEndpoint, delivery: EventDelivery) -> Answer:
    """POST the event to the endpoint; never raises for what the endpoint does."""
    payload = delivery.event.as_payload()
    body = _body(payload)
    headers = signature_headers(endpoint.secret, payload["id"], int(time.time()), body)
    headers["Content-Type"] = "application/json"
    timeout = float(settings.WEBHOOKS_TIMEOUT)
    started = time.monotonic()
    try:
        with fetch(
            "POST",
            endpoint.url,
            json=payload,
            headers=headers,
            timeout=(min(5.0, timeout), timeout),
            total_timeout=timeout,
            max_redirects=0,
        ) as answer:
            # The status is the verdict; the body is never read.
            status_code, error = answer.status_code, ""
            if 300 <= status_code < 400:
                error = "Redirects are not followed."
    except OutboundError as failure:
        status_code, error = None, failure.message
    except Exception:
        logger.exception("webhook delivery %s crashed", delivery.pk)
        status_code, error = None, "The request could not be sent."
    duration_ms = int((time.monotonic() - started) * 1000)
    if status_code is not None and not error and not 200 <= status_code < 300:
        error = f"The endpoint answered {status_code}."
    return Answer(status_code=status_code, error=error[:500], duration_ms=duration_ms)


def attempt_delivery(delivery_id: str) -> Answer | None:
    """One attempt of a due delivery; None if it was not due, taken, or its endpoint busy."""
    claim = _claim(delivery_id, now=timezone.now())
    if claim is None:
        return None
    answer = send(claim.endpoint, claim.delivery)
    _record(claim, answer)
    return answer


def _record(claim: Claim, answer: Answer) -> None:
    now = timezone.now()
    schedule = retry_schedule()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=claim.endpoint.pk)
        delivery = EventDelivery.objects.select_for_update().get(pk=claim.delivery.pk)
        delivery.leased_until = None
        retry_in: float | None = None
        if answer.delivered:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            endpoint.failing_since = None
        else:
            endpoint.failing_since = endpoint.failing_since or now
            if delivery.attempts <= len(schedule) and delivery.status == DeliveryStatus.PENDING:
                retry_in = schedule[delivery.attempts - 1]
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
            else:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "leased_until"])
        endpoint.save(update_fields=["failing_since", "updated_at"])
        DeliveryAttempt.objects.create(
            delivery=delivery,
            endpoint=endpoint,
            number=delivery.attempts,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error,
            next_retry_at=delivery.next_attempt_at,
            created_at=now,
        )
        disable_if_failing(endpoint, now=now)
        if retry_in is not None and endpoint.enabled:
            transaction.on_commit(lambda: enqueue_delivery(str(delivery.pk), delay=retry_in), robust=True)
        # A slot of this endpoint is free again: the next delivery waiting for one goes now.
        waiting = _waiting(endpoint, now)
        if waiting:
            transaction.on_commit(lambda: enqueue_delivery(waiting), robust=True)


def _waiting(endpoint: WebhookEndpoint, now: datetime) -> str | None:
    pk = (
        EventDelivery.objects.filter(
            endpoint=endpoint, status=DeliveryStatus.PENDING, next_attempt_at__lte=now + BUSY_DELAY
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)
        .first()
    )
    return str(pk) if pk else None


def disable_if_failing(endpoint: WebhookEndpoint, *, now: datetime) -> bool:
    """Disable an endpoint whose deliveries have all failed for WEBHOOKS_DISABLE_AFTER_DAYS.

    Call with the endpoint's row locked. Its pending deliveries fail with it.
    """
    days = settings.WEBHOOKS_DISABLE_AFTER_DAYS
    if not endpoint.enabled or endpoint.failing_since is None:
        return False
    if endpoint.failing_since > now - timedelta(days=days):
        return False
    endpoint.enabled = False
    endpoint.disabled_reason = DISABLED_MESSAGE.format(days=f"{days:g}")
    endpoint.save(update_fields=["enabled", "disabled_reason", "updated_at"])
    EventDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    logger.warning("webhook endpoint %s disabled after %s days of failures", endpoint.pk, days)
    return True


def dispatch_due(*, now: datetime | None = None, grace: timedelta = timedelta(seconds=10)) -> int:
    """Queue deliveries that are due but nobody is sending (a lost task, a killed worker),
    and disable endpoints failing for too long. Returns how many were queued."""
    now = now or timezone.now()
    stale = WebhookEndpoint.objects.filter(
        enabled=True, failing_since__lte=now - timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS)
    ).values_list("pk", flat=True)
    for endpoint_id in stale:
        with transaction.atomic():
            disable_if_failing(WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id), now=now)
    due = (
        EventDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - grace)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    queued = 0
    for delivery_id in due:
        enqueue_delivery(str(delivery_id))
        queued += 1
    return queued
