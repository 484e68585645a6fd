"""/api/v1/webhooks/...: a signed-in user's endpoints, their deliveries, retries."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.api.pagination import PageQuerySerializer, paginated
from kensa.api.ratelimits import READ_USER, RateLimitedMixin
from kensa.api.schema import error, paginated_serializer
from webhooks import endpoints, selectors
from webhooks.api.serializers import (
    AttemptOutputSerializer,
    DeliveryOutputSerializer,
    EndpointInputSerializer,
    EndpointOutputSerializer,
    EndpointWithSecretOutputSerializer,
)

ENDPOINT_LIST = inline_serializer("WebhookEndpointList", {"endpoints": EndpointOutputSerializer(many=True)})
DISABLED = error("The endpoint is disabled (`endpoint_disabled`).")


class WebhookEndpointViewSet(RateLimitedMixin, viewsets.ViewSet):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(responses=ENDPOINT_LIST)
    def list(self, request: Request) -> Response:
        items = EndpointOutputSerializer(selectors.endpoints_of(request.user), many=True).data
        return Response({"endpoints": items})

    @extend_schema(
        request=EndpointInputSerializer,
        responses={
            201: EndpointWithSecretOutputSerializer,
            409: error("You have the most endpoints allowed (`endpoint_limit_reached`)."),
        },
    )
    def create(self, request: Request) -> Response:
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = endpoints.create_endpoint(request.user, **data.validated_data)
        return Response(EndpointWithSecretOutputSerializer(endpoint).data, status=201)

    @extend_schema(responses=EndpointOutputSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(EndpointOutputSerializer(selectors.endpoint_of(request.user, pk)).data)

    @extend_schema(request=EndpointInputSerializer, responses=EndpointOutputSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_of(request.user, pk)
        data = EndpointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = endpoints.update_endpoint(endpoint, data.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(
        responses=inline_serializer(
            "WebhookEndpointDeleted", {"id": serializers.UUIDField(), "deleted": serializers.BooleanField()}
        )
    )
    def destroy(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_of(request.user, pk)
        endpoints.delete_endpoint(endpoint)
        return Response({"id": pk, "deleted": True})

    @extend_schema(request=None, responses=EndpointWithSecretOutputSerializer)
    def rotate_secret(self, request: Request, pk: str) -> Response:
        endpoint = endpoints.rotate_secret(selectors.endpoint_of(request.user, pk))
        return Response(EndpointWithSecretOutputSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: DeliveryOutputSerializer, 409: DISABLED})
    def test(self, request: Request, pk: str) -> Response:
        delivery = endpoints.send_ping(selectors.endpoint_of(request.user, pk))
        return Response(DeliveryOutputSerializer(delivery).data, status=202)

    @extend_schema(
        parameters=[PageQuerySerializer],
        responses=paginated_serializer("WebhookAttemptPage", "deliveries", AttemptOutputSerializer),
    )
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = selectors.endpoint_of(request.user, pk)
        attempts = selectors.attempts_of(endpoint)
        return Response(paginated(attempts, request, "deliveries", AttemptOutputSerializer))


class WebhookDeliveryViewSet(RateLimitedMixin, viewsets.ViewSet):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(request=None, responses={202: DeliveryOutputSerializer, 409: DISABLED})
    def retry(self, request: Request, pk: str) -> Response:
        delivery = endpoints.retry_delivery(selectors.delivery_of(request.user, pk))
        return Response(DeliveryOutputSerializer(delivery).data, status=202)
