"""/admin/login/ is rate limited like the API login: per address and per username, with the
same settings and counters; a refused attempt never reaches the password check."""

from __future__ import annotations

import pytest
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"
REFUSAL_TEXT = "Too many requests; try again in"


@pytest.fixture
def password_checks():
    """Every time Django's authenticate() ran a password check, signed in or failed."""
    checks: list[str] = []

    def failed(sender, credentials, **kwargs):
        checks.append("failed")

    def signed_in(sender, user, **kwargs):
        checks.append("signed in")

    user_login_failed.connect(failed)
    user_logged_in.connect(signed_in)
    yield checks
    user_login_failed.disconnect(failed)
    user_logged_in.disconnect(signed_in)


def _attempt(username: str, password: str, ip: str = "203.0.113.7") -> tuple[Client, object]:
    browser = Client(REMOTE_ADDR=ip)
    return browser, browser.post(ADMIN_LOGIN, {"username": username, "password": password})


def _is_in_admin(browser: Client) -> bool:
    return browser.get("/admin/").status_code == 200


def test_admin_login_over_the_per_username_limit_answers_429_without_checking_the_password(
    settings, staff_user, password_checks
):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    for n in range(2):  # from different addresses: the username is what is counted
        assert _attempt(staff_user.username, "wrong", ip=f"203.0.113.{n}")[1].status_code == 200
    assert password_checks == ["failed", "failed"]

    browser, response = _attempt(staff_user.username, PASSWORD, ip="203.0.113.99")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.templates[0].name == "admin/login.html"
    assert REFUSAL_TEXT in response.text
    assert 'name="password"' in response.text  # the login page, form and all
    assert password_checks == ["failed", "failed"]  # the right password was never checked
    assert not _is_in_admin(browser)


def test_admin_login_over_the_per_address_limit_answers_429(settings, staff_user, password_checks):
    settings.RATELIMIT_AUTH_IP = "2/h"
    for n in range(2):
        assert _attempt(f"nobody{n}@example.com", "wrong")[1].status_code == 200

    browser, response = _attempt(staff_user.username, PASSWORD)

    assert response.status_code == 429
    assert REFUSAL_TEXT in response.text
    assert password_checks == ["failed", "failed"]
    assert not _is_in_admin(browser)


def test_admin_login_under_the_limits_signs_staff_in(settings, staff_user):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    _attempt(staff_user.username, "wrong")

    browser, response = _attempt(staff_user.username, PASSWORD)

    assert response.status_code == 302
    assert _is_in_admin(browser)


def test_admin_login_shares_the_allowance_with_the_api_login(settings, client, staff_user):
    settings.RATELIMIT_LOGIN_EMAIL = "2/h"
    for _ in range(2):
        client.post("/api/v1/auth/login", {"email": staff_user.email, "password": "wrong"}, format="json")

    browser, response = _attempt(staff_user.username.upper(), PASSWORD)

    assert response.status_code == 429
    assert not _is_in_admin(browser)


def test_admin_login_page_itself_is_not_counted(settings, db):
    settings.RATELIMIT_AUTH_IP = "1/h"

    responses = [Client(REMOTE_ADDR="203.0.113.7").get(ADMIN_LOGIN) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]


@pytest.mark.usefixtures("dead_cache")
def test_admin_login_refuses_with_503_when_the_rate_limit_cache_is_down(staff_user, password_checks):
    browser, response = _attempt(staff_user.username, PASSWORD)

    assert response.status_code == 503
    assert "Sign-in is temporarily unavailable; please try again in a minute." in response.text
    assert password_checks == []
    assert not _is_in_admin(browser)
