from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from modelconfig.api.serializers import AIModelOutputSerializer
from modelconfig.selectors import enabled_models


class ModelCatalogueViewSet(viewsets.ViewSet):
    """The public model catalogue (pricing pages show it without a session)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=inline_serializer("ModelCatalogue", {"models": AIModelOutputSerializer(many=True)})
    )
    def list(self, request: Request) -> Response:
        return Response({"models": AIModelOutputSerializer(enabled_models(), many=True).data})
