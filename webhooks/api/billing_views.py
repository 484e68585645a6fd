"""Payment events: ``POST /api/v1/billing/webhook/{stripe|creem|demo}`` and Creem's
``POST /api/auth/creem/webhook``.

No session and no cross-site rule: the provider's signature on the raw body is what
authenticates an event. Each delivery is stored raw first, with provider callbacks (the
same admin, the same reprocess), then ``credits.billing`` verifies it and applies it once
per event id; a repeat answers 200 and changes nothing.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, views
from rest_framework.request import Request
from rest_framework.response import Response

from credits.billing.errors import BillingEventTooLargeError
from credits.billing.events import MAX_EVENT_BYTES
from credits.billing.providers import billing_provider_names
from kensa.api.ratelimits import CALLBACK_IP, RateLimitedMixin
from kensa.api.schema import error
from webhooks import services
from webhooks.models import DeliveryKind, DeliveryOutcome

RECEIVED = inline_serializer(
    "PaymentEventReceived",
    {
        "received": serializers.BooleanField(),
        "outcome": serializers.ChoiceField(DeliveryOutcome.choices),
        "eventId": serializers.CharField(),
    },
)
RESPONSES = {
    200: RECEIVED,
    400: error("The signed body could not be read (`malformed_event`)."),
    401: error("The signature is missing, invalid or stale (`invalid_signature`)."),
    413: error(f"The body is larger than {MAX_EVENT_BYTES} bytes (`payload_too_large`)."),
}


class BillingWebhookView(RateLimitedMixin, views.APIView):
    """A payment provider's event, signed by the provider (Stripe: `Stripe-Signature`;
    Creem: `creem-signature`; the demo: `Kensa-Demo-Signature`)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes: list = []  # the signature covers the raw body: it is stored and checked as sent
    ratelimit_rules = {"post": (CALLBACK_IP,)}

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=billing_provider_names()),
        ],
        responses=RESPONSES,
    )
    def post(self, request: Request, provider: str) -> Response:
        if provider not in billing_provider_names():
            raise Http404
        return self.receive(request, provider)

    def receive(self, request: Request, provider: str) -> Response:
        body = request.body
        if len(body) > MAX_EVENT_BYTES:
            # Larger than any event a provider sends: not worth storing.
            raise BillingEventTooLargeError(f"The event body is too large (at most {MAX_EVENT_BYTES} bytes).")
        delivery = services.record_delivery(
            provider,
            headers=dict(request.headers),
            body=body,
            query_string=request.META.get("QUERY_STRING", ""),
            remote_addr=request.META.get("REMOTE_ADDR"),
            kind=DeliveryKind.BILLING,
        )
        delivery = services.process_delivery(delivery, body)
        return Response({"received": True, "outcome": delivery.outcome, "eventId": delivery.event_id})


class CreemWebhookView(BillingWebhookView):
    """Creem's event at the path Kensa's docs give Creem (the same as
    `/api/v1/billing/webhook/creem`), signed with `creem-signature`."""

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT}, responses=RESPONSES)
    def post(self, request: Request) -> Response:
        return self.receive(request, "creem")
