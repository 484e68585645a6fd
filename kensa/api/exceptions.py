"""Turns every exception raised under /api/ into the error envelope, in one place."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from kensa.api.envelope import SERVER_ERROR_MESSAGE, error_body
from kensa.errors import DomainError

logger = logging.getLogger("kensa.api")


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details → ``{"field": ["message", ...]}`` (dotted for nesting)."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "nonFieldErrors"
            for sub, messages in _flatten(value, name).items():
                fields.setdefault(sub, []).extend(messages)
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "nonFieldErrors": [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            for sub, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                fields.setdefault(sub, []).extend(messages)
        return fields
    return {prefix or "nonFieldErrors": [str(detail)]}


def _validation_message(fields: dict[str, list[str]]) -> str:
    names = [name for name in fields if name != "nonFieldErrors"]
    if not names:
        first = next(iter(fields.values()), ["Invalid input."])
        return first[0] if first else "Invalid input."
    return f"Invalid input: check {', '.join(names)}."


def _respond(status_code: int, message: str, code: str, **kwargs: Any) -> Response:
    headers = kwargs.pop("headers", None)
    return Response(error_body(message, code, **kwargs), status=status_code, headers=headers)


def envelope_exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, DomainError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return _respond(exc.status_code, exc.message, exc.code, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        return _respond(413, "The request body is too large.", "payload_too_large")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        return _respond(400, _validation_message(fields), "invalid_input", fields=fields)
    if isinstance(exc, exceptions.ParseError):
        return _respond(400, "The request body is not valid JSON.", "malformed_json")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _respond(415, "Request bodies must be sent as application/json.", "unsupported_media_type")
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return _respond(
            401,
            "Authentication required: sign in first.",
            "not_authenticated",
            headers={"WWW-Authenticate": 'Session realm="api"'},
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return _respond(403, "You are not allowed to do this.", "permission_denied")
    if isinstance(exc, exceptions.NotFound):
        return _respond(404, "Not found.", "not_found")
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = context["request"].method
        return _respond(405, f"Method {method} is not allowed here.", "method_not_allowed")
    if isinstance(exc, exceptions.NotAcceptable):
        return _respond(406, "Only application/json responses are available.", "not_acceptable")
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return _respond(
            429,
            f"Too many requests; try again in {wait} seconds.",
            "rate_limited",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.APIException):
        return _respond(exc.status_code, str(exc.detail), exc.default_code)

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return _respond(status.HTTP_500_INTERNAL_SERVER_ERROR, SERVER_ERROR_MESSAGE, "server_error")
