"""/healthz: 200 when the database and the cache answer, 503 otherwise."""

from __future__ import annotations

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_health_answers_200_when_database_and_cache_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"database": "ok", "cache": "ok"}}


def test_health_answers_503_when_cache_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # The settings change rebuilt the cache handler: the health check really talks to port 1.
    assert caches["default"]._servers == [CLOSED_PORT_REDIS]

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "success": False,
        "error": "Unavailable: cache did not answer.",
        "code": "service_unavailable",
    }


def test_health_needs_no_session_and_ignores_cross_site_headers(client):
    response = client.get("/healthz", HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 200
