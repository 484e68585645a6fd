"""Helpers of the notification tests: endpoints wired to loopback receivers, signatures
checked by the Standard Webhooks reference library (not by Kensa's own code)."""

from __future__ import annotations

import json

from standardwebhooks.webhooks import Webhook

from tests.fakes.webhook_receiver import Received
from webhooks.models import WebhookEndpoint


def verified(endpoint: WebhookEndpoint | str, received: Received) -> dict:
    """The event a request carried, once its signature verified; raises if it does not."""
    secret = endpoint if isinstance(endpoint, str) else endpoint.secret
    Webhook(secret).verify(received.body, received.headers)
    return json.loads(received.body)


def add_endpoint(user, url: str, events: list[str] | None = None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(user=user, url=url, events=events or [])
