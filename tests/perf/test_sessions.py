"""Signed-in reads without PostgreSQL for the session and the user (kensa.sessions)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import PASSWORD, VideoFactory
from tests.security.conftest import dead_cache  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/video/list"


def _signed_in(user) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return client


def _same_session(client: APIClient) -> APIClient:
    other = APIClient()
    other.cookies["sessionid"] = client.cookies["sessionid"].value
    return other


def test_signed_in_list_with_warm_session_cache_runs_two_queries(user):
    VideoFactory.create_batch(3, user=user)
    client = _signed_in(user)
    assert client.get(LIST).status_code == 200  # warms the session and user caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["data"]["total"] == 3 and len(body["data"]["videos"]) == 3
    sqls = [q["sql"] for q in captured.captured_queries]
    assert len(sqls) <= 2, sqls
    assert not any("django_session" in sql or "auth_user" in sql or "usersession" in sql for sql in sqls)


def test_a_cold_session_cache_reads_session_and_user_from_the_database(user):
    """The counterpart of the warm test: the two saved queries are really the cache's doing."""
    client = _signed_in(user)
    from tests.conftest import _clear_cache

    _clear_cache()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    sqls = " ".join(q["sql"] for q in captured.captured_queries)
    assert "django_session" in sqls and "auth_user" in sqls


def test_logout_ends_the_session_everywhere(user):
    client = _signed_in(user)
    elsewhere = _same_session(client)
    assert elsewhere.get(LIST).status_code == 200  # cached now, in session and user caches
    assert client.post("/api/v1/auth/logout").status_code == 200
    response = elsewhere.get(LIST)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_password_change_ends_other_sessions_despite_the_cached_user(user):
    client = _signed_in(user)
    assert client.get(LIST).status_code == 200  # the user row is cached now
    user.set_password("a-brand-new-password-42")
    user.save()
    assert client.get(LIST).status_code == 401


def test_deactivating_a_user_ends_their_cached_sessions(user):
    client = _signed_in(user)
    assert client.get(LIST).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(LIST).status_code == 401


def test_reads_keep_working_when_the_cache_goes_down(user, settings, request):
    client = _signed_in(user)
    assert client.get(LIST).status_code == 200
    request.getfixturevalue("dead_cache")
    response = client.get(LIST)
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True


def test_sign_in_read_and_logout_work_with_the_cache_down(user, dead_cache, settings):  # noqa: F811
    # The login rate limits refuse without the cache by design (503: tested in tests/security);
    # here the session store and the user lookup are what is checked.
    settings.RATELIMIT_ENABLE = False
    client = _signed_in(user)
    elsewhere = _same_session(client)
    assert client.get(LIST).status_code == 200
    assert elsewhere.get(LIST).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 200
    assert elsewhere.get(LIST).status_code == 401


def test_reads_with_a_warm_cache_do_not_write_the_session_activity_each_time(user):
    from allauth.usersessions.models import UserSession

    client = _signed_in(user)
    client.get(LIST)
    seen = UserSession.objects.get(user=user).last_seen_at
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    assert UserSession.objects.get(user=user).last_seen_at == seen


def test_session_activity_is_recorded_again_after_its_period(user, settings, monkeypatch):
    from allauth.usersessions.models import UserSession

    from kensa import sessions
    from tests.conftest import _clear_cache

    client = _signed_in(user)
    client.get(LIST)
    seen = UserSession.objects.get(user=user).last_seen_at
    # The period is over: the cache's key has expired, and so has this process's memory of it.
    _clear_cache()
    later = sessions._clock() + settings.USERSESSIONS_ACTIVITY_SECONDS + 1
    monkeypatch.setattr(sessions, "_clock", lambda: later)
    client.get(LIST)
    assert UserSession.objects.get(user=user).last_seen_at > seen


def test_a_session_this_process_saw_within_its_period_does_not_ask_the_cache(user, monkeypatch):
    from kensa import sessions

    client = _signed_in(user)
    client.get(LIST)
    asked: list[str] = []
    cache = sessions._user_cache()
    real_add = cache.add

    def counting_add(key, *args, **kwargs):
        if key.startswith(sessions.ACTIVITY_KEY_PREFIX):
            asked.append(key)
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", counting_add)
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    assert asked == []
