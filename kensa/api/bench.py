"""The benchmark's floor: the cheapest answer this server can give (bench/run.py).

Installed first in MIDDLEWARE only with BENCH_FLOOR_ENDPOINT=true, so it runs before any
other middleware: no session, no user, no database, no URL resolution. Every endpoint's
throughput is reported as a fraction of this one's, measured in the same run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

FLOOR_PATH = "/api/v1/bench/floor"
FLOOR_BODY = b'{"success":true,"data":{}}'


class FloorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == FLOOR_PATH and request.method == "GET":
            return HttpResponse(FLOOR_BODY, content_type="application/json")
        return self.get_response(request)
