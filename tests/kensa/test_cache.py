"""kensa.cache: Django's Redis cache, one client per pool, incr in one round trip."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches

from kensa.cache import RedisCache

cache = caches["default"]
pytestmark = pytest.mark.skipif(not isinstance(cache, RedisCache), reason="needs REDIS_URL")


def test_incr_adds_to_an_existing_counter():
    cache.set("kensa-test-incr", 5, 60)
    assert cache.incr("kensa-test-incr") == 6
    assert cache.incr("kensa-test-incr", 10) == 16
    assert cache.get("kensa-test-incr") == 16


def test_incr_of_a_missing_key_is_a_value_error_and_creates_nothing():
    cache.delete("kensa-test-missing")
    with pytest.raises(ValueError, match="not found"):
        cache.incr("kensa-test-missing")
    assert cache.get("kensa-test-missing") is None


def test_incr_keeps_the_counters_expiry():
    cache.set("kensa-test-ttl", 1, 60)
    cache.incr("kensa-test-ttl")
    client = cache._cache.get_client(write=True)
    assert 0 < client.ttl(cache.make_key("kensa-test-ttl")) <= 60


def test_incr_from_many_threads_counts_every_call():
    cache.set("kensa-test-race", 0, 60)

    def bump() -> None:
        for _ in range(50):
            cache.incr("kensa-test-race")

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("kensa-test-race") == 400


def test_incr_is_one_round_trip(monkeypatch):
    cache.set("kensa-test-trips", 1, 60)
    cache.incr("kensa-test-trips")  # a server meeting the script for the first time loads it
    client = cache._cache.get_client(write=True)
    sent: list[tuple] = []
    real = type(client).execute_command

    def counting(self, *args, **kwargs):
        sent.append(args[:1])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(client), "execute_command", counting)
    cache.incr("kensa-test-trips")
    assert sent == [("EVALSHA",)]
