"""signup → generate (demo) → a real worker process completes it → the file plays."""

from __future__ import annotations

import time
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from tests.live import process_env, task_worker, web_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SAME_ORIGIN = {"Content-Type": "application/json"}


def poll_until_finished(session: requests.Session, base: str, uuid: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = session.get(f"{base}/api/v1/video/task", params={"uuid": uuid}, timeout=5).json()["data"]
        if data["status"] in ("COMPLETED", "FAILED"):
            return data
        time.sleep(0.2)
    raise AssertionError(f"video {uuid} did not finish in {timeout} s (last: {data})")


@pytest.fixture
def stack(tmp_path):
    env = process_env(MEDIA_ROOT=str(tmp_path / "media"), NEW_USER_CREDITS="20")
    with web_server(env, tmp_path) as base, task_worker(env, tmp_path):
        yield base


def test_demo_video_completes_through_a_real_worker_and_downloads_as_mp4(stack, tmp_path):
    session = requests.Session()
    signup = session.post(
        f"{stack}/api/v1/auth/signup",
        json={"email": "e2e@example.com", "password": "a-Strong-pass-123", "name": "E2E"},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    accepted = session.post(
        f"{stack}/api/v1/video/generate",
        json={"prompt": "a paper boat on a lake", "model": "sora-2", "duration": 10, "aspectRatio": "9:16"},
        timeout=10,
    )
    assert accepted.status_code == 202, accepted.text
    uuid = accepted.json()["data"]["uuid"]

    final = poll_until_finished(session, stack, uuid)

    assert (final["status"], final["progress"]) == ("COMPLETED", 100)
    video = requests.get(final["videoUrl"], timeout=10)
    assert video.status_code == 200
    path = tmp_path / "downloaded.mp4"
    path.write_bytes(video.content)
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    assert tuple(meta["size"]) == (720, 1280)  # 9:16 at sora-2's 720p
    assert abs(meta["duration"] - 10) < 0.5
    history = session.get(f"{stack}/api/v1/credit/history", timeout=5).json()["data"]["transactions"]
    consumed = [t for t in history if t["transType"] == "VIDEO_CONSUME"]
    assert [(t["credits"], t["videoUuid"]) for t in consumed] == [(-2, uuid)]
    out = StringIO()
    call_command("credits_verify", stdout=out)


def test_a_refusing_provider_fails_the_video_and_returns_the_credits(tmp_path):
    from tests.fakes.provider_server import FakeProviderServer

    with FakeProviderServer(api_key="evo-key") as provider:
        provider.fail_next_create(http_status=400)
        env = process_env(
            MEDIA_ROOT=str(tmp_path / "media"),
            NEW_USER_CREDITS="20",
            DEFAULT_AI_PROVIDER="evolink",
            EVOLINK_API_KEY="evo-key",
            EVOLINK_BASE_URL=provider.base_url,
        )
        with web_server(env, tmp_path) as base, task_worker(env, tmp_path):
            session = requests.Session()
            session.post(
                f"{base}/api/v1/auth/signup",
                json={"email": "refused@example.com", "password": "a-Strong-pass-123"},
                timeout=10,
            )
            accepted = session.post(
                f"{base}/api/v1/video/generate",
                json={"prompt": "anything", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"},
                timeout=10,
            )
            assert accepted.status_code == 202, accepted.text
            final = poll_until_finished(session, base, accepted.json()["data"]["uuid"])
            credits = session.get(f"{base}/api/v1/auth/session", timeout=5).json()["data"]["credits"]

    assert final["status"] == "FAILED"
    assert final["errorMessage"]
    assert (credits["available"], credits["frozen"], credits["used"]) == (20, 0, 0)
