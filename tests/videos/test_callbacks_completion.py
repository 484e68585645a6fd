"""After an authentic callback Kensa asks the provider, and its answer decides: a result is
copied into storage, then the hold settles and the video completes; a copy that fails
never charges (docs/api.md: Provider callbacks)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from credits.selectors import balance_of, hold_state
from tests.fakes.provider_server import sample_mp4
from tests.webhooks.support import (
    EVOLINK,
    KIE,
    VEO,
    WAN,
    consumed,
    downloads,
    enqueued_tasks,
    fake_provider,
    generate,
    post_callback,
    status_queries,
)
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def callback_client() -> APIClient:
    return APIClient()


# --- the callback is a trigger, not the truth -----------------------------------------------


def test_callback_claiming_completed_does_not_complete_a_video_still_processing(
    auth_client, funded_user, evolink, callback_client
):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=40)
    claim = evolink.callback_body(video.provider_task_id)
    claim.update(status="completed", progress=100, results=[evolink.file_url("forged.mp4")])

    response = post_callback(callback_client, evolink, video, body=claim)

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"received": True, "outcome": "queued"}}
    video.refresh_from_db()
    assert (video.status, video.progress, video.credit_status, video.video_file) == (
        "GENERATING",
        40,
        "HELD",
        "",
    )
    assert status_queries(evolink, video) == 1
    assert downloads(evolink, evolink.file_url("forged.mp4")) == 0
    assert consumed(funded_user) == []


def test_callback_claiming_failure_does_not_fail_a_video_the_provider_completed(
    auth_client, funded_user, evolink, callback_client
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    claim = evolink.callback_body(video.provider_task_id)
    claim.update(status="failed", error={"code": "x", "message": "forged failure"})
    claim.pop("results")

    post_callback(callback_client, evolink, video, body=claim)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")


def test_kie_market_callback_claiming_success_does_not_complete_a_video_still_generating(
    auth_client, funded_user, kie, callback_client
):
    video = generate(auth_client, WAN)
    kie.set_state(video.provider_task_id, "running")
    claim = kie.callback_body(video.provider_task_id)
    forged = json.dumps({"resultUrls": [kie.file_url("forged.mp4")]})
    claim["data"].update(state="success", resultJson=forged)

    post_callback(callback_client, kie, video, body=claim)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("GENERATING", "HELD")
    assert status_queries(kie, video) == 1


def test_kie_veo_callback_claiming_success_does_not_complete_a_video_still_generating(
    auth_client, funded_user, kie, callback_client
):
    video = generate(auth_client, VEO)
    claim = {
        "code": 200,
        "msg": "Veo3 video generated successfully.",
        "data": {"taskId": video.provider_task_id, "info": {"resultUrls": [kie.file_url("forged.mp4")]}},
    }

    post_callback(callback_client, kie, video, body=claim)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("GENERATING", "HELD")
    assert status_queries(kie, video) == 1


def test_callback_while_the_provider_cannot_answer_changes_nothing(
    auth_client, funded_user, evolink, callback_client
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    evolink.fail_next_query(http_status=503)

    response = post_callback(callback_client, evolink, video)

    assert response.status_code == 200
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("GENERATING", "HELD")


def test_callback_only_queues_a_refresh_and_leaves_the_work_to_the_worker(
    auth_client, funded_user, evolink, callback_client, settings
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

    with enqueued_tasks() as enqueued:
        response = post_callback(callback_client, evolink, video)

    assert response.status_code == 200
    assert enqueued == ["refresh_video"]
    assert status_queries(evolink, video) == 0
    assert Video.objects.get(pk=video.pk).status == "GENERATING"


# --- completion -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "body"),
    [(EVOLINK, None), (KIE, WAN), (KIE, VEO)],
    ids=["evolink", "kie-market", "kie-veo"],
)
def test_callback_completes_the_video_stores_the_file_and_charges_once(
    provider, body, settings, auth_client, funded_user, callback_client, media_root
):
    with fake_provider(settings, provider) as server:
        video = generate(auth_client, body)
        server.complete(video.provider_task_id, callback=False)

        post_callback(callback_client, server, video)

    video.refresh_from_db()
    assert (video.status, video.progress, video.credit_status) == ("COMPLETED", 100, "CONSUMED")
    assert video.completed_at is not None
    assert (media_root / video.video_file).read_bytes() == sample_mp4()
    assert (media_root / video.thumbnail_file).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert consumed(funded_user) == [(-video.credits_used, str(video.uuid))]
    assert hold_state(str(video.uuid)) == "SETTLED"
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (
        100 - video.credits_used,
        0,
        video.credits_used,
    )


def test_completed_video_is_served_by_the_api(auth_client, funded_user, evolink, callback_client):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    post_callback(callback_client, evolink, video)

    data = auth_client.get(f"/api/v1/video/{video.uuid}").json()["data"]

    assert (data["status"], data["progress"], data["creditStatus"], data["errorMessage"]) == (
        "COMPLETED",
        100,
        "CONSUMED",
        None,
    )
    assert data["videoUrl"].startswith(f"http://testserver/media/videos/{video.uuid}-")
    assert data["videoUrl"].endswith(".mp4")


def test_callback_reporting_failure_fails_the_video_and_releases_the_hold(
    auth_client, funded_user, evolink, callback_client
):
    video = generate(auth_client)
    evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)

    post_callback(callback_client, evolink, video)

    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "provider")
    assert "Content moderation rejected the prompt" in video.error_message
    assert balance_of(funded_user).available == 100
    assert consumed(funded_user) == []


def test_kie_veo_created_but_failed_fails_the_video_and_releases_the_hold(
    auth_client, funded_user, kie, callback_client
):
    video = generate(auth_client, VEO)
    kie.fail(video.provider_task_id, "Flagged by safety review", callback=False, veo_success_flag=3)

    post_callback(callback_client, kie, video)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")
    assert balance_of(funded_user).available == 100


def test_evolink_cancelled_task_fails_the_video_and_releases_the_hold(
    auth_client, funded_user, evolink, callback_client
):
    video = generate(auth_client)
    evolink.cancel(video.provider_task_id, callback=False)

    post_callback(callback_client, evolink, video)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")


# --- a copy that fails never charges ------------------------------------------------------------


def assert_failed_in_storage_and_released(video: Video, user, media_root) -> None:
    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "storage")
    assert video.error_message.startswith("The finished video could not be copied into storage")
    assert video.error_message.endswith("your credits were returned.")
    assert video.video_file == ""
    assert list(media_root.glob("videos/*")) == []
    assert hold_state(str(video.uuid)) == "RELEASED"
    balance = balance_of(user)
    assert (balance.available, balance.frozen, balance.used) == (100, 0, 0)
    assert consumed(user) == []


def test_result_answering_500_is_retried_then_fails_and_releases(
    auth_client, funded_user, evolink, callback_client, settings, media_root
):
    settings.UPLOAD_ATTEMPTS = 3
    video = generate(auth_client)
    broken = evolink.set_file("broken.mp4", b"upstream error", "text/plain", status=500)
    evolink.complete(video.provider_task_id, result_urls=[broken], callback=False)

    post_callback(callback_client, evolink, video)

    assert downloads(evolink, broken) == 3
    assert_failed_in_storage_and_released(video, funded_user, media_root)
    assert Video.objects.get(pk=video.pk).upload_attempts == 3


def test_result_that_is_not_a_video_fails_and_releases(
    auth_client, funded_user, evolink, callback_client, media_root
):
    video = generate(auth_client)
    page = evolink.set_file("page.mp4", b"<html><body>Sign in to continue</body></html>", "text/html")
    evolink.complete(video.provider_task_id, result_urls=[page], callback=False)

    post_callback(callback_client, evolink, video)

    assert_failed_in_storage_and_released(video, funded_user, media_root)
    assert "not a video" in Video.objects.get(pk=video.pk).error_message


def test_result_larger_than_video_max_bytes_fails_and_releases(
    auth_client, funded_user, evolink, callback_client, settings, media_root
):
    settings.VIDEO_MAX_BYTES = 10_000
    video = generate(auth_client)
    huge = evolink.set_huge_file("huge.mp4", 50_000, content_length=False)
    evolink.complete(video.provider_task_id, result_urls=[huge], callback=False)

    post_callback(callback_client, evolink, video)

    assert_failed_in_storage_and_released(video, funded_user, media_root)
    assert "larger than" in Video.objects.get(pk=video.pk).error_message


def test_success_without_a_result_url_fails_and_releases(
    auth_client, funded_user, evolink, callback_client, media_root
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    evolink.task(video.provider_task_id).result_urls.clear()

    post_callback(callback_client, evolink, video)

    assert_failed_in_storage_and_released(video, funded_user, media_root)


def test_delivery_of_a_failed_copy_is_recorded_as_queued(auth_client, funded_user, evolink, callback_client):
    video = generate(auth_client)
    page = evolink.set_file("page.mp4", b"<html></html>", "text/html")
    evolink.complete(video.provider_task_id, result_urls=[page], callback=False)

    post_callback(callback_client, evolink, video)

    assert WebhookDelivery.objects.get().outcome == "queued"
