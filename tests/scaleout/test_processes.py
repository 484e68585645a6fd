"""Several processes at once: two gunicorn servers, two RQ workers and two schedulers, of
which only one runs the periodic jobs at a time; metrics summed across processes."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.live import free_port, wait_for_http
from tests.scaleout.processes import gunicorn, scheduler, started, wait_until
from tests.scaleout.stack import rq_stack
from tests.scaleout.test_metrics import sample
from tests.webhooks.support import SORA

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUND = "round started by scheduler"


def rounds(proc) -> int:
    return proc.output().count(ROUND)


def test_of_two_schedulers_one_runs_the_rounds_and_the_other_takes_over_when_it_dies(tmp_path):
    with rq_stack(tmp_path, workers=1, SCHEDULER_LEASE_SECONDS="3", LOG_LEVEL="DEBUG") as stack:
        first, second = (scheduler(stack.env, tmp_path, f"scheduler-{n}") for n in (1, 2))
        with started(first, second):
            wait_until(lambda: rounds(first) + rounds(second) >= 3, 15, "three rounds")
            holder, waiter = (first, second) if rounds(first) else (second, first)
            assert rounds(waiter) == 0, waiter.output()
            assert "holds the lease" in waiter.output()

            holder.kill()  # SIGKILL: the lease is not given back, it has to run out
            killed_at = time.monotonic()
            wait_until(lambda: rounds(waiter) > 0, 15, "the second scheduler taking over")
            took_over_after = time.monotonic() - killed_at

    assert took_over_after >= 1.5  # not before the dead holder's lease ran out (3 s, renewed every 1 s)


def test_two_web_servers_two_workers_and_two_schedulers_complete_every_video(tmp_path):
    with rq_stack(tmp_path, workers=2, web_workers=2, SCHEDULER_LEASE_SECONDS="5") as stack:
        port = free_port()
        second_web = gunicorn({**stack.env}, tmp_path, "web-2", port)
        schedulers = [scheduler(stack.env, tmp_path, f"scheduler-{n}", interval=2) for n in (1, 2)]
        with started(second_web, *schedulers):
            other_base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{other_base}/healthz")
            session = stack.signup("many@example.com")
            uuids = []
            for n in range(6):  # the same session, alternately on either server
                base = stack.base if n % 2 else other_base
                answer = session.post(f"{base}/api/v1/video/generate", json=SORA, timeout=10)
                assert answer.status_code == 202, answer.text
                uuids.append(answer.json()["data"]["uuid"])
            finals = [stack.wait_finished(session, uuid) for uuid in uuids]
            credits = stack.credits(session)
            metrics = requests.get(f"{other_base}/metrics", timeout=10).text
            holders = [s for s in schedulers if "holds the lease and runs the jobs" in s.output()]

    assert [f["status"] for f in finals] == ["COMPLETED"] * 6
    assert credits == (88, 0, 12)
    assert len(holders) == 1
    assert sample(metrics, "kensa_videos", status="COMPLETED") == 6
    generated = sample(
        metrics, "kensa_http_requests_total", route="/api/v1/video/generate", method="POST", status="202"
    )
    # Counted by four gunicorn workers in two servers, added up from PROMETHEUS_MULTIPROC_DIR.
    assert generated == 6
    assert re.search(r'^kensa_task_queue_depth\{queue="default"\} ', metrics, re.MULTILINE)
