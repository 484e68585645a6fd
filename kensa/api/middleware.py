"""Cross-site request protection for the JSON API (SPEC §1).

Browsers say where a request comes from (``Sec-Fetch-Site``, ``Origin``); clients that
are not browsers send neither. An unsafe request passes when it is same-origin, from a
trusted origin, from a non-browser client, or carries a valid ``X-CSRFToken``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf

from kensa.api.envelope import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Provider callbacks authenticate with a signed URL instead (see webhooks).
EXEMPT_PREFIXES = ("/api/v1/video/callback/",)


def _has_valid_csrf_token(request: HttpRequest) -> bool:
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    token = request.META.get(settings.CSRF_HEADER_NAME, "")
    if not secret or not token:
        return False
    try:
        csrf._check_token_format(secret)
        csrf._check_token_format(token)
    except csrf.InvalidTokenFormat:
        return False
    return csrf._does_token_match(token, secret)


def is_cross_site_allowed(request: HttpRequest) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site in ("same-origin", "none"):
        return True
    if origin and origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    if fetch_site is None and origin is None:
        return True
    if fetch_site is None and origin is not None:
        parts = urlsplit(origin)
        if parts.scheme == request.scheme and parts.netloc == request.get_host():
            return True
    return _has_valid_csrf_token(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiRequestGuardMiddleware:
    """Refuses, before any view runs, unsafe cross-site requests and oversized bodies.

    DRF reads JSON bodies from the raw stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    check, so the size limit is enforced here from the declared length.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith("/api/"):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            return error_response(
                413, f"The request body is too large (at most {limit} bytes).", "payload_too_large"
            )
        if (
            request.method not in SAFE_METHODS
            and not path.startswith(EXEMPT_PREFIXES)
            and not is_cross_site_allowed(request)
        ):
            return error_response(
                403,
                "Cross-site request refused: send it from the same site or with an X-CSRFToken header.",
                "cross_site_refused",
            )
        return self.get_response(request)
