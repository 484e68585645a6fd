from __future__ import annotations

from rest_framework import serializers

from kensa.api.fields import iso_utc
from webhooks.endpoints import MAX_URL_LENGTH, url_problem
from webhooks.models import SUBSCRIBABLE_TYPES, DeliveryAttempt, EventDelivery, WebhookEndpoint


class EventTypesField(serializers.ListField):
    child = serializers.CharField(max_length=64)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        unknown = [value for value in values if value not in SUBSCRIBABLE_TYPES]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown event type {', '.join(unknown)}; choose from {', '.join(SUBSCRIBABLE_TYPES)}."
            )
        return list(dict.fromkeys(values))


class EndpointInputSerializer(serializers.Serializer):
    # The length is checked by url_problem too; here it stops a huge body early.
    url = serializers.CharField(max_length=MAX_URL_LENGTH, trim_whitespace=True)
    events = EventTypesField(required=False, max_length=len(SUBSCRIBABLE_TYPES))
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)

    def validate_url(self, value: str) -> str:
        if problem := url_problem(value):
            raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs: dict) -> dict:
        if not self.partial:
            attrs.setdefault("events", [])
            attrs.setdefault("description", "")
            if "enabled" in attrs:
                raise serializers.ValidationError({"enabled": ["A new endpoint is enabled."]})
        return attrs


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    disabledReason = serializers.CharField(allow_null=True)
    failingSince = serializers.DateTimeField(allow_null=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()

    def to_representation(self, endpoint: WebhookEndpoint) -> dict:
        return {
            "id": str(endpoint.pk),
            "url": endpoint.url,
            "description": endpoint.description,
            "events": list(endpoint.events),
            "enabled": endpoint.enabled,
            "disabledReason": endpoint.disabled_reason or None,
            "failingSince": iso_utc(endpoint.failing_since),
            "createdAt": iso_utc(endpoint.created_at),
            "updatedAt": iso_utc(endpoint.updated_at),
        }


class EndpointWithSecretOutputSerializer(EndpointOutputSerializer):
    """Creation and rotation only: the signing secret is shown then and never again."""

    secret = serializers.CharField()

    def to_representation(self, endpoint: WebhookEndpoint) -> dict:
        return {**super().to_representation(endpoint), "secret": endpoint.secret}


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    endpointId = serializers.UUIDField()
    eventId = serializers.CharField()
    eventType = serializers.CharField()
    status = serializers.CharField(help_text="pending, delivered or failed")
    attempts = serializers.IntegerField()
    nextAttemptAt = serializers.DateTimeField(allow_null=True)

    def to_representation(self, delivery: EventDelivery) -> dict:
        return {
            "id": str(delivery.pk),
            "endpointId": str(delivery.endpoint_id),
            "eventId": delivery.event.public_id,
            "eventType": delivery.event.type,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "nextAttemptAt": iso_utc(delivery.next_attempt_at),
        }


class AttemptOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    deliveryId = serializers.UUIDField()
    eventId = serializers.CharField()
    eventType = serializers.CharField()
    attempt = serializers.IntegerField()
    statusCode = serializers.IntegerField(allow_null=True)
    durationMs = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    nextRetryAt = serializers.DateTimeField(allow_null=True)
    deliveryStatus = serializers.CharField()
    createdAt = serializers.DateTimeField()

    def to_representation(self, attempt: DeliveryAttempt) -> dict:
        delivery = attempt.delivery
        return {
            "id": attempt.pk,
            "deliveryId": str(delivery.pk),
            "eventId": delivery.event.public_id,
            "eventType": delivery.event.type,
            "attempt": attempt.number,
            "statusCode": attempt.status_code,
            "durationMs": attempt.duration_ms,
            "error": attempt.error or None,
            "nextRetryAt": iso_utc(attempt.next_retry_at),
            "deliveryStatus": delivery.status,
            "createdAt": iso_utc(attempt.created_at),
        }
