from django.urls import path

from credits.api.billing_views import (
    CheckoutView,
    OrderListView,
    PortalView,
    ProductListView,
    SubscriptionView,
)
from credits.api.views import CreditHistoryView

urlpatterns = [
    path("history", CreditHistoryView.as_view(), name="credit-history"),
    path("products", ProductListView.as_view(), name="credit-products"),
    path("checkout", CheckoutView.as_view(), name="credit-checkout"),
    path("orders", OrderListView.as_view(), name="credit-orders"),
    path("subscription", SubscriptionView.as_view(), name="credit-subscription"),
    path("portal", PortalView.as_view(), name="credit-portal"),
]
