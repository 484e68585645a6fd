"""GET /metrics: who may read it, and what it says (in-process; see test_processes for gunicorn)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from kensa.log_format import JsonFormatter
from tests.factories import give_credits
from tests.webhooks.support import SORA

pytestmark = pytest.mark.django_db

OUTSIDE = "8.8.4.4"  # a public address (documentation ranges count as private)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return None


def test_metrics_refuse_an_outside_address_without_the_token(settings):
    settings.METRICS_TOKEN = "scrape-token"

    answer = Client(REMOTE_ADDR=OUTSIDE).get("/metrics")

    assert answer.status_code == 403


def test_metrics_refuse_a_wrong_token_from_outside(settings):
    settings.METRICS_TOKEN = "scrape-token"

    answer = Client(REMOTE_ADDR=OUTSIDE).get("/metrics", HTTP_AUTHORIZATION="Bearer not-it")

    assert answer.status_code == 403


def test_metrics_answer_the_token_from_anywhere(settings):
    settings.METRICS_TOKEN = "scrape-token"

    answer = Client(REMOTE_ADDR=OUTSIDE).get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")


def test_metrics_answer_an_internal_address_without_a_token():
    answer = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")

    assert answer.status_code == 200


def test_metrics_refuse_a_request_relayed_by_a_proxy_without_the_token():
    answer = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDE)

    assert answer.status_code == 403


def test_metrics_refuse_internal_addresses_when_told_to(settings):
    settings.METRICS_ALLOW_INTERNAL = False

    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_metrics_count_requests_by_route_and_status():
    scrape = Client(REMOTE_ADDR="127.0.0.1")
    before = sample(
        scrape.get("/metrics").text, "kensa_http_requests_total", route="/healthz", method="GET", status="200"
    )

    Client().get("/healthz")
    Client().get("/healthz")

    after = sample(
        scrape.get("/metrics").text, "kensa_http_requests_total", route="/healthz", method="GET", status="200"
    )
    assert after == (before or 0) + 2


def test_metrics_show_videos_by_status_and_credits_held(settings, user, auth_client):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "webhooks"]}
    }
    give_credits(user, 10)
    answer = auth_client.post("/api/v1/video/generate", SORA, format="json")  # nothing runs it
    assert answer.status_code == 202, answer.content

    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").text

    assert sample(text, "kensa_videos", status="PENDING") == 1
    assert sample(text, "kensa_videos", status="COMPLETED") == 0
    assert sample(text, "kensa_credits_held") == 2
    assert sample(text, "kensa_webhook_deliveries_pending") == 0


def test_json_log_lines_carry_the_message_and_extra_fields():
    record = logging.LogRecord("kensa.test", logging.WARNING, __file__, 1, "copy of %s failed", ("v1",), None)
    record.video = "v1"

    line = json.loads(JsonFormatter().format(record))

    assert (line["level"], line["logger"], line["message"], line["video"]) == (
        "WARNING",
        "kensa.test",
        "copy of v1 failed",
        "v1",
    )


def test_metrics_count_webhook_deliveries_by_state(user):
    from datetime import timedelta

    from django.utils import timezone

    from webhooks.models import DeliveryStatus, Event, EventDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(user=user, url="https://hooks.example.com/kensa")
    now = timezone.now()
    states = [
        (DeliveryStatus.PENDING, 0, now - timedelta(minutes=10)),  # the oldest pending
        (DeliveryStatus.PENDING, 2, now - timedelta(minutes=5)),  # failing: tried, not delivered
        (DeliveryStatus.PENDING, 3, now - timedelta(minutes=1)),
        (DeliveryStatus.FAILED, 8, now - timedelta(days=6)),  # older than the pending, not counted
        (DeliveryStatus.DELIVERED, 1, now - timedelta(days=7)),
    ]
    for status, attempts, created in states:
        event = Event.objects.create(user=user, type="video.updated", data={})
        EventDelivery.objects.create(
            endpoint=endpoint, event=event, status=status, attempts=attempts, created_at=created
        )

    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").text

    assert sample(text, "kensa_webhook_deliveries_pending") == 3
    assert sample(text, "kensa_webhook_deliveries_failing") == 2
    assert sample(text, "kensa_webhook_deliveries_failed") == 1
    assert 600 <= sample(text, "kensa_webhook_deliveries_oldest_pending_age_seconds") < 700
