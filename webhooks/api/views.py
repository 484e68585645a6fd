from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.api.ratelimits import CALLBACK_IP, RateLimitedMixin
from kensa.api.schema import error
from videos.providers import callback_provider_keys
from webhooks import services
from webhooks.models import DeliveryOutcome

QUERY = OpenApiParameter.QUERY


class ProviderCallbackView(RateLimitedMixin, views.APIView):
    """POST /api/v1/video/callback/{provider}: no session, no CSRF; a signed URL instead."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes: list = []  # the raw body is stored as sent
    ratelimit_rules = {"post": (CALLBACK_IP,)}

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=callback_provider_keys()),
            OpenApiParameter("video", OpenApiTypes.UUID, QUERY, required=True, description="The video."),
            OpenApiParameter("ts", int, QUERY, required=True, description="When the URL was signed (unix)."),
            OpenApiParameter("sig", str, QUERY, required=True, description="HMAC-SHA256 of the URL (hex)."),
        ],
        responses={
            200: inline_serializer(
                "CallbackReceived",
                {
                    "received": serializers.BooleanField(),
                    "outcome": serializers.ChoiceField(DeliveryOutcome.choices),
                },
            ),
            400: error("The body could not be read (`malformed_callback`)."),
            401: error("The signature is missing, invalid or expired (`invalid_signature`)."),
        },
    )
    def post(self, request: Request, provider: str) -> Response:
        if provider not in callback_provider_keys():
            raise Http404
        delivery = services.record_delivery(
            provider,
            headers=dict(request.headers),
            body=request.body,
            query_string=request.META.get("QUERY_STRING", ""),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
        delivery = services.process_delivery(delivery)
        return Response({"received": True, "outcome": delivery.outcome})
