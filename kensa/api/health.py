from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.api.schema import error
from kensa.errors import DomainError

logger = logging.getLogger("kensa.health")


class ServiceUnavailableError(DomainError):
    status_code = 503
    code = "service_unavailable"


class HealthView(views.APIView):
    """200 when the database and the cache answer, 503 (with what failed) otherwise."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health", {"database": serializers.CharField(), "cache": serializers.CharField()}
            ),
            503: error("The database or the cache did not answer (`service_unavailable`)."),
        }
    )
    def get(self, request: Request) -> Response:
        failed = []
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            logger.exception("health check: database unreachable")
            failed.append("database")
        try:
            cache.set("kensa:healthz", "ok", 5)
            if cache.get("kensa:healthz") != "ok":
                failed.append("cache")
        except Exception:
            logger.exception("health check: cache unreachable")
            failed.append("cache")
        if failed:
            raise ServiceUnavailableError(f"Unavailable: {' and '.join(failed)} did not answer.")
        return Response({"database": "ok", "cache": "ok"})
