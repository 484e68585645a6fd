"""Exactly once: duplicate callbacks, parallel callbacks and the reconciler racing them end
in one outcome — one copy, one settlement or one release (docs/api.md: Provider callbacks).

The races run in threads on PostgreSQL with committed data (``transaction=True``), each
thread on its own connection, released together by a barrier.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from credits.selectors import balance_of, hold_state, ledger_problems
from tests.videos.storages import BreakableStorage
from tests.webhooks.support import (
    EVOLINK,
    consumed,
    downloads,
    fake_provider,
    generate,
    post_callback,
    run_together,
    status_queries,
)
from videos.delivery import deliver_result
from videos.models import Video
from videos.providers.base import TaskState, TaskStatus
from videos.reconcile import reconcile
from videos.refresh import refresh_from_provider
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("media_root")

QUEUED = {"success": True, "data": {"received": True, "outcome": "queued"}}
IGNORED = {"success": True, "data": {"received": True, "outcome": "ignored"}}
ROUNDS = 3


def callback_job(server, video):
    def job():
        return post_callback(APIClient(), server, video).status_code

    return job


def assert_completed_once(video: Video, user, server) -> None:
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert hold_state(str(video.uuid)) == "SETTLED"
    assert [ref for _, ref in consumed(user)].count(str(video.uuid)) == 1
    assert downloads(server, server.task(video.provider_task_id).result_urls[0]) == 1


# --- duplicates, one after the other ------------------------------------------------------------


@pytest.mark.django_db
def test_same_callback_delivered_five_times_settles_once(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    answers = [post_callback(APIClient(), evolink, video) for _ in range(5)]

    assert [(a.status_code, a.json()) for a in answers] == [(200, QUEUED)] + [(200, IGNORED)] * 4
    assert_completed_once(video, funded_user, evolink)
    assert consumed(funded_user) == [(-2, str(video.uuid))]
    assert balance_of(funded_user).used == 2
    assert status_queries(evolink, video) == 1


@pytest.mark.django_db
def test_callback_for_a_completed_video_answers_200_and_changes_nothing(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)
    post_callback(APIClient(), evolink, video)
    before = Video.objects.get(pk=video.pk)
    evolink.fail(video.provider_task_id, "Flagged after the fact", callback=False)

    response = post_callback(APIClient(), evolink, video)

    assert (response.status_code, response.json()) == (200, IGNORED)
    after = Video.objects.get(pk=video.pk)
    assert (after.status, after.credit_status, after.video_file, after.updated_at) == (
        "COMPLETED",
        "CONSUMED",
        before.video_file,
        before.updated_at,
    )
    assert status_queries(evolink, video) == 1


@pytest.mark.django_db
def test_callback_for_a_video_the_provider_failed_answers_200_and_changes_nothing(
    auth_client, funded_user, evolink
):
    video = generate(auth_client)
    evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)
    post_callback(APIClient(), evolink, video)
    # Even if the provider later claims success, a provider failure is final.
    evolink.complete(video.provider_task_id, callback=False)

    response = post_callback(APIClient(), evolink, video)

    assert (response.status_code, response.json()) == (200, IGNORED)
    video.refresh_from_db()
    assert (video.status, video.credit_status, video.video_file) == ("FAILED", "RELEASED", "")
    assert balance_of(funded_user).available == 100
    assert consumed(funded_user) == []
    assert status_queries(evolink, video) == 1


# --- real races -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_parallel_callbacks_settle_once(auth_client, funded_user, evolink):
    video = generate(auth_client)
    evolink.complete(video.provider_task_id, callback=False)

    statuses = run_together(*[callback_job(evolink, video)] * 5)

    assert statuses == [200] * 5
    assert_completed_once(video, funded_user, evolink)
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (98, 0, 2)
    assert WebhookDelivery.objects.count() == 5
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_callback_racing_the_reconciler_completes_once(auth_client, funded_user, evolink, settings):
    settings.VIDEO_QUIET_AFTER = 0
    videos = []
    for _ in range(ROUNDS):
        video = generate(auth_client)
        videos.append(video)
        evolink.complete(video.provider_task_id, callback=False)
        run_together(callback_job(evolink, video), lambda: reconcile(inline=True))

    for video in videos:
        assert_completed_once(video, funded_user, evolink)
    assert balance_of(funded_user).used == 2 * ROUNDS
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refresh_racing_the_reconciler_completes_once(auth_client, funded_user, evolink, settings):
    settings.VIDEO_QUIET_AFTER = 0
    videos = []
    for _ in range(ROUNDS):
        video = generate(auth_client)
        videos.append(video)
        evolink.complete(video.provider_task_id, callback=False)
        run_together(
            lambda uuid=str(video.uuid): refresh_from_provider(uuid),
            lambda: reconcile(inline=True),
        )

    for video in videos:
        assert_completed_once(video, funded_user, evolink)
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_callback_racing_the_reconcilers_last_word_completes_once(
    auth_client, funded_user, evolink, settings
):
    # Past GENERATION_TIMEOUT the reconciler fails a video without a verdict; here the
    # verdict (success) arrives by callback at the same moment.
    settings.VIDEO_QUIET_AFTER = 0
    videos = []
    for _ in range(ROUNDS):
        video = generate(auth_client)
        videos.append(video)
        Video.objects.filter(pk=video.pk).update(
            created_at=timezone.now() - timedelta(seconds=settings.GENERATION_TIMEOUT + 60)
        )
        evolink.complete(video.provider_task_id, callback=False)
        run_together(callback_job(evolink, video), lambda: reconcile(inline=True))

    for video in videos:
        assert_completed_once(video, funded_user, evolink)
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_failure_callback_racing_the_reconciler_releases_once(auth_client, funded_user, evolink, settings):
    settings.VIDEO_QUIET_AFTER = 0
    videos = []
    for _ in range(ROUNDS):
        video = generate(auth_client)
        videos.append(video)
        evolink.fail(video.provider_task_id, "Content moderation rejected the prompt", callback=False)
        run_together(
            callback_job(evolink, video), callback_job(evolink, video), lambda: reconcile(inline=True)
        )

    for video in videos:
        video.refresh_from_db()
        assert (video.status, video.credit_status, video.failure_reason) == ("FAILED", "RELEASED", "provider")
        assert hold_state(str(video.uuid)) == "RELEASED"
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen, balance.used) == (100, 0, 0)
    assert consumed(funded_user) == []
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_copy_finishing_after_its_lease_expired_keeps_the_stored_file(auth_client, funded_user, settings):
    # A copy slower than UPLOAD_LEASE_SECONDS (a big file on a slow link) gets a second
    # copier (the reconciler's refresh); the first must not remove what the winner stored.
    settings.UPLOAD_LEASE_SECONDS = 0
    with fake_provider(settings, EVOLINK, slow_seconds=1) as server:
        video = generate(auth_client)
        uuid = str(video.uuid)
        server.complete(video.provider_task_id, callback=False)
        fast = TaskStatus(
            video.provider_task_id, TaskState.SUCCEEDED, result_urls=(server.file_url("a.mp4"),)
        )
        slow = TaskStatus(video.provider_task_id, TaskState.SUCCEEDED, result_urls=(server.slow_body_url,))

        def first_copier():
            try:
                deliver_result(uuid, slow)
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            stalled = pool.submit(first_copier)
            wait_until(lambda: Video.objects.get(pk=uuid).upload_attempts == 1)
            deliver_result(uuid, fast)
            stalled.result(timeout=30)

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert consumed(funded_user) == [(-2, uuid)]
    assert default_storage.exists(video.video_file)


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_late_copy_whose_save_fails_keeps_the_completed_videos_files(auth_client, funded_user, settings):
    # The stale copy reaches storage after the winner completed, and its save fails: the
    # file the COMPLETED row points to (and the user paid for) must survive.
    settings.UPLOAD_LEASE_SECONDS = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.videos.storages.BreakableStorage"},
    }
    with fake_provider(settings, EVOLINK, slow_seconds=1) as server:
        video = generate(auth_client)
        uuid = str(video.uuid)
        server.complete(video.provider_task_id, callback=False)
        fast = TaskStatus(
            video.provider_task_id, TaskState.SUCCEEDED, result_urls=(server.file_url("a.mp4"),)
        )
        slow = TaskStatus(video.provider_task_id, TaskState.SUCCEEDED, result_urls=(server.slow_body_url,))

        def stale_copier():
            try:
                deliver_result(uuid, slow)
            finally:
                connection.close()

        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                stalled = pool.submit(stale_copier)
                wait_until(lambda: Video.objects.get(pk=uuid).upload_attempts == 1)
                deliver_result(uuid, fast)
                assert Video.objects.get(pk=uuid).status == "COMPLETED"
                BreakableStorage.broken = True
                stalled.result(timeout=30)
        finally:
            BreakableStorage.broken = False

    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert default_storage.exists(video.video_file)
    assert default_storage.exists(video.thumbnail_file)
    assert consumed(funded_user) == [(-2, uuid)]


def lock_waiters() -> int:
    """Connections of this test database waiting for a lock (a row lock, here)."""
    with connection.cursor() as cursor:
        # Activity statistics are a snapshot per transaction: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_final_timeout_spares_a_copy_that_claimed_the_video_while_it_decided(
    auth_client, funded_user, evolink, settings
):
    # The reconciler's last word found no copy running, then a copy claimed the video
    # before the timeout took the row lock: the timeout must see the claim and stand down.
    video = generate(auth_client)
    uuid = str(video.uuid)
    evolink.fail_next_query(http_status=503)  # no verdict: the timeout decides

    def final_refresh():
        try:
            refresh_from_provider(uuid, final=True)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            Video.objects.select_for_update().get(pk=uuid)  # the copier holds the row
            deciding = pool.submit(final_refresh)
            wait_until(lambda: lock_waiters() == 1)
            Video.objects.filter(pk=uuid).update(
                status="UPLOADING", upload_started_at=timezone.now(), upload_attempts=1
            )
        deciding.result(timeout=30)

    video.refresh_from_db()
    assert (video.status, video.credit_status, video.failure_reason) == ("UPLOADING", "HELD", "")
    assert hold_state(uuid) == "HOLDING"
