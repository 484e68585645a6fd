from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from credits.selectors import balance_of
from tests.factories import UserFactory, VideoFactory
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video

CHANGELIST = "/admin/videos/video/"


@pytest.fixture
def admin_client(client, db):
    superuser = UserFactory(email="root@example.com", username="root@example.com", is_staff=True)
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    return client


def test_video_changelist_filters_by_status_model_and_provider(admin_client, user):
    wanted = VideoFactory(user=user, status="FAILED", credit_status="RELEASED", model="wan-2-6")
    VideoFactory(user=user)

    response = admin_client.get(CHANGELIST, {"status": "FAILED", "model": "wan-2-6", "provider": "demo"})

    assert response.status_code == 200
    assert [v.pk for v in response.context["cl"].result_list] == [wanted.pk]


@pytest.mark.parametrize("term", ["uuid", "email", "prompt"])
def test_video_changelist_searches_by_uuid_email_and_prompt(admin_client, user, other_user, term):
    wanted = VideoFactory(user=user, prompt="a lighthouse at dusk")
    VideoFactory(user=other_user, prompt="a cat")
    query = {"uuid": str(wanted.uuid), "email": user.email, "prompt": "lighthouse"}[term]

    response = admin_client.get(CHANGELIST, {"q": query})

    assert [v.pk for v in response.context["cl"].result_list] == [wanted.pk]


def test_fail_and_release_action_fails_the_video_and_returns_the_credits(
    admin_client, auth_client, funded_user
):
    uuid = auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json").json()["data"]["uuid"]

    response = admin_client.post(CHANGELIST, {"action": "fail_and_release", "_selected_action": [uuid]})

    assert response.status_code == 302
    video = Video.objects.get(pk=uuid)
    assert (video.status, video.credit_status) == ("FAILED", "RELEASED")
    assert "Stopped by staff" in video.error_message
    assert balance_of(funded_user).available == 100
    assert LogEntry.objects.filter(object_id=uuid, change_message__contains="released").exists()


def test_refresh_action_queues_a_provider_refresh(admin_client, user, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    video = VideoFactory(user=user, status="GENERATING", credit_status="HELD", provider_task_id="t-9")

    admin_client.post(CHANGELIST, {"action": "refresh_from_provider", "_selected_action": [str(video.pk)]})

    assert [r.args for r in default_task_backend.results] == [[str(video.pk)]]
    assert LogEntry.objects.filter(object_id=str(video.pk)).exists()


def test_video_admin_refuses_non_staff(auth_client):
    response = auth_client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
