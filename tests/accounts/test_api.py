"""The session API (accounts.api): csrf, signup, login, logout, session."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.middleware.csrf import _does_token_match

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()

NOT_AUTHENTICATED = {
    "success": False,
    "error": "Authentication required: sign in first.",
    "code": "not_authenticated",
}
INVALID_CREDENTIALS = {
    "success": False,
    "error": "The email or password is not correct.",
    "code": "invalid_credentials",
}
CREDIT_KEYS = {"available", "frozen", "used", "total"}


def _assert_credits_block(credits: dict) -> None:
    # Amounts belong to the credits app's tests; here only the shape is the contract.
    assert set(credits) == CREDIT_KEYS
    assert all(isinstance(value, int) and value >= 0 for value in credits.values())


def test_csrf_sets_cookie_and_returns_matching_token(client):
    response = client.get("/api/v1/auth/csrf")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    assert set(body["data"]) == {"csrfToken"}
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"
    assert _does_token_match(body["data"]["csrfToken"], cookie.value)


def test_signup_creates_user_and_logs_in(client):
    response = client.post(
        "/api/v1/auth/signup",
        {"email": "New.Person@Example.com", "password": "x7-Quokka-lamp", "name": "Nia"},
        format="json",
    )

    assert response.status_code == 201
    created = User.objects.get(email="new.person@example.com")
    body = response.json()
    credits = body["data"].pop("credits")
    assert body == {
        "success": True,
        "data": {
            "user": {
                "id": created.pk,
                "email": "new.person@example.com",
                "name": "Nia",
                "isStaff": False,
                "emailVerified": False,
            }
        },
    }
    _assert_credits_block(credits)
    assert created.check_password("x7-Quokka-lamp")
    assert client.get("/api/v1/auth/session").status_code == 200


def test_signup_without_name_leaves_name_empty(client):
    response = client.post(
        "/api/v1/auth/signup", {"email": "plain@example.com", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["user"]["name"] == ""


def test_signup_with_taken_email_answers_400(client, user):
    response = client.post(
        "/api/v1/auth/signup", {"email": "ALICE@example.com", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check email.",
        "code": "invalid_input",
        "fields": {"email": ["An account with this email already exists."]},
    }
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_signup_with_weak_password_answers_400_on_password(client):
    response = client.post(
        "/api/v1/auth/signup", {"email": "weak@example.com", "password": "12345"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check password.",
        "code": "invalid_input",
        "fields": {
            "password": [
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
                "This password is entirely numeric.",
            ]
        },
    }
    assert not User.objects.filter(email="weak@example.com").exists()


def test_login_starts_session(client, user):
    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    credits = body["data"].pop("credits")
    assert body == {
        "success": True,
        "data": {
            "user": {
                "id": user.pk,
                "email": "alice@example.com",
                "name": "Alice",
                "isStaff": False,
                "emailVerified": False,
            }
        },
    }
    _assert_credits_block(credits)
    assert client.get("/api/v1/auth/session").json()["data"]["user"]["id"] == user.pk


def test_login_ignores_email_case_and_surrounding_spaces(client, user):
    response = client.post(
        "/api/v1/auth/login", {"email": "  Alice@Example.COM ", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


def test_login_with_wrong_password_answers_400(client, user):
    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": "not-the-password"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == INVALID_CREDENTIALS
    assert client.get("/api/v1/auth/session").status_code == 401


def test_login_with_unknown_email_answers_same_body_as_wrong_password(client, user):
    wrong_password = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": "not-the-password"}, format="json"
    )
    unknown_email = client.post(
        "/api/v1/auth/login", {"email": "nobody@example.com", "password": "not-the-password"}, format="json"
    )

    assert unknown_email.status_code == wrong_password.status_code == 400
    assert unknown_email.content == wrong_password.content
    assert unknown_email.json() == INVALID_CREDENTIALS


def test_login_refuses_inactive_user(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == INVALID_CREDENTIALS


def test_logout_ends_session(auth_client):
    response = auth_client.post("/api/v1/auth/logout", {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    after = auth_client.get("/api/v1/auth/session")
    assert after.status_code == 401
    assert after.json() == NOT_AUTHENTICATED


def test_session_describes_signed_in_user(auth_client, user):
    response = auth_client.get("/api/v1/auth/session")

    assert response.status_code == 200
    body = response.json()
    credits = body["data"].pop("credits")
    assert body == {
        "success": True,
        "data": {
            "user": {
                "id": user.pk,
                "email": "alice@example.com",
                "name": "Alice",
                "isStaff": False,
                "emailVerified": False,
            }
        },
    }
    _assert_credits_block(credits)


def test_session_reports_staff_flag(staff_client, staff_user):
    response = staff_client.get("/api/v1/auth/session")

    assert response.status_code == 200
    assert response.json()["data"]["user"] == {
        "id": staff_user.pk,
        "email": "staff@example.com",
        "name": "Sam",
        "isStaff": True,
        "emailVerified": False,
    }


def test_session_answers_401_when_signed_out(client):
    response = client.get("/api/v1/auth/session")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Session realm="api"'
    assert response.json() == NOT_AUTHENTICATED


def test_signup_grants_the_new_user_gift(client, settings):
    settings.NEW_USER_CREDITS = 3

    response = client.post(
        "/api/v1/auth/signup", {"email": "nia@example.com", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["credits"] == {"available": 3, "frozen": 0, "used": 0, "total": 3}
