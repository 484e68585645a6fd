"""Live fan-out of committed events to the streams of every server process, over Redis.

A message on the channel only says "user U has an event with id N": a stream wakes up
and reads its user's events after the last one it sent from the outbox, in id order. So
a lost or reordered message costs nothing but a delay — a stream also re-reads every
fourth quiet heartbeat and after the subscriber reconnects.

Each server process keeps one subscription (``Hub``), whatever the number of streams.
Without REDIS_URL (the one-process quick start) streams poll the outbox instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import defaultdict
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

logger = logging.getLogger(__name__)


def channel() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "kensa"
    return f"{prefix}:events"


@cache
def _publisher() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def publish_event(user_id: int, event_id: int) -> None:
    """Wake the user's streams in every process (after commit; failures are only logged)."""
    if not settings.REDIS_URL:
        return
    try:
        _publisher().publish(channel(), json.dumps({"user": user_id, "id": event_id}))
    except redis.RedisError:
        logger.warning("could not publish event %s; streams will find it on their next read", event_id)


class Hub:
    """One Redis subscription per process and event loop, fanned out to local streams."""

    def __init__(self) -> None:
        self._waiters: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    def subscribe(self, user_id: int) -> asyncio.Event:
        woken = asyncio.Event()
        self._waiters[user_id].add(woken)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())
        return woken

    def unsubscribe(self, user_id: int, woken: asyncio.Event) -> None:
        waiters = self._waiters.get(user_id)
        if waiters is not None:
            waiters.discard(woken)
            if not waiters:
                del self._waiters[user_id]

    def _wake(self, user_id: int | None) -> None:
        groups = self._waiters.values() if user_id is None else [self._waiters.get(user_id, ())]
        for waiters in groups:
            for woken in waiters:
                woken.set()

    async def _listen(self) -> None:
        delay = 0.5
        while self._waiters:
            client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel())
                    delay = 0.5
                    self._wake(None)  # anything published while we were away is in the outbox
                    while self._waiters:
                        message = await pubsub.get_message(timeout=5.0)
                        if message is not None:
                            self._wake(_user_of(message))
            except (redis.RedisError, OSError) as error:
                logger.warning("event subscriber lost Redis (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()


def _user_of(message: dict) -> int | None:
    try:
        return int(json.loads(message["data"])["user"])
    except (ValueError, KeyError, TypeError):
        return None


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
