from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient

from tests.factories import UserFactory, give_credits
from tests.webhooks.support import EVOLINK, KIE, fake_provider


def pytest_collection_modifyitems(items):
    """Transactional tests flush the database, seeded catalogue included; restore it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            item.add_marker(pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False)


def _clear_cache() -> None:
    """Remove this run's keys only: clear() on Redis flushes the whole database, and with
    it the counters of any other test run sharing it."""
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters and cached state must not leak from one test into another."""
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def user(db):
    return UserFactory(email="alice@example.com", username="alice@example.com", first_name="Alice")


@pytest.fixture
def other_user(db):
    return UserFactory(email="bob@example.com", username="bob@example.com", first_name="Bob")


@pytest.fixture
def staff_user(db):
    return UserFactory(
        email="staff@example.com", username="staff@example.com", first_name="Sam", is_staff=True
    )


@pytest.fixture
def funded_user(user):
    give_credits(user, 100)
    return user


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def evolink(settings):
    """New videos go to a loopback EvoLink (tests.fakes), its results downloadable."""
    with fake_provider(settings, EVOLINK) as server:
        yield server


@pytest.fixture
def kie(settings):
    """New videos go to a loopback Kie (tests.fakes), its results downloadable."""
    with fake_provider(settings, KIE) as server:
        yield server


@pytest.fixture
def client():
    return APIClient()


def _client_for(user) -> APIClient:
    api_client = APIClient()
    api_client.force_login(user)
    return api_client


@pytest.fixture
def auth_client(user):
    return _client_for(user)


@pytest.fixture
def other_client(other_user):
    return _client_for(other_user)


@pytest.fixture
def staff_client(staff_user):
    return _client_for(staff_user)
