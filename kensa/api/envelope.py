"""The one place that knows what an error envelope looks like."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import JsonResponse


def error_body(message: str, code: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    body: dict = {"success": False, "error": message, "code": code}
    if fields:
        body["fields"] = dict(fields)
    return body


def error_response(
    status: int,
    message: str,
    code: str,
    *,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JsonResponse:
    """A plain Django response for the places DRF does not reach (middleware, URL 404s)."""
    response = JsonResponse(error_body(message, code, fields), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


SERVER_ERROR_MESSAGE = "Something went wrong on our side; please try again later."
