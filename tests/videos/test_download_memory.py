"""Copying a 200 MB result keeps memory bounded: the download streams to disk, it is never
held in memory (results are streamed with bounded memory).

The copy runs in a fresh Python process (the real path: videos.delivery.deliver_result →
provider.open_result → storage) that measures its own resident memory, so pytest's memory
does not blur the number.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.live import ROOT, process_env
from tests.webhooks.support import API_KEYS, EVOLINK, consumed, fake_provider, generate

pytestmark = pytest.mark.django_db(transaction=True)

RESULT_BYTES = 200 * 1024 * 1024
MAX_GROWTH_BYTES = 30 * 1024 * 1024

# Prints {"hwm_growth": bytes, "sampled_growth": bytes, "hwm_reset": bool}.
MEASURE = r"""
import json, sys, threading, time

import django

django.setup()

# Everything the copy path imports, imported before measuring.
import requests, imageio_ffmpeg  # noqa: F401
from videos import delivery, downloads, media, storage  # noqa: F401
from videos.models import Video
from videos.providers import get_provider
from videos.providers.base import TaskState, TaskStatus


def status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])


uuid, task_id, url = sys.argv[1:4]
Video.objects.get(pk=uuid)  # the database connection is open before measuring
get_provider("evolink")
try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    hwm_reset = True
except OSError:
    hwm_reset = False
rss_before = status_kb("VmRSS")
hwm_before = status_kb("VmHWM")
sampled = {"peak": rss_before}
done = threading.Event()


def sample():
    while not done.is_set():
        sampled["peak"] = max(sampled["peak"], status_kb("VmRSS"))
        time.sleep(0.002)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
delivery.deliver_result(uuid, TaskStatus(task_id, TaskState.SUCCEEDED, progress=100, result_urls=(url,)))
done.set()
sampler.join()
hwm_growth = status_kb("VmHWM") - (hwm_before if hwm_reset else max(hwm_before, rss_before))
print(json.dumps({
    "hwm_growth": max(0, hwm_growth) * 1024,
    "sampled_growth": (sampled["peak"] - rss_before) * 1024,
    "hwm_reset": hwm_reset,
}))
"""


def measure_copy(script: str, video, result_url: str, env: dict[str, str], timeout: float) -> dict:
    """Run the copy of ``video``'s result in a process of its own; its memory figures."""
    run = subprocess.run(
        [sys.executable, "-c", script, str(video.uuid), video.provider_task_id, result_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_copying_a_200_mb_result_grows_memory_by_less_than_30_mb(
    settings, auth_client, funded_user, tmp_path
):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    with fake_provider(settings, EVOLINK) as server:
        video = generate(auth_client)
        huge = server.set_huge_file("huge.mp4", RESULT_BYTES)
        server.complete(video.provider_task_id, result_urls=[huge], callback=False)
        env = process_env(
            EVOLINK_API_KEY=API_KEYS[EVOLINK],
            EVOLINK_BASE_URL=server.base_url,
            REMOTE_ASSET_ALLOW_PRIVATE="true",
            VIDEO_MAX_BYTES=str(RESULT_BYTES + 1024 * 1024),
            MEDIA_ROOT=str(media),
        )
        measured = measure_copy(MEASURE, video, huge, env, timeout=120)

    growth = max(measured["hwm_growth"], measured["sampled_growth"])
    print(
        f"\nmemory growth copying {RESULT_BYTES / 2**20:.0f} MB: {growth / 2**20:.1f} MB "
        f"(VmHWM delta {measured['hwm_growth'] / 2**20:.1f} MB, reset {measured['hwm_reset']}; "
        f"sampled VmRSS peak delta {measured['sampled_growth'] / 2**20:.1f} MB)"
    )
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    assert (media / video.video_file).stat().st_size == RESULT_BYTES
    assert consumed(funded_user) == [(-2, str(video.uuid))]
    assert growth < MAX_GROWTH_BYTES
