"""The event outbox: rows written in the transaction of the change they report.

The domains announce changes with signals sent inside their transactions
(``videos.signals``, ``credits.signals``); the receivers here write the event row and
one delivery row per endpoint that wants it, in that same transaction — no change
without its event, no event without its change. Only after commit does anything leave
the process: a wake-up on Redis for live streams, and delivery tasks for endpoints.

Ordering: writers of one user's events take a per-user transaction lock before their
first insert (PostgreSQL advisory lock; SQLite serialises writers anyway), so one user's
events commit in id order and "every event after id N" is a gap-free resume. The lock is
taken last — after the domain's own row locks — and held to the end of the transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from credits.billing.models import Order
from credits.models import CreditTransaction
from credits.signals import ledger_entry_created, order_paid, order_refunded
from kensa.locks import hold_until_commit
from videos.models import Video, VideoStatus
from videos.signals import video_changed
from webhooks import payloads
from webhooks.delivery import enqueue_delivery
from webhooks.live import publish_event
from webhooks.models import DeliveryStatus, Event, EventDelivery, EventType, WebhookEndpoint

logger = logging.getLogger(__name__)


def record_event(user_id: int, event_type: str, data: dict[str, Any]) -> Event:
    """Write one event and its deliveries; publish and deliver after commit.

    Call inside the transaction of the change it reports: the event is part of it, and
    a failure to write it fails the change (no savepoint of its own).
    """
    [event] = record_events(user_id, [(event_type, data)])
    return event


def record_events(user_id: int, items: list[tuple[str, dict[str, Any]]]) -> list[Event]:
    """Write the events of one change, in order, under one lock and one look at the
    user's endpoints; publish and deliver after commit."""
    events = []
    with transaction.atomic(savepoint=False):
        # One user's events commit in id order: a stream resuming after an id misses none.
        hold_until_commit(f"kensa.events.user.{user_id}")
        endpoints = list(WebhookEndpoint.objects.filter(user_id=user_id, enabled=True))
        for event_type, data in items:
            event = Event.objects.create(user_id=user_id, type=event_type, data=data)
            deliveries = EventDelivery.objects.bulk_create(
                EventDelivery(endpoint=endpoint, event=event)
                for endpoint in endpoints
                if endpoint.wants(event_type)
            )
            _after_commit(user_id, event, [str(delivery.pk) for delivery in deliveries])
            events.append(event)
    return events


def _after_commit(user_id: int, event: Event, delivery_ids: list[str]) -> None:
    # Robust: the event is committed; a Redis or queue hiccup only delays it (streams
    # re-read the outbox, the dispatcher picks up due deliveries).
    transaction.on_commit(lambda: publish_event(user_id, event.pk), robust=True)
    for delivery_id in delivery_ids:
        transaction.on_commit(lambda d=delivery_id: enqueue_delivery(d), robust=True)


def record_ping(endpoint: WebhookEndpoint) -> EventDelivery:
    """A ``ping`` for one endpoint only (not on the live stream)."""
    with transaction.atomic():
        event = Event.objects.create(
            user_id=endpoint.user_id, type=EventType.PING, data={"endpoint": {"id": str(endpoint.pk)}}
        )
        delivery = EventDelivery.objects.create(endpoint=endpoint, event=event)
        transaction.on_commit(lambda: enqueue_delivery(str(delivery.pk)), robust=True)
    return delivery


# --- what the domains announce ----------------------------------------------------------

# A video reaching one of these statuses also announces it under its own event type.
FINAL_EVENTS = {VideoStatus.COMPLETED: EventType.VIDEO_COMPLETED, VideoStatus.FAILED: EventType.VIDEO_FAILED}


@receiver(video_changed, sender=Video, dispatch_uid="webhooks.outbox.video_changed")
def on_video_changed(sender: type[Video], video: Video, previous_status: str | None, **kwargs: Any) -> None:
    data = payloads.video_data(video)
    items = [(EventType.VIDEO_UPDATED, data)]
    if video.status != previous_status and video.status in FINAL_EVENTS:
        items.append((FINAL_EVENTS[video.status], data))
    record_events(video.user_id, items)


@receiver(ledger_entry_created, sender=CreditTransaction, dispatch_uid="webhooks.outbox.ledger_entry")
def on_ledger_entry(
    sender: type[CreditTransaction], entry: CreditTransaction, balance: dict, **kwargs: Any
) -> None:
    record_event(entry.user_id, EventType.CREDITS_CHANGED, payloads.credits_data(entry, balance))


@receiver(order_paid, sender=Order, dispatch_uid="webhooks.outbox.order_paid")
def on_order_paid(sender: type[Order], order: Order, **kwargs: Any) -> None:
    record_event(order.user_id, EventType.ORDER_PAID, payloads.order_data(order))


@receiver(order_refunded, sender=Order, dispatch_uid="webhooks.outbox.order_refunded")
def on_order_refunded(sender: type[Order], order: Order, **kwargs: Any) -> None:
    record_event(order.user_id, EventType.ORDER_REFUNDED, payloads.order_data(order))


# Events that endpoints were sent stay this long, for their delivery log.
DELIVERY_LOG_RETENTION = timedelta(days=7)


def purge_events(*, now: datetime | None = None) -> int:
    """Delete events past EVENTS_RETENTION_HOURS (a week when endpoints were sent them),
    never one with a delivery still pending. Returns how many were deleted."""
    now = now or timezone.now()
    retention = timedelta(hours=settings.EVENTS_RETENTION_HOURS)
    old = Event.objects.filter(created_at__lt=now - retention).exclude(
        deliveries__status=DeliveryStatus.PENDING
    )
    deleted, _ = old.filter(
        Q(deliveries__isnull=True) | Q(created_at__lt=now - max(retention, DELIVERY_LOG_RETENTION))
    ).delete()
    return deleted
