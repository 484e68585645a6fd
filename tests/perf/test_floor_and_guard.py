"""The benchmark's floor endpoint, and the API guard under ASGI."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import clear_url_caches

from kensa import urls as root_urls
from kensa.api import urls as api_urls
from kensa.api.bench import FLOOR_BODY, FLOOR_PATH, SERVER_PATH
from kensa.api.middleware import ApiRequestGuardMiddleware


@pytest.fixture
def floors_routed(settings):
    """The URLconf as BENCH_FLOOR_ENDPOINT=true builds it (read when kensa.api.urls is imported)."""
    settings.BENCH_FLOOR_ENDPOINT = True
    settings.MIDDLEWARE = ["kensa.api.bench.ServerFloorMiddleware", *settings.MIDDLEWARE]
    importlib.reload(api_urls)
    importlib.reload(root_urls)
    clear_url_caches()
    yield
    settings.BENCH_FLOOR_ENDPOINT = False
    importlib.reload(api_urls)
    importlib.reload(root_urls)
    clear_url_caches()


@pytest.mark.django_db
def test_the_floor_endpoints_are_not_found_by_default(client):
    assert not django_settings.BENCH_FLOOR_ENDPOINT
    assert "kensa.api.bench.ServerFloorMiddleware" not in django_settings.MIDDLEWARE
    for path in (FLOOR_PATH, SERVER_PATH):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": "Not found.", "code": "not_found"}


def test_the_floor_answers_through_every_middleware_without_database_or_session(client, floors_routed):
    # No django_db mark: touching the database here would fail the test.
    response = client.get(FLOOR_PATH)
    assert response.status_code == 200
    assert response.content == FLOOR_BODY
    assert "sessionid" not in response.cookies
    # The middleware ran: their headers are on the answer, and the URL was resolved.
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.resolver_match.url_name == "bench-floor"


def test_the_server_floor_answers_before_any_middleware(client, floors_routed):
    response = client.get(SERVER_PATH)
    assert response.status_code == 200
    assert response.content == FLOOR_BODY
    assert "X-Frame-Options" not in response


def _async_guard() -> ApiRequestGuardMiddleware:
    async def view(request):
        return HttpResponse(b"passed")

    return ApiRequestGuardMiddleware(view)


def test_the_api_guard_runs_in_the_event_loop_under_asgi():
    guard = _async_guard()
    assert asyncio.iscoroutinefunction(guard)
    request = RequestFactory().get("/api/v1/events")
    assert asyncio.run(guard(request)).content == b"passed"


def test_the_async_api_guard_refuses_a_cross_site_post():
    request = RequestFactory().post(
        "/api/v1/video/generate", data=b"{}", content_type="application/json",
        HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN="https://evil.example",
    )  # fmt: skip
    response = asyncio.run(_async_guard()(request))
    assert response.status_code == 403
    assert b"cross_site_refused" in response.content


def test_the_async_api_guard_refuses_an_oversized_body(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    request = RequestFactory().post(
        "/api/v1/video/generate", data=b"{}" * 20, content_type="application/json"
    )
    response = asyncio.run(_async_guard()(request))
    assert response.status_code == 413
