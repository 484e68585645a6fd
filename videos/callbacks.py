"""Per-video signed callback URLs handed to providers (docs/api.md: Provider callbacks).

``?video=<uuid>&ts=<unix>&sig=<hex HMAC-SHA256(AI_CALLBACK_SECRET, "<provider>:<uuid>:<ts>")>``
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def callback_signature(provider: str, video_uuid: str, timestamp: int) -> str:
    message = f"{provider}:{video_uuid}:{timestamp}".encode()
    return hmac.new(settings.AI_CALLBACK_SECRET.encode(), message, hashlib.sha256).hexdigest()


def callback_url(provider: str, video_uuid: str, *, now: float | None = None) -> str | None:
    """The URL a provider should call back, or None when no public base URL is set.

    AI_CALLBACK_URL is the site's public origin (``https://kensa.example``) or, as the
    README shows it, the callback base (``https://kensa.example/api/v1/video/callback``):
    the route's own path is never repeated.
    """
    base = settings.AI_CALLBACK_URL.rstrip("/")
    if not base:
        return None
    path = reverse("video-callback", kwargs={"provider": provider})
    callback_base = path.rsplit("/", 1)[0]  # /api/v1/video/callback
    if base.endswith(callback_base):
        base = base.removesuffix(callback_base)
    timestamp = int(now if now is not None else time.time())
    query = urlencode(
        {"video": video_uuid, "ts": timestamp, "sig": callback_signature(provider, video_uuid, timestamp)}
    )
    return f"{base}{path}?{query}"


def verify_callback(
    provider: str, video_uuid: str, timestamp: str, signature: str, *, now: float | None = None
) -> bool:
    if (
        not isinstance(timestamp, str)
        or not (timestamp.isascii() and timestamp.isdigit())
        or len(timestamp) > 12
    ):
        return False
    ts = int(timestamp)
    age = (now if now is not None else time.time()) - ts
    if age < -300 or age > settings.CALLBACK_MAX_AGE:  # small allowance for clock skew
        return False
    expected = callback_signature(provider, video_uuid, ts)
    # Bytes: compare_digest refuses non-ASCII str, and the query string is the sender's.
    return hmac.compare_digest(expected.encode(), (signature or "").encode("utf-8", "surrogatepass"))
