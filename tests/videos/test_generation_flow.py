"""The generation pipeline run inline (tasks execute at enqueue; after-commit hooks run)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from credits.selectors import balance_of, hold_state, transactions_for
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video
from videos.providers.base import TaskState, TaskStatus
from videos.refresh import apply_provider_status
from videos.transitions import fail_video

pytestmark = pytest.mark.usefixtures("media_root")


def generate_inline(client, captured, body=None):
    with captured(execute=True):
        response = client.post("/api/v1/video/generate", body or GENERATE_BODY, format="json")
    assert response.status_code == 202, response.content
    return Video.objects.get(pk=response.json()["data"]["uuid"])


def test_demo_generation_completes_stores_the_file_and_consumes_the_hold(
    auth_client, funded_user, django_capture_on_commit_callbacks
):
    video = generate_inline(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.progress, video.credit_status) == ("COMPLETED", 100, "CONSUMED")
    assert default_storage.exists(video.video_file)
    assert default_storage.exists(video.thumbnail_file)
    with default_storage.open(video.video_file) as stored:
        assert stored.read(12)[4:8] == b"ftyp"
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (98, 0, 2)
    consumed = list(transactions_for(funded_user, "VIDEO_CONSUME"))
    assert [(t.credits, t.reference) for t in consumed] == [(-2, str(video.uuid))]


def test_an_unconfigured_provider_fails_the_video_and_releases_the_hold(
    auth_client, funded_user, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_AI_PROVIDER = "evolink"
    settings.EVOLINK_API_KEY = ""

    video = generate_inline(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")
    assert video.error_message
    assert balance_of(funded_user).available == 100
    assert hold_state(str(video.uuid)) == "RELEASED"


def test_a_failure_verdict_after_completion_changes_nothing(
    auth_client, funded_user, django_capture_on_commit_callbacks
):
    video = generate_inline(auth_client, django_capture_on_commit_callbacks)

    apply_provider_status(str(video.uuid), TaskStatus(video.provider_task_id, TaskState.FAILED))

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert balance_of(funded_user).used == 2


def test_fail_video_twice_releases_once(auth_client, funded_user):
    response = auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json")
    uuid = response.json()["data"]["uuid"]

    assert fail_video(uuid, "first.") is True
    assert fail_video(uuid, "second.") is False

    video = Video.objects.get(pk=uuid)
    assert (video.status, video.error_message) == ("FAILED", "first.")
    assert balance_of(funded_user).available == 100
