"""Workers killed with SIGKILL in the middle of a submission or a download (RQ backend): the
work is picked up again by the reconciler, nothing is charged twice, nothing stays held.

(A worker killed in the middle of a webhook delivery is tests/webhooks/test_end_to_end.py's
``a worker killed mid-send loses no event``; the chaos run kills workers of both queues.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.live import ROOT
from tests.scaleout.processes import wait_until
from tests.scaleout.stack import Stack, rq_stack
from tests.webhooks.support import SORA
from videos.models import Video

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CREATE = "/v1/videos/generations"


def kill_and_restart_workers(stack: Stack) -> None:
    for worker in stack.workers:
        worker.kill()
    for worker in stack.workers:
        worker.start()


def reconcile(stack: Stack, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "videos_reconcile"],
        cwd=ROOT,
        env={**stack.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_submission_killed_mid_call_is_resubmitted_and_charged_once(tmp_path):
    with rq_stack(tmp_path, DEFAULT_AI_PROVIDER="evolink") as stack:
        stack.provider.stall_next_request(30)
        session = stack.signup("killed-submit@example.com")
        uuid = stack.generate(session, SORA)
        wait_until(lambda: stack.provider.requests_to(CREATE, "POST"), 20, "the create reaching the provider")

        kill_and_restart_workers(stack)
        held = stack.credits(session)
        # Ten minutes on: the reconciler's sign that a submission was lost.
        Video.objects.filter(pk=uuid).update(updated_at=timezone.now() - timedelta(minutes=11))
        report = reconcile(stack)
        wait_until(lambda: stack.task(session, uuid)["status"] == "GENERATING", 30, "resubmitted")
        task_id = Video.objects.get(pk=uuid).provider_task_id
        stack.provider.complete(task_id)
        final = stack.wait_finished(session, uuid)
        credits = stack.credits(session)

    assert held == (98, 2, 0)
    assert report == "refreshed 0, resubmitted 1, timed out 0"
    assert final["status"] == "COMPLETED"
    assert credits == (98, 0, 2)
    call_command("credits_verify", stdout=StringIO())


def test_a_download_killed_mid_body_is_copied_again_after_its_lease_and_charged_once(tmp_path):
    with rq_stack(tmp_path, DEFAULT_AI_PROVIDER="evolink", UPLOAD_LEASE_SECONDS="2") as stack:
        session = stack.signup("killed-download@example.com")
        uuid = stack.generate(session, SORA)
        task = stack.provider.wait_for_task(timeout=30)
        wait_until(lambda: stack.task(session, uuid)["status"] == "GENERATING", 20, "GENERATING")
        stack.provider.complete(task.task_id, result_urls=[stack.provider.slow_body_url])
        wait_until(lambda: stack.task(session, uuid)["status"] == "UPLOADING", 20, "the copy starting")

        kill_and_restart_workers(stack)
        stack.provider.complete(task.task_id, callback=False)  # the link works again
        # The dead copy's lease must run out first: until then a refresh leaves the video to
        # it (in production the scheduler's next round asks again).
        time.sleep(2.5)
        wait_until(
            lambda: reconcile(stack, VIDEO_QUIET_AFTER="0").startswith("refreshed 1"), 20, "refresh queued"
        )
        final = stack.wait_finished(session, uuid)
        credits = stack.credits(session)
        stored = list((tmp_path / "media" / "videos").glob(f"{uuid}-*.mp4"))

    assert final["status"] == "COMPLETED"
    assert credits == (98, 0, 2)
    assert len(stored) == 1  # the killed copy left no file behind it... or it was discarded
    call_command("credits_verify", stdout=StringIO())
