"""The studio's Content-Security-Policy: scripts, styles and connections from this site only.

Pictures and videos may also come from an https storage host (S3, a CDN) or from
wherever MEDIA_URL and PUBLIC_BASE_URL point, since stored files are linked from there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.csp import CSP


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def studio_policy() -> dict[str, list[str]]:
    storage = [CSP.SELF, "https:"]
    for url in (settings.MEDIA_URL, settings.PUBLIC_BASE_URL):
        if (origin := _origin(url)) and origin not in storage:
            storage.append(origin)
    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [*storage, "data:"],
        "media-src": storage,
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
    }
