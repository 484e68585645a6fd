from __future__ import annotations

import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import VideoFactory
from videos.models import Video

pytestmark = pytest.mark.usefixtures("media_root")


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def test_list_shows_the_callers_videos_newest_first(auth_client, user, other_user):
    older = VideoFactory(user=user)
    newer = VideoFactory(user=user)
    VideoFactory(user=other_user)
    VideoFactory(user=user, deleted_at=timezone.now())

    response = auth_client.get("/api/v1/video/list")

    assert response.status_code == 200
    data = response.json()["data"]
    assert [v["uuid"] for v in data["videos"]] == [str(newer.uuid), str(older.uuid)]
    assert (data["page"], data["pageSize"], data["total"], data["totalPages"]) == (1, 20, 2, 1)


def test_list_filters_by_status_and_model(auth_client, user):
    VideoFactory(user=user, status="FAILED", credit_status="RELEASED")
    wanted = VideoFactory(user=user, model="wan-2-6")
    VideoFactory(user=user)

    response = auth_client.get("/api/v1/video/list", {"status": "COMPLETED", "model": "wan-2-6"})

    assert [v["uuid"] for v in response.json()["data"]["videos"]] == [str(wanted.uuid)]


def test_list_refuses_an_unknown_status(auth_client, user):
    response = auth_client.get("/api/v1/video/list", {"status": "DONE"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"pageSize": "101"}, {"pageSize": "0"}])
