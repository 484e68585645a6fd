"""GET /api/v1/events: the signed-in user's events as Server-Sent Events.

An async view: under an ASGI server (uvicorn) a waiting stream costs a coroutine, not a
worker. Each stream reads the outbox after the last id it sent — on a wake-up from the
process's Redis subscriber, on every fourth quiet heartbeat, and at the start from ``Last-Event-ID``
— so what it sends is in order, with no gap and no repeat, across reconnects too.

Its database work (the session, the outbox reads) runs on the shared thread pool
(``thread_sensitive=False``), not on the request's own thread: Django gives every ASGI
request a thread of its own for sync work, and a database connection opened there would
stay open, idle, for as long as the stream — a thousand streams, a thousand connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.db import close_old_connections, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from kensa.api.envelope import error_response
from webhooks import selectors
from webhooks.live import hub

BATCH = 100
# Without Redis (the one-process quick start) a stream looks at the outbox this often.
POLL_SECONDS = 1.0
# How soon EventSource reconnects after the server ends a stream, in milliseconds.
RECONNECT_MS = 1000
# With a live Redis subscription, every this many quiet heartbeats a stream re-reads the
# outbox anyway (a message lost in transit costs at most that delay).
SAFETY_READ_EVERY = 4


def _last_event_id(request: HttpRequest) -> int | None:
    """The id to resume after: the header EventSource sends, or ``?lastEventId=``."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("lastEventId")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValueError(raw)
    return int(raw)


def _frame(event) -> str:
    body = json.dumps(event.as_payload(), separators=(",", ":"))
    return f"id: {event.pk}\nevent: {event.type}\ndata: {body}\n\n"


def _read_sync(user_id: int, after: int) -> list:
    close_old_connections()  # pool threads live on: drop a connection past its age or broken
    return list(selectors.stream_events(user_id, after, BATCH))


def _latest_sync(user_id: int) -> int:
    close_old_connections()
    return selectors.latest_event_id(user_id)


def _signed_in_user_id(request: HttpRequest) -> int | None:
    close_old_connections()
    user = get_user(request)
    return user.pk if user.is_authenticated else None


# Middleware that ran on the request's own thread (session activity, the user) may have
# opened a connection there; it would otherwise stay open, idle, for the stream's life.
_release_request_thread = sync_to_async(connections.close_all, thread_sensitive=True)
_read = sync_to_async(_read_sync, thread_sensitive=False)
_latest = sync_to_async(_latest_sync, thread_sensitive=False)
_user_id = sync_to_async(_signed_in_user_id, thread_sensitive=False)


async def _stream(user_id: int, after: int | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + settings.EVENTS_STREAM_SECONDS
    heartbeat = settings.EVENTS_HEARTBEAT_SECONDS
    # Subscribed before the first read: an event committed in between is read, not lost.
    woken = hub().subscribe(user_id) if settings.REDIS_URL else None
    try:
        await _release_request_thread()
        if after is None:
            after = await _latest(user_id)
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        next_heartbeat = loop.time() + heartbeat
        quiet_heartbeats = 0
        read_now = True
        while True:
            if woken is not None:
                woken.clear()
            if read_now:
                events = await _read(user_id, after)
                for event in events:
                    yield _frame(event)
                    after = event.pk
                if len(events) == BATCH:
                    continue
            now = loop.time()
            if now >= ends_at:
                return
            if now >= next_heartbeat:
                yield ": heartbeat\n\n"
                next_heartbeat = now + heartbeat
            wait = min(next_heartbeat, ends_at) - now
            if woken is None:
                await asyncio.sleep(min(wait, POLL_SECONDS))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=max(0.0, wait))
            # Woken: there is news. A quiet heartbeat reads the outbox only now and then, as
            # a safety net (the hub wakes every stream when its subscription reconnects): a
            # read per heartbeat of every idle stream would cost the database more than
            # all the news.
            quiet_heartbeats = 0 if woken.is_set() else quiet_heartbeats + 1
            read_now = quiet_heartbeats % SAFETY_READ_EVERY == 0
    finally:
        if woken is not None:
            hub().unsubscribe(user_id, woken)


async def event_stream(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return error_response(405, f"Method {request.method} is not allowed here.", "method_not_allowed")
    user_id = await _user_id(request)
    if user_id is None:
        return error_response(
            401,
            "Authentication required: sign in first.",
            "not_authenticated",
            headers={"WWW-Authenticate": 'Session realm="api"'},
        )
    try:
        after = _last_event_id(request)
    except ValueError:
        return error_response(
            400,
            "Last-Event-ID must be the id of an event this stream sent.",
            "invalid_input",
            fields={"Last-Event-ID": ["Give a whole number."]},
        )
    response = StreamingHttpResponse(_stream(user_id, after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx (and proxies honouring it) must pass each event on at once.
    response["X-Accel-Buffering"] = "no"
    return response
