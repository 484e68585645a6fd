"""Staff see verification state and social accounts; they can resend a link or a reset."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.accounts.conftest import link_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser():
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    return browser


def _act(browser: Client, action: str, user) -> None:
    response = browser.post("/admin/auth/user/", {"action": action, "_selected_action": [user.pk]})
    assert response.status_code == 302


def test_the_user_page_shows_addresses_and_social_accounts(admin_browser, user):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    SocialAccount.objects.create(user=user, provider="github", uid="4242")

    page = admin_browser.get(f"/admin/auth/user/{user.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "alice@example.com" in html and "4242" in html and "github" in html


def test_the_user_list_filters_by_verification(admin_browser, user, other_user):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    page = admin_browser.get("/admin/auth/user/?email_verified=no")

    assert page.status_code == 200
    assert "bob@example.com" in page.content.decode()
    assert "alice@example.com" not in page.content.decode()


def test_staff_resend_a_verification_link(admin_browser, user, mailbox):
    _act(admin_browser, "resend_verification", user)

    (message,) = mailbox.wait_for("alice@example.com")
    assert link_in(message, "/accounts/confirm-email/")


def test_staff_send_a_password_reset(admin_browser, user, mailbox):
    _act(admin_browser, "send_password_reset", user)

    (message,) = mailbox.wait_for("alice@example.com")
    assert link_in(message, "/accounts/password/reset/key/")


def test_the_user_list_reads_verification_in_the_list_query(admin_browser, user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_browser.get("/admin/auth/user/").status_code == 200
        return len(captured)

    queries()  # the session's first request does work of its own
    few = queries()
    for n in range(5):
        EmailAddress.objects.create(user=UserFactory(), email=f"more{n}@example.com", verified=True)

    assert queries() == few
