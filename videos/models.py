from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class VideoStatus(models.TextChoices):
    PENDING = "PENDING"  # accepted, credits held, not yet with the provider
    GENERATING = "GENERATING"  # the provider has it
    UPLOADING = "UPLOADING"  # copying the result into our storage
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


TERMINAL_STATUSES = (VideoStatus.COMPLETED, VideoStatus.FAILED)
ACTIVE_STATUSES = (VideoStatus.PENDING, VideoStatus.GENERATING, VideoStatus.UPLOADING)


class CreditStatus(models.TextChoices):
    HELD = "HELD"
    CONSUMED = "CONSUMED"
    RELEASED = "RELEASED"


class FailureReason(models.TextChoices):
    PROVIDER = "provider", "The provider refused or failed the generation"
    TIMEOUT = "timeout", "No verdict within GENERATION_TIMEOUT"
    STORAGE = "storage", "The result could not be copied into our storage"
    STAFF = "staff", "Failed by staff"


class Video(models.Model):
    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="videos")
    status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.PENDING)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    prompt = models.TextField()
    model = models.CharField(max_length=64, help_text="Catalogue model id.")
    duration = models.PositiveIntegerField()
    aspect_ratio = models.CharField(max_length=8)
    quality = models.CharField(max_length=16)
    start_image_url = models.URLField(max_length=2048, blank=True)
    credits_used = models.PositiveIntegerField()
    credit_status = models.CharField(max_length=16, choices=CreditStatus.choices, default=CreditStatus.HELD)

    provider = models.CharField(max_length=32)
    provider_model = models.CharField(max_length=128)
    provider_task_id = models.CharField(max_length=255, blank=True)
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    # Last time the provider told us anything (submit, query, callback).
    heard_at = models.DateTimeField(null=True, blank=True)
    # A worker copying the result holds this lease; a crashed copy is retried after it.
    upload_started_at = models.DateTimeField(null=True, blank=True)
    upload_attempts = models.PositiveSmallIntegerField(default=0)

    video_file = models.CharField(max_length=255, blank=True)
    thumbnail_file = models.CharField(max_length=255, blank=True)
    error_message = models.TextField(blank=True)
    failure_reason = models.CharField(max_length=16, choices=FailureReason.choices, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-uuid"]
        indexes = [
            # "A user's videos, newest first" (the list endpoint), deleted ones hidden.
            models.Index(
                fields=["user", "-created_at", "-uuid"],
                condition=Q(deleted_at__isnull=True),
                name="video_user_recent_idx",
            ),
            # Ends on the primary key: a page's keys come from the index alone (kensa.api.pagination).
            models.Index(
                fields=["user", "status", "-created_at", "-uuid"],
                condition=Q(deleted_at__isnull=True),
                name="video_user_status_recent_idx",
            ),
            # The reconciler's two scans: unfinished videos, and timed-out ones still
            # waiting for a late result; both by how long they have been quiet.
            models.Index(
                fields=["updated_at"],
                condition=Q(status__in=["PENDING", "GENERATING", "UPLOADING"]),
                name="video_active_idx",
            ),
            models.Index(
                fields=["updated_at"],
                condition=Q(status="FAILED", failure_reason="timeout"),
                name="video_late_idx",
            ),
            models.Index(fields=["-created_at"], name="video_created_idx"),
            # The staff list, newest first, deleted ones hidden.
            models.Index(
                fields=["-created_at", "-uuid"],
                condition=Q(deleted_at__isnull=True),
                name="video_visible_recent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def timed_out(self) -> bool:
        """FAILED by GENERATION_TIMEOUT, credits returned: the provider may still deliver it
        (a late success, copied and completed free of charge)."""
        return self.status == VideoStatus.FAILED and self.failure_reason == FailureReason.TIMEOUT


class VideoTally(models.Model):
    """How many visible videos a user has: the list's total without counting the rows.

    Changed only next to the rows it counts, in the same transaction (generate +1,
    delete -1).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="video_tally"
    )
    visible = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.visible} videos"


class IdempotencyRecord(models.Model):
    """The first answer to a generate request sent with an ``Idempotency-Key``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    video = models.ForeignKey(Video, on_delete=models.CASCADE)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} → {self.video_id}"
