"""Production hardening: cookie and transport settings, password rules on sign-up.

``manage.py check --deploy --fail-level WARNING`` is covered by
tests/kensa/test_settings.py::test_production_settings_pass_deploy_checks (not repeated here).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from tests.factories import PASSWORD

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
]  # fmt: skip
PRINT = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
)


@pytest.fixture(scope="module")
def production():
    """kensa.settings as production loads it: DJANGO_DEBUG=false, secrets, nothing else."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KENSA_READ_ENV_FILE": "false",
        "DJANGO_SETTINGS_MODULE": "kensa.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "AI_CALLBACK_SECRET": secrets.token_urlsafe(32),
    }
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_is_not_debug(production):
    assert production["DEBUG"] is False


def test_session_cookie_is_secure_httponly_and_lax(production):
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_csrf_cookie_is_secure_and_readable_by_the_front_end(production):
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_HTTPONLY"] is False
    assert production["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_https_is_enforced_with_a_year_of_hsts(production):
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_responses_are_not_sniffed_or_framed(production):
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
def test_login_sets_an_httponly_lax_session_cookie(client, user):
    response = client.post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


TOO_SHORT = "This password is too short. It must contain at least 8 characters."
WEAK_PASSWORDS = {
    "too short": ("Xk9#qz", "margaret@example.com", TOO_SHORT),
    "too common": ("iloveyou", "margaret@example.com", "This password is too common."),
    "numeric": ("8204719365028", "margaret@example.com", "This password is entirely numeric."),
    "similar to email": (
        "margaret.hamilton", "margaret.hamilton@example.com", "The password is too similar to the username.",
    ),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("password", "email", "message"), WEAK_PASSWORDS.values(), ids=WEAK_PASSWORDS.keys())
def test_signup_refuses_a_weak_password(client, password, email, message):
    response = client.post("/api/v1/auth/signup", {"email": email, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check password.",
        "code": "invalid_input",
        "fields": {"password": [message]},
    }
    assert not User.objects.filter(email=email).exists()
