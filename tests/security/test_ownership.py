"""Another user's video is indistinguishable from a missing one (docs/api.md)."""

from __future__ import annotations

import uuid

import pytest

from tests.security.conftest import assert_error
from videos.models import Video

pytestmark = pytest.mark.django_db


def _get_detail(client, video_uuid):
    return client.get(f"/api/v1/video/{video_uuid}")


def _delete(client, video_uuid):
    return client.delete(f"/api/v1/video/{video_uuid}")


def _task_by_uuid(client, video_uuid):
    return client.get("/api/v1/video/task", {"uuid": str(video_uuid)})


def _task_by_task_id(client, video_uuid):
    return client.get("/api/v1/video/task", {"taskId": str(video_uuid)})


ENDPOINTS = {
    "GET video/{uuid}": _get_detail,
    "DELETE video/{uuid}": _delete,
    "GET video/task?uuid=": _task_by_uuid,
    "GET video/task?taskId=": _task_by_task_id,
}


def _snapshot(video: Video) -> dict:
    return {f.attname: getattr(video, f.attname) for f in Video._meta.concrete_fields}


@pytest.mark.parametrize("call", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_another_users_video_answers_exactly_like_a_missing_one(auth_client, others_video, call):
    missing = call(auth_client, uuid.uuid4())

    response = call(auth_client, others_video.uuid)

    assert_error(missing, 404, "not_found")
    assert response.status_code == 404
    assert response.content == missing.content


@pytest.mark.parametrize("call", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_another_users_video_is_left_unchanged(auth_client, other_client, others_video, call):
    before = _snapshot(others_video)

    call(auth_client, others_video.uuid)

    others_video.refresh_from_db()
    assert _snapshot(others_video) == before
    assert others_video.deleted_at is None
    assert other_client.get(f"/api/v1/video/{others_video.uuid}").status_code == 200


@pytest.mark.parametrize("call", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_own_video_is_found(auth_client, own_video, call):
    """The control: the same calls do reach one's own video (the 404s above are not a typo)."""
    assert call(auth_client, own_video.uuid).status_code == 200


def test_staff_session_does_not_open_another_users_video_on_the_user_endpoints(staff_client, others_video):
    missing = staff_client.get(f"/api/v1/video/{uuid.uuid4()}")

    response = staff_client.get(f"/api/v1/video/{others_video.uuid}")

    assert response.status_code == 404
    assert response.content == missing.content
