"""The demo provider's pages, mounted at ``/billing/`` (``path("billing/", include(...))``)."""

from django.urls import path

from credits.billing.views import demo_checkout, demo_portal

urlpatterns = [
    path("demo/checkout/<str:order_no>", demo_checkout, name="billing-demo-checkout"),
    path("demo/portal", demo_portal, name="billing-demo-portal"),
]
