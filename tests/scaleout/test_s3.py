"""STORAGE_BACKEND=s3 end to end against moto's S3-protocol server on loopback: results and
thumbnails stored in the bucket, videoUrl presigned with an expiry, deleted with the video,
and a 200 MB result streamed up in parts with bounded memory."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.live import process_env, task_worker, web_server
from tests.scaleout.processes import s3_server
from tests.scaleout.stack import PASSWORD
from tests.videos.test_download_memory import MEASURE, measure_copy
from tests.videos.test_end_to_end_demo import poll_until_finished
from tests.webhooks.support import API_KEYS, EVOLINK, SORA, fake_provider, generate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The bucket's client (botocore's service model, s3transfer) loaded before measuring, as
# in a worker that has stored a file before.
MEASURE_S3 = MEASURE.replace(
    'get_provider("evolink")\n',
    'get_provider("evolink")\n'
    "from django.core.files.base import ContentFile\n"
    "storage.delete(storage.save('warm-up.bin', ContentFile(b'x' * 9 * 2**20)))\n",
    1,
)
assert MEASURE_S3 != MEASURE
RESULT_BYTES = 200 * 1024 * 1024
# Two 8 MiB parts in memory, their checksums and HTTP buffers (measured: ~35 MB).
MAX_GROWTH_BYTES = 48 * 1024 * 1024


@pytest.fixture
def s3(tmp_path):
    with s3_server(tmp_path) as server:
        yield server


def test_a_demo_video_is_stored_in_the_bucket_served_presigned_and_deleted_with_its_thumbnail(s3, tmp_path):
    env = process_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        NEW_USER_CREDITS="20",
        ACCOUNT_EMAIL_VERIFICATION="none",
        EMAIL_URL="consolemail://",
        AWS_QUERYSTRING_EXPIRE="600",
        **s3.env(),
    )
    with web_server(env, tmp_path) as base, task_worker(env, tmp_path):
        session = requests.Session()
        assert (
            session.post(
                f"{base}/api/v1/auth/signup",
                json={"email": "s3@example.com", "password": PASSWORD},
                timeout=10,
            ).status_code
            == 201
        )
        uuid = session.post(f"{base}/api/v1/video/generate", json=SORA, timeout=10).json()["data"]["uuid"]
        final = poll_until_finished(session, base, uuid)
        stored = s3.keys()
        served = requests.get(final["videoUrl"], timeout=10)
        thumbnail = requests.get(final["thumbnailUrl"], timeout=10)
        deleted = session.delete(f"{base}/api/v1/video/{uuid}", timeout=10)
        left = s3.keys()

    assert final["status"] == "COMPLETED"
    assert [key.split("/")[0] for key in stored] == ["thumbnails", "videos"]
    assert stored[0].startswith(f"thumbnails/{uuid}-") and stored[1].startswith(f"videos/{uuid}-")
    link = urlsplit(final["videoUrl"])
    assert link.netloc == urlsplit(s3.endpoint).netloc
    assert parse_qs(link.query)["X-Amz-Expires"] == ["600"]
    assert "X-Amz-Signature" in parse_qs(link.query)
    assert (served.status_code, served.content[4:8]) == (200, b"ftyp")
    assert (thumbnail.status_code, thumbnail.content[:2]) == (200, b"\xff\xd8")  # a JPEG
    assert deleted.status_code == 200, deleted.text
    assert left == []
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.mp4"))


def test_copying_a_200_mb_result_into_the_bucket_goes_up_in_parts_with_bounded_memory(
    settings, auth_client, funded_user, s3, tmp_path
):
    with fake_provider(settings, EVOLINK) as server:
        video = generate(auth_client)
        huge = server.set_huge_file("huge.mp4", RESULT_BYTES)
        server.complete(video.provider_task_id, result_urls=[huge], callback=False)
        env = process_env(
            EVOLINK_API_KEY=API_KEYS[EVOLINK],
            EVOLINK_BASE_URL=server.base_url,
            REMOTE_ASSET_ALLOW_PRIVATE="true",
            VIDEO_MAX_BYTES=str(RESULT_BYTES + 1024 * 1024),
            MEDIA_ROOT=str(tmp_path / "media"),
            **s3.env(),
        )
        measured = measure_copy(MEASURE_S3, video, huge, env, timeout=180)

    growth = max(measured["hwm_growth"], measured["sampled_growth"])
    print(f"\nmemory growth copying {RESULT_BYTES / 2**20:.0f} MB into S3: {growth / 2**20:.1f} MB")
    video.refresh_from_db()
    assert (video.status, video.credit_status) == ("COMPLETED", "CONSUMED")
    head = s3.client().head_object(Bucket=s3.bucket, Key=video.video_file)
    assert head["ContentLength"] == RESULT_BYTES
    assert head["ETag"].strip('"').endswith("-25")  # a multipart upload of 25 parts of 8 MiB
    assert growth < MAX_GROWTH_BYTES
