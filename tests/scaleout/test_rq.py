"""TASKS_BACKEND=rq end to end: gunicorn and two real ``rqworker`` processes on a Redis of the
test's own (the demo provider, a loopback EvoLink with its callbacks, a retry that waits,
the periodic jobs queueing work on RQ)."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tests.fakes.provider_server import sample_mp4
from tests.live import ROOT
from tests.scaleout.processes import wait_until
from tests.scaleout.stack import rq_stack
from tests.webhooks.support import SORA

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def jobs_done_by(worker) -> int:
    return worker.output().count("Job OK")


def test_two_rq_workers_share_demo_generations_and_charge_each_once(tmp_path):
    with rq_stack(tmp_path) as stack:
        session = stack.signup("rq-demo@example.com")
        uuids = [stack.generate(session, SORA) for _ in range(6)]

        finals = [stack.wait_finished(session, uuid) for uuid in uuids]
        available, frozen, used = stack.credits(session)
        done = [jobs_done_by(worker) for worker in stack.workers]

    assert [f["status"] for f in finals] == ["COMPLETED"] * 6
    assert (available, frozen, used) == (100 - 12, 0, 12)
    assert all(n > 0 for n in done), f"jobs per worker: {done}"
    call_command("credits_verify", stdout=StringIO())


def test_rq_provider_callback_completes_the_video_after_retries_that_wait(tmp_path):
    with rq_stack(tmp_path, DEFAULT_AI_PROVIDER="evolink") as stack:
        stack.provider.fail_next_create(http_status=503, times=2)
        session = stack.signup("rq-evolink@example.com")
        uuid = stack.generate(session, SORA)
        task = stack.provider.wait_for_task(timeout=30)
        wait_until(lambda: stack.task(session, uuid)["status"] == "GENERATING", 20, "GENERATING")

        sent = stack.provider.complete(task.task_id)
        final = stack.wait_finished(session, uuid)
        creates = stack.provider.requests_to("/v1/videos/generations", "POST")
        credits = stack.credits(session)
        stored = list((tmp_path / "media" / "videos").glob(f"{uuid}-*.mp4"))

    assert sent is not None and sent.status_code == 200
    assert (final["status"], final["progress"]) == ("COMPLETED", 100)
    assert stored[0].read_bytes() == sample_mp4()
    assert credits == (98, 0, 2)
    # Three creates: two 503s, each retried after its backoff (1 s, then 2 s) by RQ's scheduler.
    assert len(creates) == 3, [r.path for r in stack.provider.requests]


def test_periodic_jobs_on_rq_recover_a_lost_callback(tmp_path):
    # The web and the workers wait the default 60 s before asking; only the scheduler's round
    # (VIDEO_QUIET_AFTER=0) can notice the lost callback.
    with rq_stack(tmp_path, DEFAULT_AI_PROVIDER="evolink") as stack:
        session = stack.signup("rq-reconcile@example.com")
        uuid = stack.generate(session, SORA)
        task = stack.provider.wait_for_task(timeout=30)
        wait_until(lambda: stack.task(session, uuid)["status"] == "GENERATING", 20, "GENERATING")
        stack.provider.complete(task.task_id, callback=False)

        scheduled = subprocess.run(
            [sys.executable, "manage.py", "kensa_scheduler", "--once"],
            cwd=ROOT,
            env={**stack.env, "VIDEO_QUIET_AFTER": "0"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        final = stack.wait_finished(session, uuid)

    assert scheduled.returncode == 0, scheduled.stderr
    assert stack.provider.callbacks == []
    assert final["status"] == "COMPLETED"
