"""Creem's webhook at ``/api/auth/creem/webhook``, the path Kensa's docs give Creem."""

from django.urls import path

from webhooks.api.billing_views import CreemWebhookView

urlpatterns = [
    path("", CreemWebhookView.as_view(), name="creem-webhook"),
]
