"""Every delivery is stored raw before anything else, whatever becomes of it (docs/api.md)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import pytest
from django.test import TestCase

from tests.webhooks.support import SORA, callback_path, generate, post_callback, status_queries
from videos.callbacks import callback_url
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

IGNORED = {"success": True, "data": {"received": True, "outcome": "ignored"}}


def test_accepted_delivery_is_stored_raw_with_its_verdict(auth_client, funded_user, evolink, client):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    body = json.dumps(evolink.callback_body(video.provider_task_id), indent=1, ensure_ascii=False)
    path = callback_path(evolink, video)

    client.post(
        path,
        data=body.encode(),
        content_type="application/json",
        headers={"User-Agent": "EvoLink-Webhook/1.0", "X-Request-Id": "req-42"},
        REMOTE_ADDR="203.0.113.9",
    )

    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.video_uuid, delivery.task_id) == (
        "evolink",
        str(video.uuid),
        video.provider_task_id,
    )
    assert delivery.body == body
    assert delivery.query_string == urlsplit(path).query
    assert delivery.remote_addr == "203.0.113.9"
    assert delivery.headers["User-Agent"] == "EvoLink-Webhook/1.0"
    assert delivery.headers["X-Request-Id"] == "req-42"
    assert (delivery.signature_valid, delivery.outcome, delivery.error) == (True, "queued", "")
    assert delivery.received_at <= delivery.processed_at


def test_stored_headers_leave_out_credentials_and_cookies(auth_client, funded_user, evolink, client):
    video = generate(auth_client)

    post_callback(
        client,
        evolink,
        video,
        headers={
            "Authorization": "Bearer provider-secret",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "Cookie": "sessionid=stolen",
            "X-Trace": "kept",
        },
    )

    headers = {name.lower(): value for name, value in WebhookDelivery.objects.get().headers.items()}
    assert headers["x-trace"] == "kept"
    assert not {"authorization", "proxy-authorization", "cookie"} & set(headers)
    assert "provider-secret" not in json.dumps(headers)


def test_rejected_delivery_is_stored_raw_too(auth_client, funded_user, evolink, client):
    video = generate(auth_client)
    body = {"id": video.provider_task_id, "status": "completed"}

    post_callback(
        client, evolink, video, body=body, path=f"/api/v1/video/callback/evolink?video={video.uuid}"
    )

    delivery = WebhookDelivery.objects.get()
    assert json.loads(delivery.body) == body
    assert (delivery.video_uuid, delivery.query_string) == (str(video.uuid), f"video={video.uuid}")
    assert (delivery.signature_valid, delivery.outcome) == (False, "rejected")
    assert delivery.remote_addr == "127.0.0.1"
    assert delivery.processed_at is not None


def test_malformed_delivery_is_stored_as_invalid(auth_client, funded_user, evolink, client):
    video = generate(auth_client)

    post_callback(client, evolink, video, body=b"\xff\xfe not json")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.signature_valid, delivery.outcome, delivery.error) == (
        True,
        "invalid",
        "The callback body is not valid JSON.",
    )
    assert delivery.body.endswith(" not json")
    assert delivery.processed_at is not None


def test_callback_for_an_unknown_video_answers_200_ignored(client, evolink, settings):
    path = callback_url("evolink", str(uuid.uuid4()))
    parts = urlsplit(path)

    response = client.post(
        f"{parts.path}?{parts.query}",
        data=json.dumps({"id": "task-unified-1", "status": "completed"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == IGNORED
    assert WebhookDelivery.objects.get().error == "unknown video"


def test_callback_naming_another_task_answers_200_and_changes_nothing(
    auth_client, funded_user, evolink, client
):
    video = generate(auth_client)
    other = generate(auth_client)
    evolink.complete(other.provider_task_id, callback=False)
    evolink.complete(video.provider_task_id, callback=False)
    # Video A's signed URL with the body of B's task.
    body = evolink.callback_body(other.provider_task_id)

    response = post_callback(client, evolink, video, body=body)

    assert response.status_code == 200
    assert response.json() == IGNORED
    assert WebhookDelivery.objects.get().error == "task id does not match the video's task"
    assert Video.objects.get(pk=video.pk).status == "GENERATING"
    assert (status_queries(evolink, video), status_queries(evolink, other)) == (0, 0)


def test_callback_before_the_task_id_is_recorded_answers_200_ignored(
    auth_client, funded_user, evolink, client
):
    # The submission has not run yet: the video is PENDING without a task id.
    response = auth_client.post("/api/v1/video/generate", SORA, format="json")
    video = Video.objects.get(pk=response.json()["data"]["uuid"])
    parts = urlsplit(callback_url("evolink", str(video.uuid)))

    answer = client.post(
        f"{parts.path}?{parts.query}",
        data=json.dumps({"id": "task-unified-early", "status": "completed"}),
        content_type="application/json",
    )

    assert answer.status_code == 200
    assert answer.json() == IGNORED
    assert WebhookDelivery.objects.get().error == "video not yet submitted"
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("PENDING", "HELD")


def test_every_repeat_of_a_callback_is_stored(auth_client, funded_user, evolink, client):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    with TestCase.captureOnCommitCallbacks(execute=True):
        outcomes = [post_callback(client, evolink, video).json()["data"]["outcome"] for _ in range(3)]

    assert outcomes == ["queued", "ignored", "ignored"]
    stored = WebhookDelivery.objects.order_by("pk")
    assert [(d.outcome, d.error) for d in stored] == [
        ("queued", ""),
        ("ignored", "video already finished"),
        ("ignored", "video already finished"),
    ]


def test_signed_callback_naming_a_malformed_video_id_answers_200_ignored(client):
    parts = urlsplit(callback_url("evolink", "not-a-uuid"))

    response = client.post(
        f"{parts.path}?{parts.query}",
        data=json.dumps({"id": "task-unified-1", "status": "completed"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == IGNORED
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.error) == ("ignored", "unknown video")
