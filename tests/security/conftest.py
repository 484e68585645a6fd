"""Shared helpers for the security tests: envelope checks, a dead cache, funded users."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from tests.credits.conftest import allow_adjusting
from tests.factories import VideoFactory, give_credits

# Nothing listens on port 1: connecting is refused at once.
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def envelope_of(response) -> dict:
    """The response's body, checked to be a well-formed envelope (docs/api.md: Conventions)."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("success"), bool), body
    if body["success"]:
        assert set(body) == {"success", "data"}, body
    else:
        assert isinstance(body.get("error"), str) and body["error"], body
        assert isinstance(body.get("code"), str) and body["code"], body
    return body


def assert_envelope(response) -> dict:
    """A well-formed envelope and never a server fault."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    return envelope_of(response)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = envelope_of(response)
    assert body["success"] is False
    assert body["code"] == code
    return body


@pytest.fixture
def dead_cache(settings):
    """Point the shared cache at a closed port; Django rebuilds the cache handler on the change."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    cache = caches["default"]
    assert cache._servers == [CLOSED_PORT_REDIS]
    # Proof that this really is the closed port, not a cached connection to the real Redis.
    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        cache.get("probe")
    return cache


@pytest.fixture
def funded_other_user(other_user):
    give_credits(other_user, 100)
    return other_user


@pytest.fixture
def own_video(user, media_root):
    return VideoFactory(user=user)


@pytest.fixture
def others_video(other_user, media_root):
    return VideoFactory(user=other_user)


@pytest.fixture
def adjuster(staff_user):
    """Staff who may adjust credits (the admin form's and the staff API's permission)."""
    return allow_adjusting(staff_user)


@pytest.fixture
def adjuster_client(adjuster):
    client = APIClient()
    client.force_login(adjuster)
    return client
