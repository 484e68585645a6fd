"""The benchmark's floor (bench/run.py): the cheapest answer the application can give.

Routed only with BENCH_FLOOR_ENDPOINT=true (404 otherwise). ``GET /api/v1/bench/floor`` is a
plain view reached as every endpoint is — through the whole middleware stack and the URL
resolver — that touches no database and no session (an anonymous request never loads
one). Every endpoint's throughput is reported as a fraction of it, measured in the same run:
the ratio is what an endpoint's own work costs next to the application's fixed cost.

``GET /api/v1/bench/server`` is answered by ``ServerFloorMiddleware``, installed first, before
any other middleware: what gunicorn and Django's request handler alone cost. It is reported
for reference, not used for the ratios.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

FLOOR_PATH = "/api/v1/bench/floor"
SERVER_PATH = "/api/v1/bench/server"
FLOOR_BODY = b'{"success":true,"data":{}}'


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FLOOR_BODY, content_type="application/json")


class ServerFloorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == SERVER_PATH and request.method == "GET":
            return HttpResponse(FLOOR_BODY, content_type="application/json")
        return self.get_response(request)
