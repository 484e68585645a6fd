"""The fake provider server itself: the scripting other tests (and end-to-end runs) rely on."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.fakes.provider_server import FakeProviderServer, kie_signature


def evolink_create(server: FakeProviderServer, **fields) -> dict:
    response = requests.post(
        f"{server.base_url}/v1/videos/generations",
        json={"model": "sora-2", "prompt": "p", **fields},
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=5,
    )
    return response.json()


def kie_post(server: FakeProviderServer, path: str, payload: dict) -> dict:
    response = requests.post(
        f"{server.base_url}{path}",
        json=payload,
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=5,
    )
    return response.json()


def evolink_query(server: FakeProviderServer, task_id: str) -> dict:
    return requests.get(
        f"{server.base_url}/v1/tasks/{task_id}",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=5,
    ).json()


def test_auto_complete_finishes_a_task_on_its_nth_query(provider_server):
    provider_server.auto_complete(after_queries=2)
    task_id = evolink_create(provider_server)["id"]

    first, second = evolink_query(provider_server, task_id), evolink_query(provider_server, task_id)

    assert (first["status"], second["status"]) == ("pending", "completed")
    assert second["results"] == [provider_server.file_url(f"{task_id}.mp4")]


def test_auto_complete_can_fail_tasks_instead(provider_server):
    provider_server.auto_complete(after_queries=1, fail_message="moderated")
    task_id = evolink_create(provider_server)["id"]

    answer = evolink_query(provider_server, task_id)

    assert (answer["status"], answer["error"]["message"]) == ("failed", "moderated")


def test_wait_for_task_returns_a_task_created_by_another_thread(provider_server):
    threading.Timer(0.05, evolink_create, args=(provider_server,)).start()

    task = provider_server.wait_for_task(timeout=5)

    assert task.api == "evolink"


def test_wait_for_task_times_out_when_nothing_is_created(provider_server):
    with pytest.raises(TimeoutError):
        provider_server.wait_for_task(timeout=0.05)


def test_a_wrong_key_is_refused_by_both_protocols(provider_server):
    evolink = requests.post(f"{provider_server.base_url}/v1/videos/generations", json={}, timeout=5)
    kie = requests.post(f"{provider_server.base_url}/api/v1/jobs/createTask", json={}, timeout=5)

    assert evolink.status_code == 401
    assert (kie.status_code, kie.json()["code"]) == (200, 401)


def test_a_veo_success_callback_has_kies_documented_shape(provider_server, callback_receiver):
    created = kie_post(
        provider_server,
        "/api/v1/veo/generate",
        {"prompt": "p", "model": "veo3_fast", "callBackUrl": f"{callback_receiver.base_url}/cb"},
    )
    task_id = created["data"]["taskId"]

    sent = provider_server.complete(task_id, result_urls=["https://cdn.example/v.mp4"])

    assert sent.body == {
        "code": 200,
        "msg": "Veo3 video generated successfully.",
        "data": {
            "taskId": task_id,
            "info": {
                "resultUrls": ["https://cdn.example/v.mp4"],
                "originUrls": ["https://cdn.example/v.mp4"],
                "resolution": "720p",
            },
        },
    }
    assert callback_receiver.requests_to("/cb", "POST")[0].json == sent.body


def test_a_market_failure_callback_carries_code_501_and_the_record(provider_server, callback_receiver):
    created = kie_post(
        provider_server,
        "/api/v1/jobs/createTask",
        {
            "model": "wan/2-6-text-to-video",
            "input": {"prompt": "p"},
            "callBackUrl": f"{callback_receiver.base_url}/cb",
        },
    )

    sent = provider_server.fail(created["data"]["taskId"], "flagged")

    assert (sent.body["code"], sent.body["data"]["state"], sent.body["data"]["failMsg"]) == (
        501,
        "fail",
        "flagged",
    )


def test_kie_callbacks_are_signed_when_a_webhook_key_is_set(callback_receiver):
    with FakeProviderServer(api_key="k", webhook_hmac_key="whk") as server:
        created = kie_post(
            server,
            "/api/v1/jobs/createTask",
            {
                "model": "m",
                "input": {"prompt": "p"},
                "callBackUrl": f"{callback_receiver.base_url}/cb",
            },
        )
        task_id = created["data"]["taskId"]

        sent = server.complete(task_id)

    timestamp = sent.headers["X-Webhook-Timestamp"]
    assert sent.headers["X-Webhook-Signature"] == kie_signature("whk", task_id, timestamp)


def test_evolink_callbacks_are_never_signed(callback_receiver):
    with FakeProviderServer(api_key="k", webhook_hmac_key="whk") as server:
        task_id = evolink_create(server, callback_url=f"{callback_receiver.base_url}/cb")["id"]

        sent = server.complete(task_id)

    assert "X-Webhook-Signature" not in sent.headers


def test_completing_a_task_without_a_callback_url_posts_nothing(provider_server):
    task_id = evolink_create(provider_server)["id"]

    assert provider_server.complete(task_id) is None
    assert provider_server.callbacks == []
