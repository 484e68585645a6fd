"""The one entry point for payment events: verify, parse, apply once.

``handle_event(provider, raw_body, headers)`` is what the webhook layer calls once it has
stored a delivery. Events Kensa makes itself (the demo checkout's Pay button) go through
``submit_event``, which hands them to the same store-then-handle pipeline: the webhooks
app registers it with ``register_event_sink`` when it starts (credits imports no webhooks).

A forged or stale event raises a typed error (401), an unreadable one 400, an oversized
one 413, and changes nothing. An authentic event is applied in one transaction that also
writes its ``ProcessedBillingEvent`` row, unique on (provider, event id): a repeat or a
parallel copy finds the row and changes nothing. An event about something not seen yet
(a refund before its payment) waits, and is applied when that arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.billing import fulfilment
from credits.billing.errors import (
    BillingEventTooLargeError,
    InvalidBillingSignatureError,
    MalformedBillingEventError,
    UnknownBillingProviderNameError,
)
from credits.billing.models import EventOutcome, ProcessedBillingEvent
from credits.billing.providers import UnknownBillingProviderError, billing_provider
from credits.billing.providers.base import BillingEvent, EventRejectedError
from kensa.locks import hold_until_commit

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 512 * 1024  # Stripe's and Creem's events are a few kilobytes
MAX_WAKE_ROUNDS = 5
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class EventResult:
    provider: str
    event_id: str
    event_type: str
    outcome: str  # applied, ignored, waiting, or duplicate (processed before)
    detail: str = ""


def handle_event(
    provider_name: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    received_at: datetime | None = None,
) -> EventResult:
    """Verify the signature on the raw body, parse, and apply the event once.

    ``received_at``: when a stored delivery arrived (a signed timestamp is judged against
    it, so staff can reprocess a delivery after the provider's tolerance has passed).
    """
    try:
        provider = billing_provider(provider_name)
    except UnknownBillingProviderError:
        raise UnknownBillingProviderNameError() from None
    if len(raw_body) > MAX_EVENT_BYTES:
        raise BillingEventTooLargeError(f"The event body is too large (at most {MAX_EVENT_BYTES} bytes).")
    try:
        event = provider.parse_event(
            raw_body, headers, received_at=received_at.timestamp() if received_at else None
        )
    except EventRejectedError as error:
        if error.authentic:
            raise MalformedBillingEventError(error.message) from error
        raise InvalidBillingSignatureError() from error
    return apply_event(event)


# Receives (provider, raw body, headers) of an event Kensa made itself; see submit_event.
EventSink = Callable[[str, bytes, Mapping[str, str]], object]
_sinks: list[EventSink] = []


def register_event_sink(sink: EventSink) -> None:
    """Route ``submit_event`` through ``sink`` (the webhooks app's stored-delivery pipeline)."""
    _sinks[:] = [sink]


def submit_event(provider_name: str, raw_body: bytes, headers: Mapping[str, str]) -> None:
    """Deliver an event Kensa made itself the way a provider's arrives: stored, then handled.

    Without a registered sink (credits used without webhooks) it is handled directly.
    """
    sink = _sinks[0] if _sinks else handle_event
    sink(provider_name, raw_body, headers)


def apply_event(event: BillingEvent) -> EventResult:
    """Apply an authentic event once (by its provider's event id)."""
    with transaction.atomic():
        # One provider's events apply one at a time: a refund and the payment it refers
        # to, racing, would otherwise each miss the other (payment events are few).
        hold_until_commit(f"kensa.billing.{event.provider}")
        try:
            with transaction.atomic():
                record = ProcessedBillingEvent.objects.create(
                    provider=event.provider,
                    event_id=event.event_id,
                    event_type=event.event_type[:100],
                    outcome=EventOutcome.IGNORED,
                    payload=event.to_json(),
                )
        except IntegrityError:
            return EventResult(
                event.provider, event.event_id, event.event_type, DUPLICATE, "processed before"
            )
        outcome = _apply(record, event)
        _wake(event.provider, outcome.unlocked)
    logger.info(
        "billing event %s %s %s: %s", event.provider, event.event_id, event.event_type, record.outcome
    )
    return EventResult(event.provider, event.event_id, event.event_type, outcome.outcome, outcome.detail)


def _apply(record: ProcessedBillingEvent, event: BillingEvent) -> fulfilment.Outcome:
    outcome = fulfilment.apply(event)
    record.outcome = outcome.outcome
    record.detail = outcome.detail[:255]
    record.waiting_for = outcome.waiting_for[:255]
    record.applied_at = timezone.now() if outcome.outcome == EventOutcome.APPLIED else None
    record.save(update_fields=["outcome", "detail", "waiting_for", "applied_at"])
    return outcome


def _wake(provider: str, refs: tuple[str, ...]) -> None:
    """Apply, oldest first, the waiting events of ``provider`` that wait for one of ``refs``."""
    pending = {ref for ref in refs if ref}
    for _ in range(MAX_WAKE_ROUNDS):
        if not pending:
            return
        waiting = ProcessedBillingEvent.objects.filter(
            provider=provider, outcome=EventOutcome.WAITING, waiting_for__in=pending
        ).order_by("received_at", "id")
        pending = set()
        for record in waiting:
            outcome = _apply(record, BillingEvent.from_json(record.payload))
            pending.update(ref for ref in outcome.unlocked if ref)
