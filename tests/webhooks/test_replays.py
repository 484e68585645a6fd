"""A signed callback URL replayed with a body already processed does not make Kensa ask
the provider again: only a body it has not acted on yet queues a refresh."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.webhooks.support import generate, post_callback, status_queries
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

QUEUED = {"success": True, "data": {"received": True, "outcome": "queued"}}
IGNORED = {"success": True, "data": {"received": True, "outcome": "ignored"}}


def test_a_replayed_progress_callback_queries_the_provider_once(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=40)
    queries = status_queries(evolink, video)

    answers = [post_callback(APIClient(), evolink, video) for _ in range(5)]

    assert [(a.status_code, a.json()) for a in answers] == [(200, QUEUED)] + [(200, IGNORED)] * 4
    assert status_queries(evolink, video) == queries + 1
    assert (
        list(WebhookDelivery.objects.order_by("pk").values_list("outcome", "error"))
        == [("queued", "")] + [("ignored", "same body as a delivery already processed")] * 4
    )


def test_a_new_body_after_a_replay_is_acted_on(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=40)
    post_callback(APIClient(), evolink, video)
    post_callback(APIClient(), evolink, video)
    evolink.complete(video.provider_task_id, callback=False)

    response = post_callback(APIClient(), evolink, video)

    assert (response.status_code, response.json()) == (200, QUEUED)
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
