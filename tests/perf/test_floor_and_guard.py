"""The benchmark's floor endpoint, and the API guard under ASGI."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory

from kensa.api.bench import FLOOR_BODY, FLOOR_PATH
from kensa.api.middleware import ApiRequestGuardMiddleware


@pytest.mark.django_db
def test_the_floor_endpoint_is_not_found_by_default(client):
    assert "kensa.api.bench.FloorMiddleware" not in django_settings.MIDDLEWARE
    response = client.get(FLOOR_PATH)
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Not found.", "code": "not_found"}


def test_the_floor_endpoint_answers_without_database_or_session_when_enabled(client, settings):
    # No django_db mark: touching the database here would fail the test.
    settings.MIDDLEWARE = ["kensa.api.bench.FloorMiddleware", *settings.MIDDLEWARE]
    response = client.get(FLOOR_PATH)
    assert response.status_code == 200
    assert response.content == FLOOR_BODY
    assert "sessionid" not in response.cookies


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
