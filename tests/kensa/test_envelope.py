"""Every response under /api/ is an envelope (docs/api.md: Conventions), whatever went wrong."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD, too_many_requests

pytestmark = pytest.mark.django_db

SERVER_ERROR = {
    "success": False,
    "error": "Something went wrong on our side; please try again later.",
    "code": "server_error",
}


def test_validation_error_answers_400_with_fields(client):
    response = client.post(
        "/api/v1/auth/signup", {"email": "not-an-email", "password": "x7-Quokka-lamp"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check email.",
        "code": "invalid_input",
        "fields": {"email": ["Enter a valid email address."]},
    }


def test_malformed_json_answers_400_malformed_json(client):
    response = client.post("/api/v1/auth/signup", '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The request body is not valid JSON.",
        "code": "malformed_json",
    }


def test_form_encoded_body_answers_415(client):
    response = client.post(
        "/api/v1/auth/signup",
        "email=a%40example.com&password=x7-Quokka-lamp",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json() == {
        "success": False,
        "error": "Request bodies must be sent as application/json.",
        "code": "unsupported_media_type",
    }


def test_oversized_body_answers_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"email": "a@example.com", "password": "%s"}' % ("x" * 2048)

    response = client.post("/api/v1/auth/login", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": "The request body is too large (at most 1024 bytes).",
        "code": "payload_too_large",
    }


def test_anonymous_session_answers_401_not_403(client):
    response = client.get("/api/v1/auth/session")

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Authentication required: sign in first.",
        "code": "not_authenticated",
    }


def test_refused_cross_site_request_answers_403(client):
    response = client.post(
        "/api/v1/auth/login",
        {"email": "alice@example.com", "password": PASSWORD},
        format="json",
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": "Cross-site request refused: send it from the same origin or with an X-CSRFToken header.",
        "code": "cross_site_refused",
    }


def test_unknown_url_under_api_answers_404_json(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "error": "Not found.", "code": "not_found"}


def test_unknown_url_outside_known_versions_answers_404_json(client):
    response = client.post("/api/v2/anything", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Not found.", "code": "not_found"}


def test_wrong_method_answers_405(client):
    response = client.delete("/api/v1/config/models")

    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "error": "Method DELETE is not allowed here.",
        "code": "method_not_allowed",
    }


def test_crash_in_api_view_answers_500_without_exception_text(client, settings):
    settings.ROOT_URLCONF = "tests.kensa.crash_urls"

    response = client.get("/api/v1/test/crash")

    assert response.status_code == 500
    assert response.json() == SERVER_ERROR
    assert b"secret detail" not in response.content
    assert b"Traceback" not in response.content


def test_crash_in_plain_django_view_under_api_answers_500_envelope(settings):
    settings.ROOT_URLCONF = "tests.kensa.crash_urls"
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/test/crash-django")

    assert response.status_code == 500
    assert response.json() == SERVER_ERROR
    assert b"secret detail" not in response.content


def test_rate_limited_request_answers_429_with_retry_after(client, settings):
    settings.RATELIMIT_AUTH_IP = "2/m"
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    for _ in range(2):
        assert client.post("/api/v1/auth/login", body, format="json").status_code == 400

    response = client.post("/api/v1/auth/login", body, format="json")

    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert response.json() == {
        "success": False,
        "error": too_many_requests(retry_after),
        "code": "rate_limited",
    }
