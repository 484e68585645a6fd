"""When Redis is unreachable: reads, generate and callbacks are served (fail open);
sign-up and login refuse with 503 ``rate_limit_unavailable`` (fail closed)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD
from tests.security.conftest import assert_error
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dead_cache")]

User = get_user_model()

UNAVAILABLE = {
    "success": False,
    "error": "Sign-in is temporarily unavailable; please try again in a minute.",
    "code": "rate_limit_unavailable",
}


def test_reads_are_served(auth_client, user):
    response = auth_client.get("/api/v1/video/list")

    assert response.status_code == 200
    assert response.json()["success"] is True


def test_session_is_served(auth_client, user):
    assert auth_client.get("/api/v1/auth/session").status_code == 200


def test_staff_reads_are_served(staff_client):
    assert staff_client.get("/api/v1/admin/videos").status_code == 200


def test_generate_is_served(auth_client, funded_user):
    response = auth_client.post("/api/v1/video/generate", GENERATE_BODY, format="json")

    assert response.status_code == 202
    assert Video.objects.filter(user=funded_user).count() == 1


def test_callbacks_are_served_and_judged_by_their_signature(client):
    response = client.post(
        "/api/v1/video/callback/evolink?video=x&ts=1&sig=bad", b"{}", content_type="application/json"
    )

    assert_error(response, 401, "invalid_signature")
    assert WebhookDelivery.objects.count() == 1


def test_signup_refuses_with_503_and_creates_nobody(client):
    response = client.post(
        "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )

    assert_error(response, 503, "rate_limit_unavailable")
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "60"
    assert not User.objects.filter(email="new@example.com").exists()


def test_login_refuses_with_503_and_signs_nobody_in(client, user):
    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )

    assert_error(response, 503, "rate_limit_unavailable")
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "60"
    assert client.get("/api/v1/auth/session").status_code == 401