def test_list_refuses_out_of_range_pagination(auth_client, user, params):
    response = auth_client.get("/api/v1/video/list", params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_list_page_past_the_end_is_empty(auth_client, user):
    VideoFactory(user=user)

    response = auth_client.get("/api/v1/video/list", {"page": "99999999999999", "pageSize": "10"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["videos"] == []
    assert (data["total"], data["totalPages"]) == (1, 1)


def test_list_paginates(auth_client, user):
    videos = [VideoFactory(user=user) for _ in range(5)]

    data = auth_client.get("/api/v1/video/list", {"page": 2, "pageSize": 2}).json()["data"]

    assert [v["uuid"] for v in data["videos"]] == [str(videos[2].uuid), str(videos[1].uuid)]
    assert (data["total"], data["totalPages"]) == (5, 3)


def test_list_answers_in_a_constant_number_of_queries(auth_client, user):
    VideoFactory.create_batch(30, user=user)
    auth_client.get("/api/v1/video/list")  # a session's first request also records its activity

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/v1/video/list", {"pageSize": page_size}).status_code == 200
        return len(queries)

    assert count(1) == count(30)
    assert count(30) <= 4


def test_detail_shows_every_field(auth_client, user):
    video = VideoFactory(user=user, status="GENERATING", credit_status="HELD", progress=40)

    response = auth_client.get(f"/api/v1/video/{video.uuid}")

    assert response.status_code == 200
    video.refresh_from_db()
    assert response.json() == {
        "success": True,
        "data": {
            "uuid": str(video.uuid),
            "status": "GENERATING",
            "progress": 40,
            "prompt": video.prompt,
            "model": "sora-2",
            "duration": 10,
            "aspectRatio": "16:9",
            "quality": "720p",
            "startImageUrl": None,
            "videoUrl": None,
            "thumbnailUrl": None,
            "creditsUsed": 2,
            "creditStatus": "HELD",
            "errorMessage": None,
            "createdAt": iso(video.created_at),
            "updatedAt": iso(video.updated_at),
            "completedAt": None,
        },
    }


def test_detail_of_a_completed_video_has_absolute_media_urls(auth_client, user):
    video = VideoFactory(user=user, video_file="videos/a.mp4", thumbnail_file="thumbnails/a.jpg")

    data = auth_client.get(f"/api/v1/video/{video.uuid}").json()["data"]

    assert data["videoUrl"] == "http://testserver/media/videos/a.mp4"
    assert data["thumbnailUrl"] == "http://testserver/media/thumbnails/a.jpg"


NOT_FOUND = {"success": False, "error": "Video not found.", "code": "not_found"}


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_users_video_is_not_found(auth_client, other_user, method):
    video = VideoFactory(user=other_user)

    response = getattr(auth_client, method)(f"/api/v1/video/{video.uuid}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Video.objects.get(pk=video.pk).deleted_at is None


@pytest.mark.parametrize("value", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_unknown_or_malformed_uuid_is_not_found(auth_client, user, value):
    response = auth_client.get(f"/api/v1/video/{value}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_delete_soft_deletes_and_removes_the_stored_file(
    auth_client, user, django_capture_on_commit_callbacks
):
    name = default_storage.save("videos/x.mp4", ContentFile(b"data"))
    video = VideoFactory(user=user, video_file=name)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/video/{video.uuid}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"uuid": str(video.uuid), "deleted": True}}
    assert Video.objects.get(pk=video.pk).deleted_at is not None
    assert not default_storage.exists(name)
    assert auth_client.get(f"/api/v1/video/{video.uuid}").status_code == 404


def test_deleting_twice_is_not_found(auth_client, user):
    video = VideoFactory(user=user)
    auth_client.delete(f"/api/v1/video/{video.uuid}")

    response = auth_client.delete(f"/api/v1/video/{video.uuid}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("status", ["PENDING", "GENERATING", "UPLOADING"])
def test_deleting_an_unfinished_video_answers_409(auth_client, user, status):
    video = VideoFactory(user=user, status=status, credit_status="HELD")

    response = auth_client.delete(f"/api/v1/video/{video.uuid}")

    assert response.status_code == 409
    assert response.json()["code"] == "video_not_finished"
    assert Video.objects.get(pk=video.pk).deleted_at is None


def test_task_answers_the_polling_fields(auth_client, user):
    video = VideoFactory(user=user, status="FAILED", credit_status="RELEASED", error_message="Refused.")

    response = auth_client.get("/api/v1/video/task", {"uuid": str(video.uuid)})

    video.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "uuid": str(video.uuid),
            "status": "FAILED",
            "progress": None,
            "videoUrl": None,
            "thumbnailUrl": None,
            "errorMessage": "Refused.",
            "creditsUsed": 2,
            "updatedAt": iso(video.updated_at),
            "completedAt": None,
        },
    }


def test_task_accepts_task_id_as_an_alias(auth_client, user):
    video = VideoFactory(user=user)

    response = auth_client.get("/api/v1/video/task", {"taskId": str(video.uuid)})

    assert response.json()["data"]["uuid"] == str(video.uuid)


def test_task_without_a_uuid_answers_400(auth_client, user):
    response = auth_client.get("/api/v1/video/task")

    assert response.status_code == 400
    assert response.json()["fields"] == {"uuid": ["This query parameter is required."]}


def test_task_of_another_users_video_is_not_found(auth_client, other_user):
    video = VideoFactory(user=other_user)

    response = auth_client.get("/api/v1/video/task", {"uuid": str(video.uuid)})

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_task_schedules_a_refresh_for_a_quiet_video_without_waiting(auth_client, user, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    quiet_since = timezone.now() - timezone.timedelta(minutes=10)
    video = VideoFactory(user=user, status="GENERATING", credit_status="HELD", provider_task_id="t-1")
    Video.objects.filter(pk=video.pk).update(heard_at=quiet_since, updated_at=quiet_since)

    response = auth_client.get("/api/v1/video/task", {"uuid": str(video.uuid)})
    auth_client.get("/api/v1/video/task", {"uuid": str(video.uuid)})

    assert response.json()["data"]["status"] == "GENERATING"
    queued = [r for r in default_task_backend.results if r.task.name == "refresh_video"]
    assert [r.args for r in queued] == [[str(video.uuid)]]


def test_task_does_not_refresh_a_video_heard_from_recently(auth_client, user, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    video = VideoFactory(user=user, status="GENERATING", credit_status="HELD", heard_at=timezone.now())

    auth_client.get("/api/v1/video/task", {"uuid": str(video.uuid)})

    assert default_task_backend.results == []


def test_staff_video_list_shows_every_users_videos(staff_client, user, other_user):
    VideoFactory(user=user)
    VideoFactory(user=other_user)

    response = staff_client.get("/api/v1/admin/videos", {"user": other_user.email})

    assert response.status_code == 200
    videos = response.json()["data"]["videos"]
    assert [v["userEmail"] for v in videos] == [other_user.email]


def test_staff_video_list_refuses_non_staff(auth_client):
    response = auth_client.get("/api/v1/admin/videos")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_video_list_requires_a_session(client, db):
    assert client.get("/api/v1/admin/videos").status_code == 401


def test_list_total_follows_generation_and_deletion(auth_client, funded_user):
    from tests.videos.conftest import GENERATE_BODY

    for _ in range(3):
        auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json")
    finished = VideoFactory(user=funded_user)
    auth_client.delete(f"/api/v1/video/{finished.uuid}")

    data = auth_client.get("/api/v1/video/list", {"pageSize": 2}).json()["data"]

    assert (data["total"], data["totalPages"], len(data["videos"])) == (3, 2, 2)
    assert data["total"] == Video.objects.filter(user=funded_user, deleted_at__isnull=True).count()


def test_filtered_list_total_counts_the_matching_videos(auth_client, user):
    VideoFactory.create_batch(2, user=user, status="FAILED", credit_status="RELEASED")
    VideoFactory(user=user)

    data = auth_client.get("/api/v1/video/list", {"status": "FAILED"}).json()["data"]

    assert data["total"] == 2
