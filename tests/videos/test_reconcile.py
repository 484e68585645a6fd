"""The reconciler (manage.py videos_reconcile): callbacks get lost, so quiet videos are asked
about; past GENERATION_TIMEOUT without a verdict they fail and their hold is released, and
a success that arrives later is still delivered, free (docs/api.md: Provider callbacks)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from credits.selectors import balance_of, hold_state
from tests.fakes.provider_server import sample_mp4
from tests.webhooks.support import (
    SORA,
    consumed,
    generate,
    post_callback,
    status_queries,
)
from videos.models import Video
from videos.reconcile import reconcile as reconcile_round
from videos.submission import submit_to_provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

QUIET_AFTER = 60
TIMEOUT = 3600
# A timed-out video is asked again after 5 minutes at the earliest, then ever less often.
LATE_FIRST_RECHECK = 300
TIMEOUT_MESSAGE = "The provider did not finish the video in time; your credits were returned."


@pytest.fixture(autouse=True)
def reconciler_settings(settings):
    settings.VIDEO_QUIET_AFTER = QUIET_AFTER
    settings.GENERATION_TIMEOUT = TIMEOUT


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("videos_reconcile", *args, stdout=out)
    return out.getvalue().strip()


def backdate(video: Video, *, quiet_for: float = QUIET_AFTER + 5, age: float | None = None) -> None:
    now = timezone.now()
    changes = {"updated_at": now - timedelta(seconds=quiet_for)}
    if age is not None:
        changes["created_at"] = now - timedelta(seconds=age)
    Video.objects.filter(pk=video.pk).update(**changes)


def timed_out(auth_client, evolink) -> Video:
    """A video the reconciler failed at GENERATION_TIMEOUT (the provider still running)."""
    video = generate(auth_client)
    backdate(video, age=TIMEOUT + 60)
    reconcile()
    video.refresh_from_db()
    assert (video.status, video.failure_reason) == ("FAILED", "timeout")
    return video


# --- quiet videos ------------------------------------------------------------------------------------


def test_reconcile_completes_a_quiet_video_whose_callback_was_lost(
    auth_client, funded_user, evolink, media_root
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    backdate(video)

    output = reconcile()

    assert output == "refreshed 1, resubmitted 0, timed out 0"
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert (media_root / video.video_file).read_bytes() == sample_mp4()
    assert consumed(funded_user) == [(-2, str(video.uuid))]


def submitted_without_worker(auth_client) -> Video:
    """Submitted as the worker would; with the dummy backend nothing else runs by itself."""
    response = auth_client.post("/api/v1/video/generate", SORA, format="json")
    uuid = response.json()["data"]["uuid"]
    submit_to_provider(uuid)
    return Video.objects.get(pk=uuid)


def test_reconcile_inline_queries_the_provider_in_process(auth_client, funded_user, evolink, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    video = submitted_without_worker(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    backdate(video)

    output = reconcile("--inline")

    assert output == "refreshed 1, resubmitted 0, timed out 0"
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")


def test_reconcile_records_the_progress_of_a_running_video(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=55)
    backdate(video)

    reconcile()

    video.refresh_from_db()
    assert (video.status, video.progress, video.credit_status) == ("GENERATING", 55, "HELD")
    assert video.heard_at > timezone.now() - timedelta(seconds=5)


def test_reconcile_leaves_a_video_heard_from_recently_alone(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 0, timed out 0"
    assert status_queries(evolink, video) == 0
    assert Video.objects.get(pk=video.pk).status == "GENERATING"


def test_reconcile_fails_a_quiet_video_the_provider_failed(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)
    backdate(video)

    reconcile()

    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "provider")
    assert balance_of(funded_user).available == 100


def test_reconcile_looks_at_no_more_than_limit_videos(auth_client, funded_user, evolink):
    videos = [generate(auth_client), generate(auth_client)]
    for video in videos:
        evolink.complete(video.provider_task_id, callback=False)
        backdate(video)

    output = reconcile("--limit", "1")

    assert output == "refreshed 1, resubmitted 0, timed out 0"
    assert sorted(Video.objects.values_list("status", flat=True)) == ["COMPLETED", "GENERATING"]


# --- GENERATION_TIMEOUT ------------------------------------------------------------------------------


def test_video_past_the_timeout_without_a_verdict_fails_and_releases_the_hold(
    auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=80)
    backdate(video, age=TIMEOUT + 60)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 0, timed out 1"
    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "timeout")
    assert video.error_message == TIMEOUT_MESSAGE
    assert hold_state(str(video.uuid)) == "RELEASED"
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (100, 0, 0)


def test_video_past_the_timeout_whose_provider_cannot_answer_fails_and_releases_the_hold(
    auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.fail_next_query(http_status=503)
    backdate(video, age=TIMEOUT + 60)

    reconcile()

    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "timeout")


def test_video_past_the_timeout_with_a_success_verdict_completes_and_is_charged(
    auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    backdate(video, age=TIMEOUT + 60)

    reconcile()

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert consumed(funded_user) == [(-2, str(video.uuid))]


def test_pending_video_without_a_provider_task_past_the_timeout_fails_and_releases_the_hold(
    auth_client, funded_user
):
    # The submission never ran (no on-commit hooks here): PENDING, no task id.
    response = auth_client.post("/api/v1/video/generate", SORA, format="json")
    video = Video.objects.get(pk=response.json()["data"]["uuid"])
    backdate(video, age=TIMEOUT + 60)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 0, timed out 1"
    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "timeout")
    assert video.error_message == "The provider could not be reached in time; your credits were returned."
    assert balance_of(funded_user).available == 100


def test_pending_video_whose_submission_was_lost_is_resubmitted(auth_client, funded_user, evolink):
    response = auth_client.post("/api/v1/video/generate", SORA, format="json")
    video = Video.objects.get(pk=response.json()["data"]["uuid"])
    backdate(video, quiet_for=601, age=601)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 1, timed out 0"
    video.refresh_from_db()
    assert (video.status, video.submit_attempts) == ("GENERATING", 1)
    assert evolink.task(video.provider_task_id)


# --- a success after the timeout is delivered, free ----------------------------------------------


def test_late_success_by_callback_is_delivered_free(auth_client, funded_user, evolink, media_root):
    video = timed_out(auth_client, evolink)
    evolink.complete(video.provider_task_id, callback=False)

    response = post_callback(APIClient(), evolink, video)

    assert response.json() == {"success": True, "data": {"received": True, "outcome": "queued"}}
    video.refresh_from_db()
    assert (video.status, video.progress, video.credit_status) == ("COMPLETED", 100, "RELEASED")
    assert (video.error_message, video.failure_reason) == ("", "")
    assert (media_root / video.video_file).read_bytes() == sample_mp4()
    assert consumed(funded_user) == []
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (100, 0, 0)


def test_late_success_by_reconcile_is_delivered_free(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    evolink.complete(video.provider_task_id, callback=False)
    backdate(video, quiet_for=LATE_FIRST_RECHECK + 5, age=TIMEOUT + 120)

    output = reconcile()

    assert output == "refreshed 1, resubmitted 0, timed out 0"
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "RELEASED")
    assert consumed(funded_user) == []
    assert balance_of(funded_user).available == 100


def test_late_success_is_shown_completed_by_the_api(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    evolink.complete(video.provider_task_id, callback=False)
    post_callback(APIClient(), evolink, video)

    data = auth_client.get(f"/api/v1/video/{video.uuid}").json()["data"]

    assert (data["status"], data["creditStatus"], data["errorMessage"]) == ("COMPLETED", "RELEASED", None)
    assert data["videoUrl"]


def test_late_failure_after_the_timeout_changes_nothing_the_user_sees(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)

    post_callback(APIClient(), evolink, video)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")
    assert video.error_message == TIMEOUT_MESSAGE
    assert balance_of(funded_user).available == 100


def test_a_late_failure_ends_the_wait_for_a_late_success(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)
    post_callback(APIClient(), evolink, video)
    backdate(video, age=TIMEOUT + 120)
    queries = status_queries(evolink, video)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 0, timed out 0"
    assert status_queries(evolink, video) == queries
    video.refresh_from_db()
    assert video.failure_reason == "provider"


def test_reconcile_keeps_asking_about_a_timed_out_video_without_failing_it_again(
    auth_client, funded_user, evolink
):
    video = timed_out(auth_client, evolink)
    backdate(video, quiet_for=LATE_FIRST_RECHECK + 5, age=TIMEOUT + 120)
    queries = status_queries(evolink, video)

    output = reconcile()

    assert output == "refreshed 1, resubmitted 0, timed out 0"
    assert status_queries(evolink, video) == queries + 1
    video.refresh_from_db()
    assert (video.status, video.failure_reason) == ("FAILED", "timeout")
    assert balance_of(funded_user).available == 100


def test_reconcile_asks_about_a_timed_out_video_at_most_12_times_in_a_day(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.set_state(video.provider_task_id, "running", progress=80)
    backdate(video, age=TIMEOUT + 60)
    start = timezone.now()

    # The scheduler's rounds, every 30 s for the day a late result is still accepted.
    for second in range(0, 24 * 3600, 30):
        reconcile_round(now=start + timedelta(seconds=second), inline=True)

    video.refresh_from_db()
    assert (video.status, video.failure_reason) == ("FAILED", "timeout")
    assert 2 <= status_queries(evolink, video) <= 12


def test_reconcile_still_delivers_a_late_success_hours_after_the_timeout(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    start = timezone.now()
    for second in range(0, 6 * 3600, 30):
        reconcile_round(now=start + timedelta(seconds=second), inline=True)
    evolink.complete(video.provider_task_id, callback=False)

    for second in range(6 * 3600, 24 * 3600, 30):
        reconcile_round(now=start + timedelta(seconds=second), inline=True)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "RELEASED")


def test_reconcile_never_asks_about_a_deleted_timed_out_video(auth_client, funded_user, evolink):
    video = timed_out(auth_client, evolink)
    assert auth_client.delete(f"/api/v1/video/{video.uuid}").status_code == 200
    backdate(video, quiet_for=3 * 3600, age=TIMEOUT + 4 * 3600)
    queries = status_queries(evolink, video)

    output = reconcile()

    assert output == "refreshed 0, resubmitted 0, timed out 0"
    assert status_queries(evolink, video) == queries


def test_reconcile_forgets_idempotency_keys_older_than_a_day(auth_client, funded_user, evolink):
    from videos.models import IdempotencyRecord

    for key in ("old", "new"):
        response = auth_client.post(
            "/api/v1/video/generate", SORA, format="json", headers={"Idempotency-Key": key}
        )
        assert response.status_code == 202
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    output = reconcile()

    assert output.endswith("forgot 1 idempotency keys older than 24 hours")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
