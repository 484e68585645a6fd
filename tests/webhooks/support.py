"""Shared by the callback, reconciler and race tests: a fake provider wired into settings,
a video handed to it, and its callback posted the way the provider would post it.

Plain helpers rather than fixtures, so that modules under tests/videos can use them too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.db import connection
from django.tasks.signals import task_enqueued
from django.test import TestCase

from credits.selectors import transactions_for
from tests.fakes.provider_server import FakeProviderServer
from videos.models import Video

EVOLINK = "evolink"
KIE = "kie"
API_KEYS = {EVOLINK: "evolink-test-key", KIE: "kie-test-key"}
KIE_HMAC_KEY = "kie-webhook-test-key"

# sora-2, 10 s: 2 credits (EvoLink); wan-2-6, 5 s: 25 credits (Kie Market); veo-3-1: 10 (Kie Veo).
SORA = {"prompt": "a red fox in the snow", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
WAN = {"prompt": "a lighthouse in a storm", "model": "wan-2-6", "duration": 5, "aspectRatio": "16:9"}
VEO = {"prompt": "a koi pond at dawn", "model": "veo-3-1", "duration": 8, "aspectRatio": "16:9"}
PRICES = {"sora-2": 2, "wan-2-6": 25, "veo-3-1": 10}


@contextmanager
def fake_provider(settings, provider: str, **server_options: Any) -> Iterator[FakeProviderServer]:
    """A FakeProviderServer that new videos go to; downloads from its loopback address allowed."""
    server_options.setdefault("slow_seconds", 5)
    with FakeProviderServer(api_key=API_KEYS[provider], **server_options) as server:
        settings.DEFAULT_AI_PROVIDER = provider
        if provider == EVOLINK:
            settings.EVOLINK_API_KEY = API_KEYS[EVOLINK]
            settings.EVOLINK_BASE_URL = server.base_url
        else:
            settings.KIE_API_KEY = API_KEYS[KIE]
            settings.KIE_BASE_URL = server.base_url
        settings.REMOTE_ASSET_ALLOW_PRIVATE = True
        yield server


def generate(client, body: dict | None = None) -> Video:
    """Ask for a video and run its submission now: it is GENERATING at the fake provider."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/api/v1/video/generate", body or SORA, format="json")
    assert response.status_code == 202, response.content
    video = Video.objects.get(pk=response.json()["data"]["uuid"])
    assert (video.status, bool(video.provider_task_id)) == ("GENERATING", True), video.error_message
    return video


def callback_path(server: FakeProviderServer, video: Video) -> str:
    """The signed callback URL Kensa handed to the provider, without its host."""
    url = server.task(video.provider_task_id).callback_url
    assert url, "the provider was given no callback URL"
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def post_callback(
    client,
    server: FakeProviderServer,
    video: Video,
    *,
    body: dict | bytes | None = None,
    headers: dict[str, str] | None = None,
    path: str | None = None,
):
    """POST the provider's callback body for the video's task (its current state by default)."""
    if body is None:
        body = server.callback_body(video.provider_task_id)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        path or callback_path(server, video),
        data=data,
        content_type="application/json",
        headers=headers or {},
    )


def status_queries(server: FakeProviderServer, video: Video) -> int:
    """How many times Kensa asked the provider about the video's task."""
    task_id = video.provider_task_id
    paths = {f"/v1/tasks/{task_id}"}
    return sum(
        1
        for r in server.requests
        if r.method == "GET" and (r.path in paths or r.query.get("taskId") == task_id)
    )


def downloads(server: FakeProviderServer, url: str) -> int:
    path = urlsplit(url).path
    return len(server.requests_to(path, "GET"))


def consumed(user) -> list[tuple[int, str]]:
    return [(t.credits, t.reference) for t in transactions_for(user, "VIDEO_CONSUME")]


@contextmanager
def enqueued_tasks() -> Iterator[list[str]]:
    """Names of the background tasks enqueued inside the block."""
    names: list[str] = []

    def record(sender, task_result, **kwargs):
        names.append(task_result.task.name)

    task_enqueued.connect(record, weak=False)
    try:
        yield names
    finally:
        task_enqueued.disconnect(record)


def run_together(*jobs: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Run the jobs in threads released at the same instant; re-raise the first error.

    Each thread has its own database connection, closed when its job ends.
    """
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=timeout)
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        return [future.result(timeout=timeout) for future in futures]


def store_unprocessed(server: FakeProviderServer, video: Video, *, query: str | None = None):
    """A delivery stored but never processed (the web process died right after storing it)."""
    from webhooks.services import record_delivery

    return record_delivery(
        video.provider,
        headers={"Content-Type": "application/json"},
        body=json.dumps(server.callback_body(video.provider_task_id)).encode(),
        query_string=query if query is not None else urlsplit(callback_path(server, video)).query,
        remote_addr="203.0.113.7",
    )
