from django.urls import path

from webhooks.api.endpoint_views import WebhookDeliveryViewSet, WebhookEndpointViewSet
from webhooks.api.stream import event_stream

endpoint = WebhookEndpointViewSet.as_view

urlpatterns = [
    path("events", event_stream, name="event-stream"),
    path("webhooks/endpoints", endpoint({"get": "list", "post": "create"}), name="webhook-endpoints"),
    path(
        "webhooks/endpoints/<str:pk>",
        endpoint({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="webhook-endpoint",
    ),
    path(
        "webhooks/endpoints/<str:pk>/rotate-secret",
        endpoint({"post": "rotate_secret"}),
        name="webhook-rotate-secret",
    ),
    path("webhooks/endpoints/<str:pk>/test", endpoint({"post": "test"}), name="webhook-test"),
    path(
        "webhooks/endpoints/<str:pk>/deliveries", endpoint({"get": "deliveries"}), name="webhook-deliveries"
    ),
    path(
        "webhooks/deliveries/<str:pk>/retry",
        WebhookDeliveryViewSet.as_view({"post": "retry"}),
        name="webhook-delivery-retry",
    ),
]
