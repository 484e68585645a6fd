"""Raw deliveries are kept WEBHOOK_RETENTION_DAYS (30 by default); rejected ones (no or a
bad signature: anyone can send them) only a day. The scheduler's rounds purge them."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from webhooks.models import DeliveryOutcome, WebhookDelivery

pytestmark = pytest.mark.django_db


def delivery(*, age: timedelta, outcome: str = DeliveryOutcome.QUEUED) -> WebhookDelivery:
    stored = WebhookDelivery.objects.create(provider="evolink", body="{}", outcome=outcome)
    WebhookDelivery.objects.filter(pk=stored.pk).update(received_at=timezone.now() - age)
    return stored


def purge() -> str:
    out = StringIO()
    call_command("webhooks_purge", stdout=out)
    return out.getvalue().strip()


def kept() -> set[int]:
    return set(WebhookDelivery.objects.values_list("pk", flat=True))


def test_purge_deletes_deliveries_older_than_30_days():
    old = delivery(age=timedelta(days=30, hours=1))
    recent = delivery(age=timedelta(days=29))

    output = purge()

    assert output == "deleted 1 webhook deliveries"
    assert kept() == {recent.pk}
    assert old.pk not in kept()


def test_purge_deletes_rejected_deliveries_after_a_day():
    rejected_old = delivery(age=timedelta(hours=25), outcome=DeliveryOutcome.REJECTED)
    rejected_new = delivery(age=timedelta(hours=23), outcome=DeliveryOutcome.REJECTED)
    processed = delivery(age=timedelta(days=2))

    purge()

    assert kept() == {rejected_new.pk, processed.pk}
    assert rejected_old.pk not in kept()


def test_purge_follows_webhook_retention_days(settings):
    settings.WEBHOOK_RETENTION_DAYS = 7
    old = delivery(age=timedelta(days=8))
    recent = delivery(age=timedelta(days=6))

    purge()

    assert kept() == {recent.pk}
    assert old.pk not in kept()


def test_the_scheduler_round_purges_old_deliveries():
    old = delivery(age=timedelta(days=31))
    recent = delivery(age=timedelta(days=1))

    call_command("kensa_scheduler", "--once", stdout=StringIO())

    assert kept() == {recent.pk}
    assert old.pk not in kept()
