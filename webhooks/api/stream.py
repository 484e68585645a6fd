"""GET /api/v1/events: the signed-in user's events as Server-Sent Events.

An async view: under an ASGI server (uvicorn) a waiting stream costs a coroutine, not a
worker. Each stream reads the outbox after the last id it sent — on a wake-up from the
process's Redis subscriber, on every heartbeat, and at the start from ``Last-Event-ID``
— so what it sends is in order, with no gap and no repeat, across reconnects too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from kensa.api.envelope import error_response
from webhooks import selectors
from webhooks.live import hub

BATCH = 100
# Without Redis (the one-process quick start) a stream looks at the outbox this often.
POLL_SECONDS = 1.0
# How soon EventSource reconnects after the server ends a stream, in milliseconds.
RECONNECT_MS = 1000


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


async def _read(user_id: int, after: int) -> list:
    return [event async for event in selectors.stream_events(user_id, after, BATCH)]


async def _stream(user_id: int, after: int | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + settings.EVENTS_STREAM_SECONDS
    heartbeat = settings.EVENTS_HEARTBEAT_SECONDS
    # Subscribed before the first read: an event committed in between is read, not lost.
    woken = hub().subscribe(user_id) if settings.REDIS_URL else None
    try:
        if after is None:
            after = await selectors.latest_event_id_async(user_id)
        yield f"retry: {RECONNECT_MS}\n: connected\n\n"
        next_heartbeat = loop.time() + heartbeat
        while True:
            if woken is not None:
                woken.clear()
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
    finally:
        if woken is not None:
            hub().unsubscribe(user_id, woken)


async def event_stream(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return error_response(405, f"Method {request.method} is not allowed here.", "method_not_allowed")
    user = await request.auser()
    if not user.is_authenticated:
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
    response = StreamingHttpResponse(_stream(user.pk, after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx (and proxies honouring it) must pass each event on at once.
    response["X-Accel-Buffering"] = "no"
    return response
