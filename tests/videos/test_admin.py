from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from credits.selectors import balance_of
from tests.factories import UserFactory, VideoFactory
from tests.videos.conftest import GENERATE_BODY
from videos import storage
from videos.models import IdempotencyRecord, Video

CHANGELIST = "/admin/videos/video/"
FAVICON = "/static/kensa/favicon.svg"


def change_page(video: Video) -> str:
    return f"{CHANGELIST}{video.pk}/change/"


def stored_result(video: Video) -> Video:
    """Give ``video`` a result file and thumbnail really present in storage."""
    video.video_file = default_storage.save(storage.video_name(str(video.pk)), ContentFile(b"mp4"))
    video.thumbnail_file = default_storage.save(storage.thumbnail_name(str(video.pk)), ContentFile(b"jpg"))
    video.save()
    return video


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


def test_video_changelist_filters_deleted_videos(admin_client, user):
    deleted = VideoFactory(user=user, deleted_at=timezone.now())
    kept = VideoFactory(user=user)

    shown = {
        value: [v.pk for v in admin_client.get(CHANGELIST, {"deleted": value}).context["cl"].result_list]
        for value in ("yes", "no")
    }

    assert shown == {"yes": [deleted.pk], "no": [kept.pk]}


def test_video_changelist_marks_a_deleted_video_as_deleted(admin_client, user):
    VideoFactory(user=user, deleted_at=timezone.now())

    content = admin_client.get(CHANGELIST).content.decode()

    assert '<td class="field-deleted"><img src="/static/admin/img/icon-yes.svg" alt="True">' in content


def test_video_changelist_marks_a_kept_video_as_not_deleted(admin_client, user):
    VideoFactory(user=user)

    content = admin_client.get(CHANGELIST).content.decode()

    assert '<td class="field-deleted"><img src="/static/admin/img/icon-no.svg" alt="False">' in content


def test_video_change_page_links_and_previews_a_stored_result(admin_client, user, media_root):
    video = stored_result(VideoFactory(user=user))

    content = admin_client.get(change_page(video)).content.decode()

    assert f'<a href="{storage.url(video.video_file)}">' in content
    assert f'<video src="{storage.url(video.video_file)}"' in content
    assert f'<img src="{storage.url(video.thumbnail_file)}"' in content


def test_deleted_video_change_page_offers_no_file(admin_client, user, media_root):
    video = stored_result(VideoFactory(user=user))
    Video.objects.filter(pk=video.pk).update(deleted_at=timezone.now())

    content = admin_client.get(change_page(video)).content.decode()

    assert storage.url(video.video_file) not in content
    assert storage.url(video.thumbnail_file) not in content
    assert "<video" not in content
    assert "Deleted by its owner" in content


def test_video_change_page_offers_no_file_missing_from_storage(admin_client, user, media_root):
    video = stored_result(VideoFactory(user=user))
    default_storage.delete(video.video_file)

    content = admin_client.get(change_page(video)).content.decode()

    assert storage.url(video.video_file) not in content
    assert "<video" not in content
    assert f"{video.video_file} (missing from storage)" in content


def test_video_change_page_has_no_save_buttons(admin_client, user):
    video = VideoFactory(user=user)

    content = admin_client.get(change_page(video)).content.decode()

    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_addanother"' not in content


def test_video_change_page_refuses_a_save(admin_client, user):
    video = VideoFactory(user=user)
    updated_at = Video.objects.get(pk=video.pk).updated_at

    response = admin_client.post(change_page(video), {"_save": "Save"})

    assert response.status_code == 403
    assert Video.objects.get(pk=video.pk).updated_at == updated_at


def test_fail_and_release_action_runs_from_the_change_page(admin_client, auth_client, funded_user):
    uuid = auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json").json()["data"]["uuid"]

    response = admin_client.post(
        f"{CHANGELIST}{uuid}/change/", {"CHANGE_FORM-action": "fail_and_release", "_selected_action": [uuid]}
    )

    assert response.status_code == 302
    assert Video.objects.get(pk=uuid).status == "FAILED"
    assert balance_of(funded_user).available == 100


def test_staff_who_may_only_view_videos_cannot_fail_them(staff_client, staff_user, user):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_video"))
    video = VideoFactory(user=user, status="GENERATING", credit_status="HELD")

    page = staff_client.get(CHANGELIST).content.decode()
    staff_client.post(CHANGELIST, {"action": "fail_and_release", "_selected_action": [str(video.pk)]})

    assert "fail_and_release" not in page
    assert Video.objects.get(pk=video.pk).status == "GENERATING"


def test_video_changelist_has_a_search_box_and_filters(admin_client, user):
    VideoFactory(user=user)

    response = admin_client.get(CHANGELIST)

    content = response.content.decode()
    assert 'id="searchbar"' in content
    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert {"status", "model", "provider", "deleted by owner", "created at"} <= set(titles)


def test_video_changelist_links_the_user_to_their_change_page(admin_client, user):
    VideoFactory(user=user)

    content = admin_client.get(CHANGELIST).content.decode()

    assert f'<a href="/admin/auth/user/{user.pk}/change/" title="{user.email}">' in content


def test_video_changelist_shows_a_short_uuid_a_readable_time_and_a_short_prompt(admin_client, user):
    prompt = "a slow pan across a long green valley at dawn, mist rising from the river"
    video = VideoFactory(user=user, prompt=prompt)
    created = datetime(timezone.now().year, 11, 30, 17, 22, tzinfo=timezone.get_current_timezone())
    Video.objects.filter(pk=video.pk).update(created_at=created)

    content = admin_client.get(CHANGELIST).content.decode()

    assert f">{str(video.uuid)[:8]}</span>" in content
    assert f">{video.uuid}<" not in content
    assert ">30 Nov 17:22</span>" in content
    assert f'<span title="{prompt}">a slow pan across a long green valley a…</span>' in content


def test_idempotency_record_change_page_has_no_save_buttons(admin_client, user):
    video = VideoFactory(user=user)
    record = IdempotencyRecord.objects.create(
        user=user, key="k-1", request_hash="h", video=video, response_status=200, response_body={}
    )

    content = admin_client.get(f"/admin/videos/idempotencyrecord/{record.pk}/change/").content.decode()

    assert "k-1" in content
    assert 'name="_save"' not in content


# The admin site as a whole (kensa/templates, kensa/static).


def test_admin_pages_link_the_favicon(admin_client):
    content = admin_client.get("/admin/").content.decode()

    assert f'<link rel="icon" href="{FAVICON}" type="image/svg+xml">' in content


def test_the_favicon_is_served_as_a_static_file(settings):
    # As after collectstatic: whitenoise serves the apps' static files (read when it starts).
    settings.WHITENOISE_USE_FINDERS = True

    response = Client().get(FAVICON)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)
