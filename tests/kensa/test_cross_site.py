"""Cross-site request protection for unsafe /api/ requests (docs/api.md: Conventions).

The clients enforce Django's CSRF checks like a real deployment would, so these tests
also prove that Django's own CsrfViewMiddleware does not get in the way of a browser
calling exactly as the docs show (no token).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()

REFUSED = {
    "success": False,
    "error": "Cross-site request refused: send it from the same origin or with an X-CSRFToken header.",
    "code": "cross_site_refused",
}
CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"}
LOGIN = {"email": "alice@example.com", "password": PASSWORD}


@pytest.fixture
def browser():
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def signed_in_browser(user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def _login(client: APIClient, **headers: str):
    return client.post("/api/v1/auth/login", LOGIN, format="json", **headers)


def _logout(client: APIClient, **headers: str):
    return client.post("/api/v1/auth/logout", {}, format="json", **headers)


def _is_signed_in(client: APIClient) -> bool:
    return client.get("/api/v1/auth/session").status_code == 200


def test_login_from_same_origin_fetch_without_token_passes(browser, user):
    response = _login(browser, HTTP_SEC_FETCH_SITE="same-origin", HTTP_ORIGIN="http://testserver")

    assert response.status_code == 200
    assert _is_signed_in(browser)


def test_logout_from_same_origin_fetch_without_token_passes(signed_in_browser):
    response = _logout(signed_in_browser, HTTP_SEC_FETCH_SITE="same-origin", HTTP_ORIGIN="http://testserver")

    assert response.status_code == 200
    assert not _is_signed_in(signed_in_browser)


def test_login_with_sec_fetch_site_none_passes(browser, user):
    response = _login(browser, HTTP_SEC_FETCH_SITE="none")

    assert response.status_code == 200


def test_cross_site_login_is_refused_and_signs_nobody_in(browser, user):
    response = _login(browser, **CROSS_SITE)

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert not _is_signed_in(browser)


def test_cross_site_logout_is_refused_and_keeps_session(signed_in_browser):
    response = _logout(signed_in_browser, **CROSS_SITE)

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert _is_signed_in(signed_in_browser)


def test_cross_site_signup_is_refused_and_creates_no_user(browser):
    response = browser.post(
        "/api/v1/auth/signup",
        {"email": "victim@example.com", "password": "x7-Quokka-lamp"},
        format="json",
        **CROSS_SITE,
    )

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert not User.objects.filter(email="victim@example.com").exists()


def test_same_site_but_not_same_origin_is_refused(browser, user):
    response = _login(browser, HTTP_SEC_FETCH_SITE="same-site", HTTP_ORIGIN="https://other.testserver")

    assert response.status_code == 403
    assert response.json() == REFUSED


def test_origin_only_cross_site_is_refused(browser, user):
    response = _login(browser, HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403
    assert response.json() == REFUSED


def test_origin_only_with_other_scheme_is_refused(browser, user):
    response = _login(browser, HTTP_ORIGIN="https://testserver")

    assert response.status_code == 403
    assert response.json() == REFUSED


def test_origin_only_matching_own_scheme_and_host_passes(browser, user):
    response = _login(browser, HTTP_ORIGIN="http://testserver")

    assert response.status_code == 200


def test_origin_in_csrf_trusted_origins_passes(browser, user, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.kensa.example"]

    response = _login(browser, HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN="https://app.kensa.example")

    assert response.status_code == 200


def test_request_without_either_header_passes(browser, user):
    response = _login(browser)

    assert response.status_code == 200


def test_cross_site_with_valid_csrf_token_passes(browser, user):
    token = browser.get("/api/v1/auth/csrf").json()["data"]["csrfToken"]

    response = _login(browser, HTTP_X_CSRFTOKEN=token, **CROSS_SITE)

    assert response.status_code == 200
    assert _is_signed_in(browser)


def test_cross_site_with_wrong_csrf_token_is_refused(browser, user):
    browser.get("/api/v1/auth/csrf")

    response = _login(browser, HTTP_X_CSRFTOKEN="x" * 64, **CROSS_SITE)

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert not _is_signed_in(browser)


def test_cross_site_with_token_but_no_cookie_is_refused(browser, user):
    token = APIClient().get("/api/v1/auth/csrf").json()["data"]["csrfToken"]

    response = _login(browser, HTTP_X_CSRFTOKEN=token, **CROSS_SITE)

    assert response.status_code == 403
    assert response.json() == REFUSED


def test_cross_site_safe_method_is_not_refused(auth_client):
    response = auth_client.get("/api/v1/auth/session", **CROSS_SITE)

    assert response.status_code == 200


# --- CSRF_TRUSTED_ORIGINS with wildcards mean what they mean to Django -----------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.kensa.example",
        "https://deep.app.kensa.example",
        # Django's "*." also admits the domain itself (django.utils.http.is_same_domain).
        "https://kensa.example",
    ],
)
def test_origin_matching_a_wildcard_trusted_origin_passes(browser, user, settings, origin):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.kensa.example"]

    response = _login(browser, HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN=origin)

    assert response.status_code == 200
    assert _is_signed_in(browser)


@pytest.mark.parametrize(
    "origin",
    [
        "http://app.kensa.example",  # another scheme
        "https://evilkensa.example",  # not a subdomain, just the same ending
        "https://app.kensa.example.evil.example",
        "https://app.kensa.example:8443",  # another port than the entry names
    ],
)
def test_origin_outside_a_wildcard_trusted_origin_is_refused(browser, user, settings, origin):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.kensa.example"]

    response = _login(browser, HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN=origin)

    assert response.status_code == 403
    assert response.json() == REFUSED
    assert not _is_signed_in(browser)


def test_the_guard_uses_no_private_csrf_functions():
    source = (Path(__file__).resolve().parents[2] / "kensa" / "api" / "middleware.py").read_text()

    assert not re.search(r"csrf\._|_check_token_format|_does_token_match", source)
