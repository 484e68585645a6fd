"""POST /api/v1/video/callback/{provider}: the route, its providers, and no session or CSRF."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.webhooks.support import VEO, WAN, callback_path, generate, post_callback
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

QUEUED = {"success": True, "data": {"received": True, "outcome": "queued"}}
NOT_FOUND = {"success": False, "error": "Not found.", "code": "not_found"}


def test_evolink_callback_answers_200_queued(auth_client, funded_user, evolink, client):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    response = post_callback(client, evolink, video)

    assert response.status_code == 200
    assert response.json() == QUEUED


def test_kie_market_callback_answers_200_queued(auth_client, funded_user, kie, client):
    video = generate(auth_client, WAN)
    kie.complete(video.provider_task_id, callback=False)

    response = post_callback(client, kie, video)

    assert response.status_code == 200
    assert response.json() == QUEUED


def test_kie_veo_callback_answers_200_queued(auth_client, funded_user, kie, client):
    video = generate(auth_client, VEO)
    kie.complete(video.provider_task_id, callback=False)

    response = post_callback(client, kie, video)

    assert response.status_code == 200
    assert response.json() == QUEUED


def test_kie_callback_reads_the_task_id_from_data_task_id_too(auth_client, funded_user, kie, client):
    video = generate(auth_client, VEO)
    kie.complete(video.provider_task_id, callback=False)
    body = kie.callback_body(video.provider_task_id)
    body["data"]["task_id"] = body["data"].pop("taskId")

    response = post_callback(client, kie, video, body=body)

    assert response.status_code == 200
    assert response.json() == QUEUED
    assert WebhookDelivery.objects.get().task_id == video.provider_task_id


@pytest.mark.parametrize("provider", ["acme", "demo", "EVOLINK"])
def test_callback_for_an_unknown_provider_answers_404_and_stores_nothing(client, provider):
    response = client.post(f"/api/v1/video/callback/{provider}", data=b"{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not WebhookDelivery.objects.exists()


def test_callback_needs_no_session_and_no_csrf_token_even_from_another_site(
    auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    browser = APIClient(enforce_csrf_checks=True)

    response = post_callback(
        browser,
        evolink,
        video,
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://provider.example"},
    )

    assert response.status_code == 200
    assert response.json() == QUEUED


def test_callback_with_a_malformed_body_answers_400(auth_client, funded_user, evolink, client):
    video = generate(auth_client)

    response = post_callback(client, evolink, video, body=b"not json at all")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The callback body could not be read.",
        "code": "malformed_callback",
    }


def test_callback_without_a_task_id_answers_400(auth_client, funded_user, evolink, client):
    video = generate(auth_client)

    response = post_callback(client, evolink, video, body={"status": "completed"})

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_callback"


def test_callback_answers_get_with_405(auth_client, funded_user, evolink, client):
    video = generate(auth_client)

    response = client.get(callback_path(evolink, video))

    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "error": "Method GET is not allowed here.",
        "code": "method_not_allowed",
    }
