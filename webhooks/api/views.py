from __future__ import annotations

from django.http import Http404
from rest_framework import permissions, views
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.api.ratelimits import CALLBACK_IP, RateLimitedMixin
from videos.providers import callback_provider_keys
from webhooks import services


class ProviderCallbackView(RateLimitedMixin, views.APIView):
    """POST /api/v1/video/callback/{provider}: no session, no CSRF; a signed URL instead."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes: list = []  # the raw body is stored as sent
    ratelimit_rules = {"post": (CALLBACK_IP,)}

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
