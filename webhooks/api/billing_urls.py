from django.urls import path

from webhooks.api.billing_views import BillingWebhookView

urlpatterns = [
    path("<str:provider>", BillingWebhookView.as_view(), name="billing-webhook"),
]
