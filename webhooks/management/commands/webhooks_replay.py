from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.utils import timezone

from webhooks.delivery import enqueue_delivery
from webhooks.models import DeliveryStatus, EventDelivery, WebhookEndpoint
from webhooks.selectors import events_since


class Command(BaseCommand):
    help = (
        "Send a user's kept events again to one of their endpoints (e.g. after it was down): "
        "every event of the last --hours (default 24) it subscribes to, in order, with the "
        "original webhook-id so receivers can drop what they already have."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("endpoint", help="The endpoint's id (its owner is the user replayed).")
        parser.add_argument("--hours", type=float, default=24.0)
        parser.add_argument("--dry-run", action="store_true", help="Only say how many would be sent.")

    def handle(self, *args, endpoint: str, hours: float, dry_run: bool, **options) -> None:
        try:
            target = WebhookEndpoint.objects.get(pk=uuid.UUID(endpoint))
        except (ValueError, WebhookEndpoint.DoesNotExist):
            raise CommandError(f"No webhook endpoint {endpoint}.") from None
        if not target.enabled:
            raise CommandError(f"Endpoint {endpoint} is disabled; enable it first.")
        since = timezone.now() - timedelta(hours=hours)
        events = [
            e for e in events_since(target.user_id).filter(created_at__gte=since) if target.wants(e.type)
        ]
        if dry_run:
            self.stdout.write(f"would replay {len(events)} events to {target.url}")
            return
        for event in events:
            with transaction.atomic():
                delivery = (
                    EventDelivery.objects.select_for_update().filter(endpoint=target, event=event).first()
                )
                if delivery is None:
                    try:
                        with transaction.atomic():
                            delivery = EventDelivery.objects.create(endpoint=target, event=event)
                    except IntegrityError:
                        continue  # created meanwhile by the event's own delivery
                else:
                    delivery.status = DeliveryStatus.PENDING
                    delivery.next_attempt_at = timezone.now()
                    delivery.save(update_fields=["status", "next_attempt_at"])
                transaction.on_commit(lambda d=str(delivery.pk): enqueue_delivery(d), robust=True)
        self.stdout.write(f"replaying {len(events)} events to {target.url}")
