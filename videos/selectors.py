"""Reads of videos; nothing here writes."""

from __future__ import annotations

import uuid as uuid_lib
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from videos.errors import VideoNotFoundError
from videos.models import ACTIVE_STATUSES, FailureReason, Video, VideoStatus, VideoTally

LIST_FIELDS = (
    "uuid", "status", "progress", "prompt", "model", "duration", "aspect_ratio", "quality",
    "start_image_url", "credits_used", "credit_status", "video_file", "thumbnail_file",
    "error_message", "created_at", "updated_at", "completed_at",
)  # fmt: skip


def parse_uuid(value: object) -> uuid_lib.UUID:
    try:
        return uuid_lib.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise VideoNotFoundError() from None


def visible_videos() -> QuerySet[Video]:
    return Video.objects.filter(deleted_at__isnull=True)


def videos_of(user, *, status: str | None = None, model: str | None = None) -> QuerySet[Video]:
    queryset = visible_videos().filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if model:
        queryset = queryset.filter(model=model)
    return queryset.order_by("-created_at", "-uuid").only(*LIST_FIELDS)


def visible_total(user, *, status: str | None = None, model: str | None = None) -> int | None:
    """The kept total of ``videos_of`` when unfiltered; None means "count the rows"."""
    if status or model:
        return None
    return VideoTally.objects.filter(user=user).values_list("visible", flat=True).first() or 0


def all_visible_total(
    *, user: str | None = None, status: str | None = None, model: str | None = None
) -> int | None:
    """The kept total of ``all_videos``: the sum of the users' tallies (one row per user, not
    one per video), or one user's by id; None means "count the rows"."""
    if status or model:
        return None
    if not user:
        return VideoTally.objects.aggregate(total=Coalesce(Sum("visible"), 0))["total"]
    if user.isascii() and user.isdigit():
        return VideoTally.objects.filter(user_id=int(user)).values_list("visible", flat=True).first() or 0
    return None


def all_videos(*, user: str | None = None, status: str | None = None, model: str | None = None):
    queryset = visible_videos().select_related("user").order_by("-created_at", "-uuid")
    if user:
        queryset = (
            queryset.filter(user_id=int(user))
            if user.isascii() and user.isdigit()
            else queryset.filter(user__email__iexact=user)
        )
    if status:
        queryset = queryset.filter(status=status)
    if model:
        queryset = queryset.filter(model=model)
    return queryset


def video_of(user, video_uuid: object) -> Video:
    """The caller's own visible video; anything else (missing, deleted, others') is 404."""
    try:
        return visible_videos().get(pk=parse_uuid(video_uuid), user=user)
    except Video.DoesNotExist:
        raise VideoNotFoundError() from None


def is_quiet(video: Video, *, now=None) -> bool:
    """Nothing heard from the provider for VIDEO_QUIET_AFTER seconds."""
    now = now or timezone.now()
    last = video.heard_at or video.updated_at or video.created_at
    return now - last >= timedelta(seconds=settings.VIDEO_QUIET_AFTER)


def may_hear_from_provider(video: Video) -> bool:
    """Whether a provider's answer can still change the video."""
    if video.deleted_at or not video.provider_task_id:
        return False
    return video.timed_out or not video.is_terminal  # a late success is still delivered


def callback_refusal(video_uuid: uuid_lib.UUID, task_id: str) -> str | None:
    """Why a provider's callback about ``task_id`` needs no refresh, or None if it does."""
    video = (
        Video.objects.filter(pk=video_uuid)
        .only("uuid", "status", "failure_reason", "provider_task_id")
        .first()
    )
    if video is None:
        return "unknown video"
    if video.provider_task_id and video.provider_task_id != task_id:
        return "task id does not match the video's task"
    if video.is_terminal and not video.timed_out:
        return "video already finished"
    if not video.provider_task_id:
        # Our submission has not recorded the task id yet; the reconciler asks later.
        return "video not yet submitted"
    return None


def late_recheck_floor() -> timedelta:
    """The shortest wait between two questions about a timed-out video."""
    return timedelta(seconds=max(settings.VIDEO_QUIET_AFTER, 300))


def videos_to_reconcile(*, now=None) -> tuple[QuerySet[Video], QuerySet[Video]]:
    """Unfinished videos that have been quiet, and timed-out ones whose result may still come.

    Two lists, so that the second (which no answer but a verdict shortens) never crowds
    out the first. A timed-out video is asked with a back-off: again once the time since
    it was last asked (``updated_at``, which the reconciler moves) is as long as the time
    from its timeout to that question — a handful of queries over its 24 hours.
    """
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.VIDEO_QUIET_AFTER)
    timeout = timedelta(seconds=settings.GENERATION_TIMEOUT)
    late_window = now - timeout - timedelta(hours=24)
    active = Video.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=quiet_since)
    late = (
        Video.objects.filter(
            status=VideoStatus.FAILED,
            failure_reason=FailureReason.TIMEOUT,
            deleted_at__isnull=True,
            created_at__gte=late_window,
            updated_at__lt=now - late_recheck_floor(),
        )
        .exclude(provider_task_id="")
        .alias(
            asked_after_timeout=ExpressionWrapper(
                F("updated_at") - F("created_at") - Value(timeout), output_field=DurationField()
            ),
            since_asked=ExpressionWrapper(
                Value(now, output_field=DateTimeField()) - F("updated_at"), output_field=DurationField()
            ),
        )
        .filter(asked_after_timeout__lte=F("since_asked"))
    )
    return active.order_by("updated_at"), late.order_by("updated_at")
