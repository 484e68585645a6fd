from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from kensa.api.envelope import SERVER_ERROR_MESSAGE, error_response


@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return error_response(404, "Not found.", "not_found")


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return error_response(500, SERVER_ERROR_MESSAGE, "server_error")
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return error_response(400, "Bad request.", "bad_request")
    return defaults.bad_request(request, exception)
