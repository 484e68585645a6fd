"""Sessions (device, address, last seen), ending the others, and changing the password."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Safari/604.1"
)


def _signed_in(user_agent: str) -> APIClient:
    client = APIClient(HTTP_USER_AGENT=user_agent)
    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/session").status_code == 200
    return client


def test_sessions_lists_each_device_with_address_and_last_seen(user):
    laptop, phone = _signed_in(FIREFOX), _signed_in(SAFARI)

    response = laptop.get("/api/v1/auth/sessions")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    sessions = body["data"]["sessions"]
    assert sorted((s["device"], s["ip"], s["current"]) for s in sessions) == [
        ("Firefox on Linux", "127.0.0.1", True),
        ("Safari on iOS", "127.0.0.1", False),
    ]
    assert all(s["lastSeenAt"].endswith("Z") and s["createdAt"].endswith("Z") for s in sessions)
    assert {s["userAgent"] for s in sessions} == {FIREFOX, SAFARI}
    assert phone.get("/api/v1/auth/session").status_code == 200


def test_revoke_others_ends_every_session_but_this_one(user):
    laptop, phone = _signed_in(FIREFOX), _signed_in(SAFARI)

    response = laptop.post("/api/v1/auth/sessions/revoke-others")

    assert (response.status_code, response.json()) == (200, {"success": True, "data": {"revoked": 1}})
    assert phone.get("/api/v1/auth/session").status_code == 401
    assert laptop.get("/api/v1/auth/session").status_code == 200
    assert [s["current"] for s in laptop.get("/api/v1/auth/sessions").json()["data"]["sessions"]] == [True]


def test_changing_the_password_ends_the_other_sessions(user):
    laptop, phone = _signed_in(FIREFOX), _signed_in(SAFARI)

    response = laptop.post(
        "/api/v1/auth/password/change",
        {"currentPassword": PASSWORD, "newPassword": "a-brand-new-Passphrase-42"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["user"]["email"] == "alice@example.com"
    assert laptop.get("/api/v1/auth/session").status_code == 200
    assert phone.get("/api/v1/auth/session").status_code == 401
    user.refresh_from_db()
    assert user.check_password("a-brand-new-Passphrase-42")


def test_changing_the_password_needs_the_current_one(user):
    laptop = _signed_in(FIREFOX)

    response = laptop.post(
        "/api/v1/auth/password/change",
        {"currentPassword": "wrong-one", "newPassword": "a-brand-new-Passphrase-42"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check currentPassword.",
        "code": "invalid_input",
        "fields": {"currentPassword": ["The password is not correct."]},
    }
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
