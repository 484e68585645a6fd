"""Products, checkout, orders, subscription and portal (docs/api.md: Billing)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, views
from rest_framework.request import Request
from rest_framework.response import Response

from credits.api.billing_serializers import (
    CheckoutInputSerializer,
    CheckoutOutputSerializer,
    OrderOutputSerializer,
    PortalOutputSerializer,
    ProductOutputSerializer,
    product_data,
    subscription_data,
)
from credits.billing import checkout, selectors
from kensa.api.idempotency import idempotency_key
from kensa.api.pagination import PageQuerySerializer, paginated
from kensa.api.ratelimits import READ_USER, RateLimitedMixin
from kensa.api.schema import IDEMPOTENCY_KEY, error, paginated_serializer

# The active subscription, or null: a serializer cannot say "this object or null" to the schema.
SUBSCRIPTION_OR_NULL = {
    "type": "object",
    "nullable": True,
    "properties": {
        "productId": {"type": "string"},
        "status": {"type": "string", "enum": ["ACTIVE", "PAST_DUE"]},
        "currentPeriodEnd": {"type": "string", "format": "date-time", "nullable": True},
        "cancelAtPeriodEnd": {"type": "boolean"},
    },
    "required": ["productId", "status", "currentPeriodEnd", "cancelAtPeriodEnd"],
}


def _site_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class ProductListView(views.APIView):
    """The products on sale; public, like the model catalogue."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=inline_serializer("ProductList", {"products": ProductOutputSerializer(many=True)})
    )
    def get(self, request: Request) -> Response:
        return Response({"products": product_data(list(selectors.products_on_sale()))})


class CheckoutView(RateLimitedMixin, views.APIView):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        request=CheckoutInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: CheckoutOutputSerializer,
            400: error("Unknown (`unknown_product`) or inactive (`product_unavailable`) product."),
            403: error("A subscribers-only pack without an active subscription (`subscription_required`)."),
            409: error("A second subscription (`subscription_exists`), or a reused Idempotency-Key."),
            502: error("The payment provider could not be reached (`billing_unavailable`)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = checkout.start_checkout(
            request.user,
            data.validated_data["productId"],
            idempotency_key=idempotency_key(request),
            site_url=_site_url(request),
        )
        return Response(CheckoutOutputSerializer(order).data, status=201)


class OrderListView(RateLimitedMixin, views.APIView):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        parameters=[PageQuerySerializer],
        responses=paginated_serializer("OrderPage", "orders", OrderOutputSerializer),
    )
    def get(self, request: Request) -> Response:
        return Response(
            paginated(selectors.orders_of(request.user), request, "orders", OrderOutputSerializer)
        )


class SubscriptionView(RateLimitedMixin, views.APIView):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(responses={200: SUBSCRIPTION_OR_NULL})
    def get(self, request: Request) -> Response:
        return Response(subscription_data(selectors.current_subscription(request.user)))


class PortalView(RateLimitedMixin, views.APIView):
    ratelimit_rules = {"*": (READ_USER,)}

    @extend_schema(
        request=None,
        responses={
            200: PortalOutputSerializer,
            404: error("No subscription to manage (`subscription_not_found`)."),
            502: error("The payment provider could not be reached (`billing_unavailable`)."),
        },
    )
    def post(self, request: Request) -> Response:
        return Response({"url": checkout.portal_url(request.user, site_url=_site_url(request))})
