"""Notifications with real processes: gunicorn, the video worker, the webhooks worker and
uvicorn serving the live stream; endpoints are loopback receivers of the test's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.factories import PASSWORD, UserFactory, give_credits
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.live import ROOT, process_env, task_worker, web_server
from tests.webhooks.live_stack import asgi_server, webhooks_worker
from tests.webhooks.notify import verified
from tests.webhooks.sse import SSEStream
from webhooks.models import DeliveryStatus, Event, EventDelivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GENERATE = {"prompt": "a paper boat on a lake", "model": "sora-2", "duration": 10, "aspectRatio": "9:16"}


def live_env(tmp_path, **overrides: str) -> dict[str, str]:
    return process_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        NEW_USER_CREDITS="20",
        REMOTE_ASSET_ALLOW_PRIVATE="true",
        WEBHOOKS_ALLOW_HTTP="true",
        WEBHOOKS_RETRY_SCHEDULE="1,1,1",
        EVENTS_HEARTBEAT_SECONDS="1",
        **overrides,
    )


def signed_in(base: str, email: str) -> requests.Session:
    """A user with 20 credits, signed in through the API (made here: sign-up is not what
    these tests are about)."""
    give_credits(UserFactory(email=email, username=email), 20)
    session = requests.Session()
    answer = session.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return session


def add_endpoint(session: requests.Session, base: str, url: str, events: list[str]) -> dict:
    answer = session.post(
        f"{base}/api/v1/webhooks/endpoints", json={"url": url, "events": events}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


class StreamReader(threading.Thread):
    """Reads a stream in the background until ``until(event)`` or ``count`` events."""

    def __init__(self, stream: SSEStream, *, count: int | None = None, until=None) -> None:
        super().__init__(daemon=True)
        self.stream, self.count, self.until = stream, count, until
        self.events = []

    def run(self) -> None:
        try:
            for event in self.stream:
                self.events.append(event)
                if (self.count and len(self.events) >= self.count) or (self.until and self.until(event)):
                    break
        except (requests.RequestException, OSError, AttributeError):
            pass  # closed by the test while waiting for more
        finally:
            self.stream.close()  # the dropped connection


def test_a_demo_generation_reaches_webhooks_and_streams(tmp_path):
    env = live_env(tmp_path)
    with (
        WebhookReceiver(statuses=[500, 200]) as everything,
        WebhookReceiver(statuses=[500, 500, 200]) as completions,
        web_server(env, tmp_path) as web,
        asgi_server(env, tmp_path) as events_base,
        task_worker(env, tmp_path),
        webhooks_worker(env, tmp_path),
    ):
        alice = signed_in(web, "alice-e2e@example.com")
        bob = signed_in(web, "bob-e2e@example.com")
        all_endpoint = add_endpoint(alice, web, everything.url, [])
        done_endpoint = add_endpoint(alice, web, completions.url, ["video.completed"])
        bobs_stream = StreamReader(SSEStream(bob, f"{events_base}/api/v1/events", timeout=10))
        first = StreamReader(SSEStream(alice, f"{events_base}/api/v1/events", timeout=10), count=2)
        bobs_stream.start()
        first.start()
        time.sleep(0.5)  # both streams connected

        accepted = alice.post(f"{web}/api/v1/video/generate", json=GENERATE, timeout=10)
        assert accepted.status_code == 202, accepted.text
        first.join(30)
        # Dropped after two events; EventSource comes back with the last id it saw.
        resumed = StreamReader(
            SSEStream(alice, f"{events_base}/api/v1/events", last_event_id=first.events[-1].id, timeout=10),
            until=lambda event: event.type == "video.completed",
        )
        resumed.start()
        resumed.join(60)
        received_done = completions.wait_for(3, timeout=60)
        # The receivers answered; the worker records each answer a moment later.
        deadline = time.monotonic() + 30
        endpoints = [all_endpoint["id"], done_endpoint["id"]]
        while EventDelivery.objects.filter(endpoint_id__in=endpoints, status="pending").exists():
            assert time.monotonic() < deadline, "deliveries still pending"
            time.sleep(0.2)
        log = alice.get(
            f"{web}/api/v1/webhooks/endpoints/{done_endpoint['id']}/deliveries", timeout=10
        ).json()
        time.sleep(1.5)  # a heartbeat or more on Bob's quiet stream
        bobs_stream.stream.close()

    uuid = accepted.json()["data"]["uuid"]
    outbox = list(
        Event.objects.filter(user__email="alice-e2e@example.com").exclude(type="ping").order_by("id")
    )
    # The stream: Alice's events only, in order, resumed with no gap and no repeat.
    streamed = first.events + resumed.events
    first_id = int(first.events[0].id)
    expected = [e for e in outbox if e.pk >= first_id]
    assert [(int(e.id), e.type) for e in streamed] == [(e.pk, e.type) for e in expected]
    assert [e.data for e in streamed] == [e.as_payload() for e in expected]
    assert [e.type for e in streamed][-1] == "video.completed"
    assert streamed[-1].data["data"]["video"]["uuid"] == uuid
    assert bobs_stream.events == []
    assert "heartbeat" in bobs_stream.stream.comments

    # Every event, signed, at least once; the one answered 500 came again with its webhook-id.
    requests_seen = everything.requests
    events_seen = [verified(all_endpoint["secret"], r) for r in requests_seen]
    refused_id = requests_seen[0].headers["webhook-id"]  # answered 500
    assert any(r.headers["webhook-id"] == refused_id for r in requests_seen[1:])
    welcome, *since_the_endpoint = outbox  # the credits came before the endpoint
    assert welcome.data["transaction"]["transType"] == "ORDER_PAY"
    assert sorted({e["id"] for e in events_seen}) == sorted(e.public_id for e in since_the_endpoint)
    video_steps = {e["data"]["video"]["status"] for e in events_seen if e["type"] == "video.updated"}
    assert video_steps == {"PENDING", "GENERATING", "UPLOADING", "COMPLETED"}

    # Only completions for the other endpoint: three tries of the one event, each in the log.
    done = [verified(done_endpoint["secret"], r) for r in received_done]
    assert [e["type"] for e in done] == ["video.completed"] * 3
    assert len({r.headers["webhook-id"] for r in received_done}) == 1
    attempts = sorted(log["data"]["deliveries"], key=lambda a: a["attempt"])
    assert [(a["attempt"], a["statusCode"], a["deliveryStatus"]) for a in attempts] == [
        (1, 500, "delivered"),
        (2, 500, "delivered"),
        (3, 200, "delivered"),
    ]
    assert [a["nextRetryAt"] is not None for a in attempts] == [True, True, False]


def test_a_worker_killed_mid_delivery_loses_no_event(tmp_path):
    # The first request hangs; the lease (timeout + 5 s) lets the dispatcher retry after.
    env = live_env(tmp_path, WEBHOOKS_TIMEOUT="2")
    with (
        WebhookReceiver(delay=[30]) as receiver,
        web_server(env, tmp_path) as web,
    ):
        alice = signed_in(web, "killed@example.com")
        endpoint = add_endpoint(alice, web, receiver.url, [])
        with webhooks_worker(env, tmp_path, "first-worker") as worker:
            ping = alice.post(f"{web}/api/v1/webhooks/endpoints/{endpoint['id']}/test", timeout=10)
            assert ping.status_code == 202, ping.text
            receiver.wait_for(1, timeout=20)
            os.kill(worker.pid, signal.SIGKILL)  # mid-send: no answer recorded
            worker.wait()
        delivery = EventDelivery.objects.get(pk=ping.json()["data"]["id"])
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)

        with webhooks_worker(env, tmp_path, "second-worker"):
            deadline = time.monotonic() + 30
            while len(receiver.requests) < 2:
                assert time.monotonic() < deadline, "the delivery was not sent again"
                # The scheduler's job, run as it runs it.
                subprocess.run(
                    [sys.executable, "manage.py", "webhooks_dispatch"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                time.sleep(1)
            deadline = time.monotonic() + 10
            while EventDelivery.objects.get(pk=delivery.pk).status != DeliveryStatus.DELIVERED:
                assert time.monotonic() < deadline
                time.sleep(0.2)

    first, again = receiver.requests[:2]
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert verified(endpoint["secret"], again)["type"] == "ping"
