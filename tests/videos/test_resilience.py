"""Faults that must not leave a video stuck, a hold open, or a task paid for twice."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from credits.selectors import balance_of
from tests.factories import VideoFactory
from tests.webhooks.support import EVOLINK, KIE, WAN, fake_provider, generate, status_queries
from videos.models import Video
from videos.refresh import refresh_from_provider
from videos.submission import submit_to_provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

TIMEOUT = 3600


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("videos_reconcile", *args, stdout=out)
    return out.getvalue().strip()


def backdate(video: Video, *, age: float, quiet_for: float = 120) -> None:
    now = timezone.now()
    Video.objects.filter(pk=video.pk).update(
        created_at=now - timedelta(seconds=age), updated_at=now - timedelta(seconds=quiet_for)
    )


def test_a_copy_of_a_submission_another_worker_has_claimed_sends_nothing(funded_user, settings):
    with fake_provider(settings, EVOLINK) as evolink:
        # Attempt 1 is claimed by a worker whose request to the provider is still in flight.
        video = VideoFactory(
            user=funded_user, status="PENDING", credit_status="HELD", provider="evolink", submit_attempts=1
        )

        submit_to_provider(str(video.uuid), attempt=1)

        assert evolink.requests_to("/v1/videos/generations", "POST") == []
        assert Video.objects.get(pk=video.pk).status == "PENDING"


def test_an_adapter_crash_does_not_stop_the_timeout(auth_client, funded_user, settings, monkeypatch):
    settings.GENERATION_TIMEOUT = TIMEOUT
    with fake_provider(settings, EVOLINK):
        video = generate(auth_client)
        backdate(video, age=TIMEOUT + 60)

        def crash(self, task_id, request):
            raise KeyError("an answer the adapter did not expect")

        monkeypatch.setattr("videos.providers.evolink.EvoLinkProvider.query", crash)
        reconcile("--inline")

    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "timeout")
    assert balance_of(funded_user).available == 100


def test_the_timeout_spares_a_video_whose_result_is_being_copied(auth_client, funded_user, settings):
    settings.GENERATION_TIMEOUT = TIMEOUT
    with fake_provider(settings, EVOLINK) as evolink:
        video = generate(auth_client)
        Video.objects.filter(pk=video.pk).update(status="UPLOADING", upload_started_at=timezone.now())
        backdate(video, age=TIMEOUT + 60, quiet_for=120)
        evolink.fail_next_query(http_status=503)

        refresh_from_provider(str(video.uuid), final=True)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("UPLOADING", "HELD")


def test_timed_out_videos_do_not_crowd_out_unfinished_ones(auth_client, funded_user, settings):
    settings.GENERATION_TIMEOUT = TIMEOUT
    settings.VIDEO_QUIET_AFTER = 60
    with fake_provider(settings, EVOLINK) as evolink:
        late = [generate(auth_client) for _ in range(3)]
        for video in late:
            backdate(video, age=TIMEOUT + 60)
        reconcile("--inline")  # all three time out, and wait for a late result
        for video in late:
            backdate(video, age=TIMEOUT + 120, quiet_for=600)
        waiting = generate(auth_client)
        backdate(waiting, age=120, quiet_for=90)

        asked_before = status_queries(evolink, waiting)

        output = reconcile("--inline", "--limit", "1")

        assert output == "refreshed 1, resubmitted 0, timed out 0"
        assert status_queries(evolink, waiting) == asked_before + 1


def test_a_kie_query_answering_generation_failed_is_the_tasks_verdict(auth_client, funded_user, settings):
    with fake_provider(settings, KIE) as kie:
        video = generate(auth_client, WAN)
        kie.fail_next_query(kie_code=501, message="Content rejected by moderation")

        refresh_from_provider(str(video.uuid))

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")
    assert "could not generate" in video.error_message
    assert balance_of(funded_user).available == 100
