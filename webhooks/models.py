from django.db import models


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received", "Received, not processed yet"
    QUEUED = "queued", "Status refresh queued"
    IGNORED = "ignored", "Nothing to do (duplicate, late or finished video)"
    REJECTED = "rejected", "Signature missing or invalid"
    INVALID = "invalid", "Malformed body"
    ERROR = "error", "Processing failed"


class WebhookDelivery(models.Model):
    """Every provider callback, stored raw before anything else happens."""

    provider = models.CharField(max_length=32)
    video_uuid = models.CharField(max_length=64, blank=True, db_index=True)
    task_id = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    query_string = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    signature_valid = models.BooleanField(null=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=DeliveryOutcome.choices, default=DeliveryOutcome.RECEIVED
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.provider} delivery {self.pk} ({self.outcome})"
