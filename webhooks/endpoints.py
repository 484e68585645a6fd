"""Users' webhook endpoints: create, change, delete, rotate the secret, test, retry.

The URL rule (docs/api.md: Notifications): https — http too with DEBUG or WEBHOOKS_ALLOW_HTTP — to a
public address, checked by the same guard as every outbound request (kensa.outbound),
which REMOTE_ASSET_ALLOW_PRIVATE lifts for local testing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kensa.outbound import OutboundError, check_url
from webhooks.delivery import enqueue_delivery
from webhooks.errors import EndpointDisabledError, EndpointLimitError
from webhooks.models import DeliveryStatus, EventDelivery, WebhookEndpoint, new_endpoint_secret
from webhooks.outbox import record_ping

MAX_URL_LENGTH = 2000


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint, or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"At most {MAX_URL_LENGTH} characters."
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    http_allowed = settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP
    if scheme != "https" and not (scheme == "http" and http_allowed):
        return "Enter an https URL." if not http_allowed else "Enter an http or https URL."
    try:
        check_url(url)
    except OutboundError as error:
        if error.code == "dns":
            return "The host could not be resolved."
        return error.message
    return None


def create_endpoint(user, *, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    limit = settings.WEBHOOKS_MAX_ENDPOINTS
    with transaction.atomic():
        # The user's row lock makes "count, then add" one step for parallel requests.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if WebhookEndpoint.objects.filter(user=user).count() >= limit:
            raise EndpointLimitError(limit)
        return WebhookEndpoint.objects.create(user=user, url=url, events=events, description=description)


def update_endpoint(endpoint: WebhookEndpoint, changes: dict) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        for field in ("url", "events", "description"):
            if field in changes:
                setattr(endpoint, field, changes[field])
        if "enabled" in changes and changes["enabled"] != endpoint.enabled:
            endpoint.enabled = changes["enabled"]
            # Enabled again: a fresh start, the 5-day clock included.
            endpoint.disabled_reason = "" if endpoint.enabled else "Disabled by its owner."
            endpoint.failing_since = None
        endpoint.save()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.secret = new_endpoint_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def send_ping(endpoint: WebhookEndpoint) -> EventDelivery:
    if not endpoint.enabled:
        raise EndpointDisabledError()
    return record_ping(endpoint)


def retry_delivery(delivery: EventDelivery) -> EventDelivery:
    """Send a delivery again now (one attempt more; a pending one keeps its schedule after)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if not endpoint.enabled:
            raise EndpointDisabledError()
        delivery = EventDelivery.objects.select_for_update().select_related("event").get(pk=delivery.pk)
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "next_attempt_at"])
        transaction.on_commit(lambda: enqueue_delivery(str(delivery.pk)), robust=True)
    return delivery
