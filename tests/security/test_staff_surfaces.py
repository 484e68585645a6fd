"""Staff-only surfaces refuse everyone else, and staff actions leave a record (docs/api.md)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from credits.models import CreditTransaction
from tests.factories import UserFactory
from tests.security.conftest import assert_error
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video

pytestmark = pytest.mark.django_db

ADJUST = "/api/v1/admin/credits/adjust"
STAFF_VIDEOS = "/api/v1/admin/videos"


def _adjust(client, **overrides):
    body = {"user": "bob@example.com", "credits": 5, "remark": "goodwill", **overrides}
    return client.post(ADJUST, body, format="json")


# --- Django admin -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/videos/video/", "/admin/credits/credittransaction/"])
def test_admin_sends_a_signed_in_non_staff_user_to_the_login_page(user, path):
    browser = Client()
    browser.force_login(user)

    response = browser.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={path}")


@pytest.mark.parametrize("path", ["/admin/", "/admin/videos/video/"])
def test_admin_sends_an_anonymous_visitor_to_the_login_page(db, path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_login_refuses_a_non_staff_users_password(user):
    from tests.factories import PASSWORD

    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200  # the form again, with an error
    assert browser.get("/admin/").status_code == 302


# --- staff API --------------------------------------------------------------------------


def test_adjust_refuses_anonymous_with_401(client, other_user):
    assert_error(_adjust(client), 401, "not_authenticated")
    assert not CreditTransaction.objects.exists()


def test_adjust_refuses_non_staff_with_403(auth_client, other_user):
    assert_error(_adjust(auth_client), 403, "permission_denied")
    assert not CreditTransaction.objects.exists()


def test_staff_videos_refuses_anonymous_with_401(client):
    assert_error(client.get(STAFF_VIDEOS), 401, "not_authenticated")


def test_staff_videos_refuses_non_staff_with_403(auth_client, other_user):
    response = auth_client.get(STAFF_VIDEOS)

    assert_error(response, 403, "permission_denied")
    assert "bob@example.com" not in response.text


def test_adjust_refuses_staff_without_the_adjust_permission_with_403(staff_client, other_user):
    assert_error(_adjust(staff_client), 403, "permission_denied")
    assert not CreditTransaction.objects.exists()


def test_adjust_records_the_staff_author_in_the_ledger(adjuster_client, adjuster, other_user):
    response = _adjust(adjuster_client)

    assert response.status_code == 200
    entry = CreditTransaction.objects.get(user=other_user)
    assert (entry.trans_type, entry.credits, entry.remark, entry.actor) == (
        "SYSTEM_ADJUST",
        5,
        "goodwill",
        adjuster,
    )


def test_a_deduction_also_records_the_staff_author(adjuster_client, adjuster, other_user):
    _adjust(adjuster_client, credits=5)

    assert _adjust(adjuster_client, credits=-2, remark="chargeback").status_code == 200

    entry = CreditTransaction.objects.filter(user=other_user).latest("id")
    assert (entry.credits, entry.actor) == (-2, adjuster)


# --- video admin actions leave a LogEntry -----------------------------------------------


@pytest.fixture
def admin_browser(db):
    admin = UserFactory(
        email="root@example.com", username="root@example.com", is_staff=True, is_superuser=True
    )
    browser = Client()
    browser.force_login(admin)
    browser.admin = admin
    return browser


@pytest.fixture
def held_video(settings, auth_client, user, media_root):
    """A PENDING video holding credits, made the way users make them."""
    from tests.factories import give_credits

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    give_credits(user, 10)
    response = auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json")
    assert response.status_code == 202
    return Video.objects.get(pk=response.json()["data"]["uuid"])


def _run_action(browser, action, video):
    return browser.post("/admin/videos/video/", {"action": action, "_selected_action": [str(video.uuid)]})


def _assert_logged(browser, video, started, words):
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Video), object_id=str(video.uuid)
    )
    assert entries.count() == 1, "the admin action left no LogEntry (who, when, what)"
    entry = entries.get()
    assert entry.user == browser.admin
    assert entry.action_flag == CHANGE
    assert started <= entry.action_time <= timezone.now()
    assert all(word in entry.get_change_message().lower() for word in words), entry.get_change_message()


def test_fail_and_release_fails_the_video(admin_browser, held_video):
    response = _run_action(admin_browser, "fail_and_release", held_video)

    assert response.status_code == 302
    held_video.refresh_from_db()
    assert (held_video.status, held_video.credit_status) == ("FAILED", "RELEASED")


def test_fail_and_release_leaves_a_log_entry(admin_browser, held_video):
    started = timezone.now()

    _run_action(admin_browser, "fail_and_release", held_video)

    _assert_logged(admin_browser, held_video, started, ["fail", "release"])


def test_refresh_from_provider_leaves_a_log_entry(admin_browser, held_video):
    started = timezone.now()

    response = _run_action(admin_browser, "refresh_from_provider", held_video)

    assert response.status_code == 302
    _assert_logged(admin_browser, held_video, started, ["refresh"])


def test_fail_and_release_of_a_finished_video_changes_and_logs_nothing(admin_browser, own_video):
    _run_action(admin_browser, "fail_and_release", own_video)

    own_video.refresh_from_db()
    assert own_video.status == "COMPLETED"
    assert not LogEntry.objects.exists()
