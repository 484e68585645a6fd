"""Cross-site request protection for the JSON API (docs/api.md: Conventions).

Browsers say where a request comes from (``Sec-Fetch-Site``, ``Origin``); clients that
are not browsers send neither. An unsafe request passes when it is same-origin, from a
trusted origin (``CSRF_TRUSTED_ORIGINS``, wildcards as Django reads them), from a
non-browser client, or carries a valid ``X-CSRFToken``.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutinefunction, markcoroutinefunction
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.http import is_same_domain

from kensa.api.envelope import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Provider callbacks authenticate with a signed URL, payment events with the provider's
# signature on the body (see webhooks).
EXEMPT_PREFIXES = ("/api/v1/video/callback/", "/api/v1/billing/webhook/", "/api/auth/creem/webhook")


def _token_check(request: HttpRequest) -> HttpResponse:
    """The view ``CsrfViewMiddleware`` is asked about; never called."""
    raise AssertionError("only checked, never called")


def _has_valid_csrf_token(request: HttpRequest) -> bool:
    """Whether ``X-CSRFToken`` matches the CSRF cookie, as Django's own middleware decides.

    Django is asked about a bare request carrying only the cookie (or session) and the
    header: its Origin and Referer rules would refuse a cross-origin request whatever
    the token, and the origin rules are this module's (a valid token lets a request
    through from anywhere, docs/api.md: Conventions). A bare request also carries no test client's
    "don't enforce" flag, so tests see the real check.
    """
    token = request.META.get(settings.CSRF_HEADER_NAME)
    if not token:
        return False
    probe = HttpRequest()
    probe.method = "POST"
    probe.path = probe.path_info = request.path
    probe.COOKIES = request.COOKIES
    probe.META[settings.CSRF_HEADER_NAME] = token
    if hasattr(request, "session"):
        probe.session = request.session  # read when CSRF_USE_SESSIONS is on
    # A new middleware per check: its trusted-origin caches must not outlive a settings change.
    middleware = CsrfViewMiddleware(_token_check)
    return middleware.process_view(probe, _token_check, (), {}) is None


def is_trusted_origin(origin: str) -> bool:
    """``origin`` is in ``CSRF_TRUSTED_ORIGINS``; ``https://*.example.com`` admits
    example.com and every subdomain over https, exactly as Django's CSRF check reads it."""
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    for entry in trusted:
        if "*" not in entry:
            continue
        pattern = urlsplit(entry)
        if pattern.scheme == parts.scheme and is_same_domain(parts.netloc, pattern.netloc.lstrip("*")):
            return True
    return False


def _origin_verdict(request: HttpRequest) -> bool | None:
    """True when where the request comes from admits it; None: only a CSRF token can."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if fetch_site in ("same-origin", "none"):
        return True
    if origin and is_trusted_origin(origin):
        return True
    if fetch_site is None and origin is None:
        return True
    if fetch_site is None and origin is not None:
        parts = urlsplit(origin)
        if parts.scheme == request.scheme and parts.netloc == request.get_host():
            return True
    return None


def is_cross_site_allowed(request: HttpRequest) -> bool:
    verdict = _origin_verdict(request)
    return verdict if verdict is not None else _has_valid_csrf_token(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiRequestGuardMiddleware:
    """Refuses, before any view runs, unsafe cross-site requests and oversized bodies.

    DRF reads JSON bodies from the raw stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    check, so the size limit is enforced here from the declared length.

    Sync and async: under ASGI (the event stream) it runs in the event loop instead of
    holding a thread for each open connection. Only the CSRF token check may read the
    session (CSRF_USE_SESSIONS), so only it goes to a thread.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        path = request.path_info
        if not path.startswith("/api/"):
            return self.get_response(request)
        refusal = _size_refusal(request)
        if refusal is None and _needs_origin_check(request, path) and not is_cross_site_allowed(request):
            refusal = _cross_site_refusal()
        return refusal or self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith("/api/"):
            return await self.get_response(request)
        refusal = _size_refusal(request)
        if refusal is None and _needs_origin_check(request, path):
            allowed = _origin_verdict(request)
            if allowed is None:
                allowed = await sync_to_async(_has_valid_csrf_token)(request)
            if not allowed:
                refusal = _cross_site_refusal()
        return refusal or await self.get_response(request)


def _size_refusal(request: HttpRequest) -> HttpResponse | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and _declared_length(request) > limit:
        return error_response(
            413, f"The request body is too large (at most {limit} bytes).", "payload_too_large"
        )
    return None


def _needs_origin_check(request: HttpRequest, path: str) -> bool:
    return request.method not in SAFE_METHODS and not path.startswith(EXEMPT_PREFIXES)


def _cross_site_refusal() -> HttpResponse:
    return error_response(
        403,
        "Cross-site request refused: send it from the same origin or with an X-CSRFToken header.",
        "cross_site_refused",
    )
