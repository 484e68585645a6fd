import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from kensa.api.fields import iso_utc


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received", "Received, not processed yet"
    QUEUED = "queued", "Status refresh queued"
    IGNORED = "ignored", "Nothing to do (duplicate, late or finished video)"
    REJECTED = "rejected", "Signature missing or invalid"
    INVALID = "invalid", "Malformed body"
    ERROR = "error", "Processing failed"
    APPLIED = "applied", "Payment event applied"
    WAITING = "waiting", "Payment event waits for the payment it refers to"


class DeliveryKind(models.TextChoices):
    CALLBACK = "callback", "Video provider callback"
    BILLING = "billing", "Payment event"


class WebhookDelivery(models.Model):
    """Every provider callback and payment event, stored raw before anything else happens."""

    kind = models.CharField(max_length=16, choices=DeliveryKind.choices, default=DeliveryKind.CALLBACK)
    provider = models.CharField(max_length=32)
    # A payment event's id at its provider, once its signature is checked.
    event_id = models.CharField(max_length=255, blank=True, db_index=True)
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


# --- outbound: the event outbox and users' endpoints (docs/api.md: Notifications) -------------------------


class EventType(models.TextChoices):
    VIDEO_UPDATED = "video.updated", "A video's status or progress changed"
    VIDEO_COMPLETED = "video.completed", "A video is ready"
    VIDEO_FAILED = "video.failed", "A video failed"
    CREDITS_CHANGED = "credits.changed", "A ledger entry was written"
    ORDER_PAID = "order.paid", "An order was paid"
    ORDER_REFUNDED = "order.refunded", "An order was refunded or disputed"
    PING = "ping", "A test sent to one endpoint"


# What an endpoint may subscribe to (a ping goes to the one endpoint it tests).
SUBSCRIBABLE_TYPES = tuple(t for t in EventType.values if t != EventType.PING)


def new_event_id() -> str:
    return f"evt_{secrets.token_urlsafe(18)}"


class Event(models.Model):
    """One row of the outbox, written in the transaction of the change it reports.

    ``id`` orders a user's events: writers of one user's events queue on a per-user lock
    (``webhooks.outbox``), so a user's events commit in ``id`` order and a stream resuming
    after id N misses nothing. ``public_id`` is the ``evt_…`` clients see.
    """

    public_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32, choices=EventType.choices)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "id"], name="webhooks_event_user_id"),
            models.Index(fields=["created_at"], name="webhooks_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"

    def as_payload(self) -> dict:
        """The event as clients receive it: ``{id, type, createdAt, data}``."""
        return {
            "id": self.public_id,
            "type": self.type,
            "createdAt": iso_utc(self.created_at),
            "data": self.data,
        }


def new_endpoint_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A URL of a user's that receives their events, signed with its own secret."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    # Event types delivered; empty = all of them.
    events = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=80, default=new_endpoint_secret)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    # Start of the current run of failed attempts (none succeeded since); None when healthy.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "created_at"], name="webhooks_endpoint_user")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        if event_type == EventType.PING:
            return False
        return not self.events or event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    DELIVERED = "delivered", "Delivered (2xx)"
    FAILED = "failed", "Failed: no attempts left"


class EventDelivery(models.Model):
    """One event owed to one endpoint: created with the event, retried until 2xx or given up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # A worker sending it holds this lease; past it, the attempt is presumed dead (crash).
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "event deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhooks_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_due",
            ),
            models.Index(fields=["endpoint", "leased_until"], name="webhooks_delivery_leases"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP request to an endpoint: what it answered, how long it took, what comes next."""

    delivery = models.ForeignKey(EventDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhooks_attempt_endpoint")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
