"""Sending events to endpoints over real HTTP to loopback receivers; signatures checked
by the Standard Webhooks library from PyPI."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.notify import add_endpoint, verified
from tests.webhooks.support import run_together
from webhooks.delivery import attempt_delivery, dispatch_due
from webhooks.models import DeliveryAttempt, DeliveryStatus, EventDelivery
from webhooks.outbox import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = True
    settings.WEBHOOKS_RETRY_SCHEDULE = [60, 60]
    settings.WEBHOOKS_TIMEOUT = 2


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    """Attempts are run by the test, one at a time, instead of by queued tasks."""
    monkeypatch.setattr("webhooks.outbox.enqueue_delivery", lambda *a, **k: None)
    monkeypatch.setattr("webhooks.delivery.enqueue_delivery", lambda *a, **k: None)


def owed(user, url: str, **endpoint_options) -> EventDelivery:
    endpoint = add_endpoint(user, url, **endpoint_options)
    record_event(user.pk, "credits.changed", {"balance": {"available": 1}})
    return EventDelivery.objects.select_related("endpoint", "event").get(endpoint=endpoint)


def make_due(delivery: EventDelivery) -> None:
    EventDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_failing_endpoint_gets_the_same_signed_event_until_it_answers_2xx(user):
    with WebhookReceiver(statuses=[500, 500, 200]) as receiver:
        delivery = owed(user, receiver.url)

        first = attempt_delivery(str(delivery.pk))
        early = attempt_delivery(str(delivery.pk))  # the retry is a minute away
        make_due(delivery)
        second = attempt_delivery(str(delivery.pk))
        make_due(delivery)
        third = attempt_delivery(str(delivery.pk))
        received = receiver.wait_for(3)

    assert [first.status_code, early, second.status_code, third.status_code] == [500, None, 500, 200]
    events = [verified(delivery.endpoint, r) for r in received]
    assert {r.headers["webhook-id"] for r in received} == {delivery.event.public_id}
    assert events == [delivery.event.as_payload()] * 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code, a.error) for a in log] == [
        (1, 500, "The endpoint answered 500."),
        (2, 500, "The endpoint answered 500."),
        (3, 200, ""),
    ]
    assert [a.next_retry_at is not None for a in log] == [True, True, False]
    assert 59 <= (log[0].next_retry_at - log[0].created_at).total_seconds() <= 61


def test_after_the_last_retry_the_delivery_fails(user):
    with WebhookReceiver(statuses=[503]) as receiver:
        delivery = owed(user, receiver.url)
        for _ in range(3):
            make_due(delivery)
            attempt_delivery(str(delivery.pk))
        assert attempt_delivery(str(delivery.pk)) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert len(receiver.requests) == 3


def test_a_redirect_is_not_followed(user):
    with WebhookReceiver(location="http://127.0.0.1:9/elsewhere", statuses=[302]) as receiver:
        delivery = owed(user, receiver.url)

        answer = attempt_delivery(str(delivery.pk))

    assert (answer.status_code, answer.error, answer.delivered) == (302, "Redirects are not followed.", False)
    assert len(receiver.requests) == 1


def test_a_slow_endpoint_is_cut_at_the_timeout(user, settings):
    settings.WEBHOOKS_TIMEOUT = 0.5
    with WebhookReceiver(delay=3) as receiver:
        delivery = owed(user, receiver.url)
        started = time.monotonic()

        answer = attempt_delivery(str(delivery.pk))

    assert time.monotonic() - started < 1.5
    assert (answer.status_code, answer.error) == (None, "The remote server did not answer in time.")


def test_a_private_address_is_refused_at_delivery_time_too(user, settings):
    with WebhookReceiver() as receiver:
        delivery = owed(user, receiver.url)
        settings.REMOTE_ASSET_ALLOW_PRIVATE = False

        answer = attempt_delivery(str(delivery.pk))

    assert answer.error == "The link was refused (it points to a private or reserved address)."
    assert receiver.requests == []


def test_an_endpoint_failing_for_five_days_is_disabled_and_says_so(user):
    with WebhookReceiver(statuses=[500]) as receiver:
        delivery = owed(user, receiver.url)
        waiting = owed(user, receiver.url)
        endpoint = delivery.endpoint
        endpoint.failing_since = timezone.now() - timedelta(days=5, seconds=1)
        endpoint.save()

        attempt_delivery(str(delivery.pk))

    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_reason) == (
        False,
        "Disabled: every delivery failed for 5 days.",
    )
    assert EventDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.FAILED
    assert EventDelivery.objects.get(pk=waiting.pk).status == DeliveryStatus.PENDING  # another endpoint


def test_a_success_ends_the_failing_run(user):
    with WebhookReceiver(statuses=[200]) as receiver:
        delivery = owed(user, receiver.url)
        delivery.endpoint.failing_since = timezone.now() - timedelta(days=4)
        delivery.endpoint.save()

        attempt_delivery(str(delivery.pk))

    delivery.endpoint.refresh_from_db()
    assert (delivery.endpoint.enabled, delivery.endpoint.failing_since) == (True, None)


@pytest.mark.django_db(transaction=True)
def test_one_slow_endpoint_holds_at_most_its_slots_and_never_delays_another(user, other_user, settings):
    settings.WEBHOOKS_ENDPOINT_CONCURRENCY = 2
    with WebhookReceiver(delay=1.5) as slow, WebhookReceiver() as quick:
        slow_endpoint = add_endpoint(user, slow.url)
        for n in range(6):
            record_event(user.pk, "credits.changed", {"n": n})
        quick_delivery = owed(other_user, quick.url)
        slow_ids = [
            str(d) for d in EventDelivery.objects.filter(endpoint=slow_endpoint).values_list("pk", flat=True)
        ]

        def quick_job():
            time.sleep(0.3)  # once the slow endpoint's slots are taken
            started = time.monotonic()
            attempt_delivery(str(quick_delivery.pk))
            return time.monotonic() - started

        *slow_answers, quick_seconds = run_together(
            *[lambda d=d: attempt_delivery(d) for d in slow_ids], quick_job
        )

    assert slow.most_in_flight == 2
    assert sum(answer is not None for answer in slow_answers) == 2
    assert quick_seconds < 0.5
    assert len(quick.requests) == 1
    # The four that found no free slot wait a moment, without an attempt being counted.
    waiting = EventDelivery.objects.filter(endpoint=slow_endpoint, attempts=0, status=DeliveryStatus.PENDING)
    assert waiting.count() == 4


def test_the_dispatcher_queues_what_a_killed_worker_left_behind(user, monkeypatch):
    queued = []
    monkeypatch.setattr("webhooks.delivery.enqueue_delivery", lambda d, **k: queued.append(d))
    with WebhookReceiver() as receiver:
        delivery = owed(user, receiver.url)
    # A worker took the lease and died: nothing is sent until the lease runs out.
    EventDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, leased_until=timezone.now() + timedelta(seconds=5), next_attempt_at=timezone.now()
    )
    assert dispatch_due(now=timezone.now() + timedelta(seconds=1), grace=timedelta(0)) == 0

    assert dispatch_due(now=timezone.now() + timedelta(seconds=6), grace=timedelta(0)) == 1
    assert queued == [str(delivery.pk)]
