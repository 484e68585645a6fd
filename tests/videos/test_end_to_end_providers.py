"""Each provider end to end over real HTTP: a live Kensa (gunicorn + a django.tasks worker)
against the FakeProviderServer, which accepts the task and POSTs its callback to Kensa.

signup → generate → the worker submits → the provider calls back → the worker asks the
provider, copies the result and settles the hold. Also a failure verdict, and a callback
that never comes (``manage.py videos_reconcile --inline`` recovers it).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.fakes.provider_server import FakeProviderServer, FakeTask, sample_mp4
from tests.live import ROOT, process_env, task_worker, web_server
from tests.webhooks.support import API_KEYS, KIE_HMAC_KEY, PRICES, SORA, VEO, WAN

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30
CREDITS = 100


@dataclass(frozen=True)
class Case:
    provider: str  # DEFAULT_AI_PROVIDER
    body: dict
    hmac_key: str | None = None  # Kie signs its callbacks with it (X-Webhook-Signature)


CASES = {
    "evolink": Case("evolink", SORA),
    "kie-market-signed": Case("kie", WAN, hmac_key=KIE_HMAC_KEY),
    "kie-veo": Case("kie", VEO),
}


@dataclass
class Stack:
    base: str
    provider: FakeProviderServer
    env: dict[str, str]  # the worker's environment (it builds the callback URLs)
    media: Path
    case: Case
    session: requests.Session


@pytest.fixture(params=list(CASES), ids=list(CASES))
def stack(request, tmp_path) -> Iterator[Stack]:
    case = CASES[request.param]
    prefix = "EVOLINK" if case.provider == "evolink" else "KIE"
    media = tmp_path / "media"
    with FakeProviderServer(api_key=API_KEYS[case.provider], webhook_hmac_key=case.hmac_key) as provider:
        env = process_env(
            MEDIA_ROOT=str(media),
            NEW_USER_CREDITS=str(CREDITS),
            DEFAULT_AI_PROVIDER=case.provider,
            REMOTE_ASSET_ALLOW_PRIVATE="true",
            RATELIMIT_READ_USER="1000/m",
            RATELIMIT_AUTH_IP="100/m",
            **{f"{prefix}_API_KEY": API_KEYS[case.provider], f"{prefix}_BASE_URL": provider.base_url},
            **({"KIE_WEBHOOK_HMAC_KEY": case.hmac_key} if case.hmac_key else {}),
        )
        with web_server(env, tmp_path) as base:
            worker_env = {**env, "AI_CALLBACK_URL": base}
            with task_worker(worker_env, tmp_path):
                session = requests.Session()
                signup = session.post(
                    f"{base}/api/v1/auth/signup",
                    json={"email": "e2e@example.com", "password": "a-Strong-pass-123"},
                    timeout=10,
                )
                assert signup.status_code == 201, signup.text
                yield Stack(base, provider, worker_env, media, case, session)


def video_task(stack: Stack, uuid: str) -> dict:
    answer = stack.session.get(f"{stack.base}/api/v1/video/task", params={"uuid": uuid}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_for_status(stack: Stack, uuid: str, statuses: tuple[str, ...]) -> dict:
    deadline = time.monotonic() + TIMEOUT
    while True:
        data = video_task(stack, uuid)
        if data["status"] in statuses:
            return data
        if time.monotonic() > deadline:
            raise AssertionError(f"video {uuid} not in {statuses} after {TIMEOUT} s (last: {data})")
        time.sleep(0.1)


def generating(stack: Stack) -> tuple[str, FakeTask]:
    """Ask for a video; return it once the provider has its task and Kensa recorded it."""
    accepted = stack.session.post(f"{stack.base}/api/v1/video/generate", json=stack.case.body, timeout=10)
    assert accepted.status_code == 202, accepted.text
    uuid = accepted.json()["data"]["uuid"]
    task = stack.provider.wait_for_task(timeout=TIMEOUT)
    # A callback must not overtake the worker recording the task id.
    wait_for_status(stack, uuid, ("GENERATING",))
    assert task.callback_url and task.callback_url.startswith(f"{stack.base}/api/v1/video/callback/")
    assert f"video={uuid}" in task.callback_url
    return uuid, task


def credits(stack: Stack) -> tuple[int, int, int]:
    data = stack.session.get(f"{stack.base}/api/v1/auth/session", timeout=5).json()["data"]["credits"]
    return data["available"], data["frozen"], data["used"]


def consumptions(stack: Stack) -> list[tuple[int, str]]:
    history = stack.session.get(f"{stack.base}/api/v1/credit/history", timeout=5).json()["data"]
    return [
        (t["credits"], t["videoUuid"]) for t in history["transactions"] if t["transType"] == "VIDEO_CONSUME"
    ]


def assert_completed_and_charged_once(stack: Stack, uuid: str, final: dict) -> None:
    price = PRICES[stack.case.body["model"]]
    assert (final["status"], final["progress"], final["errorMessage"]) == ("COMPLETED", 100, None)
    # Each copy writes under a name of its own: videos/<uuid>-<suffix>.mp4.
    (stored,) = (stack.media / "videos").glob(f"{uuid}-*.mp4")
    assert stored.read_bytes() == sample_mp4()
    served = requests.get(final["videoUrl"], timeout=10)
    assert (served.status_code, served.content) == (200, sample_mp4())
    assert credits(stack) == (CREDITS - price, 0, price)
    assert consumptions(stack) == [(-price, uuid)]


def test_provider_callback_completes_the_video_and_charges_once(stack):
    uuid, task = generating(stack)

    sent = stack.provider.complete(task.task_id)

    assert sent is not None and sent.status_code == 200, sent
    if stack.case.hmac_key:
        assert "X-Webhook-Signature" in sent.headers
    final = wait_for_status(stack, uuid, ("COMPLETED", "FAILED"))
    assert_completed_and_charged_once(stack, uuid, final)


def test_provider_failure_callback_fails_the_video_and_releases_the_credits(stack):
    uuid, task = generating(stack)

    sent = stack.provider.fail(task.task_id, "Content moderation rejected the prompt")

    assert sent is not None and sent.status_code == 200, sent
    final = wait_for_status(stack, uuid, ("COMPLETED", "FAILED"))
    assert final["status"] == "FAILED"
    assert "Content moderation rejected the prompt" in final["errorMessage"]
    assert credits(stack) == (CREDITS, 0, 0)
    assert consumptions(stack) == []


def test_lost_callback_is_recovered_by_videos_reconcile(stack):
    uuid, task = generating(stack)
    stack.provider.complete(task.task_id, callback=False)

    reconciled = subprocess.run(
        [sys.executable, "manage.py", "videos_reconcile", "--inline"],
        cwd=ROOT,
        env={**stack.env, "VIDEO_QUIET_AFTER": "0"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert reconciled.returncode == 0, reconciled.stderr
    assert reconciled.stdout.strip() == "refreshed 1, resubmitted 0, timed out 0"
    assert stack.provider.callbacks == []
    final = video_task(stack, uuid)
    assert_completed_and_charged_once(stack, uuid, final)
