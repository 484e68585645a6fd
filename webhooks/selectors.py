"""Reads of users' endpoints, deliveries and events (never writes)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from webhooks.errors import DeliveryNotFoundError, EndpointNotFoundError
from webhooks.models import DeliveryAttempt, Event, EventDelivery, EventType, WebhookEndpoint


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def endpoints_of(user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(user=user).order_by("created_at", "id")


def endpoint_of(user, endpoint_id: str) -> WebhookEndpoint:
    """The user's endpoint; another user's is as unknown as a missing one."""
    pk = _uuid(endpoint_id)
    endpoint = WebhookEndpoint.objects.filter(pk=pk, user=user).first() if pk else None
    if endpoint is None:
        raise EndpointNotFoundError()
    return endpoint


def attempts_of(endpoint: WebhookEndpoint) -> QuerySet[DeliveryAttempt]:
    return (
        DeliveryAttempt.objects.filter(endpoint=endpoint)
        .select_related("delivery__event")
        .order_by("-created_at", "-id")
    )


def delivery_of(user, delivery_id: str) -> EventDelivery:
    pk = _uuid(delivery_id)
    delivery = (
        EventDelivery.objects.select_related("endpoint", "event").filter(pk=pk, endpoint__user=user).first()
        if pk
        else None
    )
    if delivery is None:
        raise DeliveryNotFoundError()
    return delivery


def stream_events(user_id: int, after: int, limit: int) -> QuerySet[Event]:
    """The user's events after id ``after``, oldest first (what a stream sends next)."""
    return (
        Event.objects.filter(user_id=user_id, id__gt=after)
        .exclude(type=EventType.PING)
        .order_by("id")[:limit]
    )


def latest_event_id(user_id: int) -> int:
    return Event.objects.filter(user_id=user_id).order_by("-id").values_list("id", flat=True).first() or 0


def events_since(user_id: int, *, after: int = 0) -> QuerySet[Event]:
    return Event.objects.filter(user_id=user_id, id__gt=after).exclude(type=EventType.PING).order_by("id")
