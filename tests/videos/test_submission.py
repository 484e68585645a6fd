"""Submission to a real-HTTP provider (the loopback EvoLink) with retries and refusals."""

from __future__ import annotations

import pytest

from credits.selectors import balance_of
from tests.fakes.provider_server import FakeProviderServer
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def evolink(settings):
    with FakeProviderServer(api_key="evo-key") as server:
        settings.DEFAULT_AI_PROVIDER = "evolink"
        settings.EVOLINK_API_KEY = "evo-key"
        settings.EVOLINK_BASE_URL = server.base_url
        settings.PROVIDER_SUBMIT_ATTEMPTS = 3
        yield server


def generate(client, captured) -> Video:
    with captured(execute=True):
        response = client.post("/api/v1/video/generate", GENERATE_BODY, format="json")
    assert response.status_code == 202, response.content
    return Video.objects.get(pk=response.json()["data"]["uuid"])


def test_submission_sends_the_request_with_a_signed_callback_url(
    auth_client, funded_user, evolink, django_capture_on_commit_callbacks
):
    video = generate(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.submit_attempts) == ("GENERATING", 1)
    task = evolink.task(video.provider_task_id)
    sent = evolink.requests_to("/v1/videos/generations", "POST")[0].json
    assert sent["model"] == "sora-2"
    assert sent["prompt"] == GENERATE_BODY["prompt"]
    assert sent["callback_url"].startswith(
        f"http://testserver/api/v1/video/callback/evolink?video={video.uuid}"
    )
    assert task.callback_url == sent["callback_url"]


def test_a_retryable_submit_failure_is_retried_until_it_passes(
    auth_client, funded_user, evolink, django_capture_on_commit_callbacks
):
    evolink.fail_next_create(http_status=503, times=2)

    video = generate(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.submit_attempts) == ("GENERATING", 3)
    assert video.provider_task_id
    assert len(evolink.requests_to("/v1/videos/generations", "POST")) == 3
    assert balance_of(funded_user).frozen == 2


def test_exhausted_retries_fail_the_video_and_release_the_hold(
    auth_client, funded_user, evolink, django_capture_on_commit_callbacks
):
    evolink.fail_next_create(http_status=429, times=3)

    video = generate(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.credit_status, video.submit_attempts) == ("FAILED", "RELEASED", 3)
    assert video.error_message.endswith(".")
    assert balance_of(funded_user).available == 100


def test_a_permanent_refusal_fails_at_once_with_a_readable_message(
    auth_client, funded_user, evolink, django_capture_on_commit_callbacks
):
    evolink.fail_next_create(http_status=400, message="Prompt violates the content policy")

    video = generate(auth_client, django_capture_on_commit_callbacks)

    assert (video.status, video.credit_status, video.submit_attempts) == ("FAILED", "RELEASED", 1)
    assert "content policy" in video.error_message
    assert "Traceback" not in video.error_message
    assert balance_of(funded_user).available == 100


def test_a_retry_waits_with_exponential_backoff(funded_user, evolink, settings):
    from django.tasks import default_task_backend
    from django.utils import timezone

    from tests.factories import VideoFactory
    from videos.submission import submit_to_provider

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.PROVIDER_RETRY_BASE_DELAY = 5
    video = VideoFactory(
        user=funded_user, status="PENDING", credit_status="HELD", provider="evolink", submit_attempts=1
    )
    evolink.fail_next_create(http_status=502)

    before = timezone.now()
    submit_to_provider(str(video.uuid), attempt=2)

    (retry,) = default_task_backend.results
    assert (retry.task.name, retry.args, retry.kwargs) == ("submit_video", [str(video.uuid)], {"attempt": 3})
    assert 9 <= (retry.task.run_after - before).total_seconds() <= 12
    assert Video.objects.get(pk=video.pk).status == "PENDING"
