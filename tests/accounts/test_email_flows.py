"""Verification and password reset end to end: real SMTP on loopback, the emailed links."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from credits.selectors import balance_of, transactions_for
from tests.accounts.conftest import link_in, path_of
from tests.factories import PASSWORD
from tests.fakes.smtp_server import html_of, text_of
from tests.live import free_port

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a-brand-new-Passphrase-42"
INVALID_KEY = {
    "success": False,
    "error": "This link is invalid, has expired or has already been used.",
    "code": "invalid_key",
}


SIGNUP_PASSWORD = "x7-Quokka-lamp"


def _sign_up(client: APIClient, email: str = "nia@example.com", password: str = SIGNUP_PASSWORD):
    return client.post("/api/v1/auth/signup", {"email": email, "password": password}, format="json")


def _confirm_on_the_page(link: str) -> None:
    """What a person does: open the emailed link, press Confirm."""
    browser = Client()
    page = browser.get(path_of(link))
    assert page.status_code == 200
    confirmed = browser.post(path_of(link))
    assert confirmed.status_code == 302


def test_mandatory_sign_up_emails_a_link_that_verifies_and_grants_the_credits_once(
    mailbox, mandatory, client
):
    response = _sign_up(client)

    assert response.status_code == 202
    assert response.json() == {
        "success": True,
        "data": {"email": "nia@example.com", "verificationSent": True},
    }
    user = User.objects.get(username="nia@example.com")
    assert balance_of(user).available == 0
    (message,) = mailbox.wait_for("nia@example.com")
    assert message["Subject"] == "Kensa: Confirm your email address"
    link = link_in(message, "/accounts/confirm-email/")
    assert link in html_of(message)

    _confirm_on_the_page(link)
    assert Client().post(path_of(link)).status_code == 404  # a used link is dead

    assert balance_of(user).available == 2
    assert len(transactions_for(user, "NEW_USER")) == 1


def test_the_emailed_key_verifies_through_the_api_once(mailbox, mandatory, client):
    _sign_up(client)
    key = (
        link_in(mailbox.wait_for("nia@example.com")[0], "/accounts/confirm-email/")
        .rstrip("/")
        .rsplit("/", 1)[1]
    )

    first = client.post("/api/v1/auth/email/verify", {"key": key}, format="json")
    again = client.post("/api/v1/auth/email/verify", {"key": key}, format="json")

    assert first.status_code == 200
    assert first.json() == {"success": True, "data": {"email": "nia@example.com", "verified": True}}
    assert (again.status_code, again.json()) == (400, INVALID_KEY)
    assert balance_of(User.objects.get(username="nia@example.com")).available == 2


def test_mandatory_sign_in_waits_for_verification(mailbox, mandatory, client):
    _sign_up(client)

    response = client.post(
        "/api/v1/auth/login", {"email": "nia@example.com", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": "Confirm your email address first: open the link we emailed you, or ask for a new one.",
        "code": "email_not_verified",
    }


def test_resend_sends_a_new_link_to_an_unverified_address(mailbox, mandatory, client):
    _sign_up(client)
    mailbox.wait_for("nia@example.com")

    response = client.post("/api/v1/auth/email/resend", {"email": "nia@example.com"}, format="json")

    assert (response.status_code, response.json()) == (200, {"success": True, "data": None})
    messages = mailbox.wait_for("nia@example.com", count=2)
    assert len(messages) == 2
    assert link_in(messages[1], "/accounts/confirm-email/")


def test_optional_verification_shows_in_the_session(mailbox, client):
    _sign_up(client)
    assert client.get("/api/v1/auth/session").json()["data"]["user"]["emailVerified"] is False
    link = link_in(mailbox.wait_for("nia@example.com")[0], "/accounts/confirm-email/")

    _confirm_on_the_page(link)

    assert client.get("/api/v1/auth/session").json()["data"]["user"]["emailVerified"] is True


def _request_reset(email: str) -> None:
    response = APIClient().post("/api/v1/auth/password/reset", {"email": email}, format="json")
    assert (response.status_code, response.json()) == (200, {"success": True, "data": None})


def _reset_key(mailbox, email: str, count: int = 1) -> str:
    message = mailbox.wait_for(email, count=count)[-1]
    assert message["Subject"] == "Kensa: Reset your password"
    assert "Choose a new password" in html_of(message)
    return link_in(message, "/accounts/password/reset/key/").rstrip("/").rsplit("/", 1)[1]


def _login(email: str, password: str) -> int:
    return (
        APIClient()
        .post("/api/v1/auth/login", {"email": email, "password": password}, format="json")
        .status_code
    )


def test_reset_link_sets_a_new_password_once_and_the_old_one_stops_working(mailbox, user):
    _request_reset("Alice@Example.com")
    key = _reset_key(mailbox, "alice@example.com")
    client = APIClient()

    response = client.post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": NEW_PASSWORD}, format="json"
    )
    reused = APIClient().post(
        "/api/v1/auth/password/reset/confirm",
        {"key": key, "password": "another-Passphrase-77"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["user"] == {
        "id": user.pk,
        "email": "alice@example.com",
        "name": "Alice",
        "isStaff": False,
        "emailVerified": True,  # the link proved the inbox
    }
    assert client.get("/api/v1/auth/session").status_code == 200  # signed in
    assert (reused.status_code, reused.json()) == (400, INVALID_KEY)
    assert _login("alice@example.com", NEW_PASSWORD) == 200
    assert _login("alice@example.com", PASSWORD) == 400


def test_reset_link_works_on_its_page_too(mailbox, user):
    _request_reset("alice@example.com")
    link = link_in(mailbox.wait_for("alice@example.com")[0], "/accounts/password/reset/key/")
    browser = Client()
    form_page = browser.get(path_of(link), follow=True)
    assert form_page.status_code == 200

    done = browser.post(
        form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert _login("alice@example.com", NEW_PASSWORD) == 200


def test_an_expired_reset_link_is_refused(mailbox, user, settings):
    _request_reset("alice@example.com")
    key = _reset_key(mailbox, "alice@example.com")
    settings.PASSWORD_RESET_TIMEOUT = 1
    time.sleep(2.1)  # the token carries its creation time in whole seconds

    response = APIClient().post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": NEW_PASSWORD}, format="json"
    )

    assert (response.status_code, response.json()) == (400, INVALID_KEY)
    assert _login("alice@example.com", PASSWORD) == 200


def test_reset_for_an_unknown_address_answers_alike_and_says_so_by_email(mailbox, db):
    _request_reset("nobody@example.com")

    (message,) = mailbox.wait_for("nobody@example.com")
    assert message["Subject"] == "Kensa: Password reset request"
    assert "there is no Kensa account with it" in text_of(message)


def test_reset_confirm_refuses_a_weak_password_and_keeps_the_link_alive(mailbox, user):
    _request_reset("alice@example.com")
    key = _reset_key(mailbox, "alice@example.com")

    weak = APIClient().post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": "123"}, format="json"
    )
    strong = APIClient().post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": NEW_PASSWORD}, format="json"
    )

    assert weak.status_code == 400
    assert weak.json()["code"] == "invalid_input"
    assert set(weak.json()["fields"]) == {"password"}
    assert strong.status_code == 200


@pytest.fixture
def mail_server_down(settings):
    """Account emails go to a loopback port nobody listens on."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "use_tls": False, "timeout": 2},
        }
    }


def test_sign_up_succeeds_and_logs_when_the_mail_server_is_down(mail_server_down, client, caplog):
    response = _sign_up(client)

    assert response.status_code == 201, response.content
    assert User.objects.filter(email="nia@example.com").exists()
    assert "could not send the email_confirmation_signup email" in caplog.text


def test_reset_answers_alike_when_the_mail_server_is_down(mail_server_down, user, client):
    response = client.post("/api/v1/auth/password/reset", {"email": user.email}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is True
