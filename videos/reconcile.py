"""The reconciler: callbacks get lost, so videos not heard from are asked about periodically."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from videos.models import FailureReason, Video, VideoStatus
from videos.refresh import refresh_from_provider, request_refresh
from videos.selectors import videos_to_reconcile
from videos.submission import enqueue_submission
from videos.transitions import fail_video

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    refreshed: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)


def reconcile(*, now=None, limit: int = 500, inline: bool = False) -> ReconcileReport:
    """Look once at every video not heard from for VIDEO_QUIET_AFTER.

    ``inline`` runs the provider queries in this process (the management command's
    ``--inline``); otherwise they are queued for the worker.
    """
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.GENERATION_TIMEOUT)
    # A submission stuck this long was lost (a worker died mid-way); its queued retries
    # (at most a few minutes of backoff) are long over.
    lost_submission = now - timedelta(seconds=max(600, settings.VIDEO_QUIET_AFTER))
    report = ReconcileReport()
    active, late = videos_to_reconcile(now=now)
    batch = list(active[:limit])
    batch += list(late[: max(0, limit - len(batch))])
    # Timed out and asked again: asking moves updated_at, which spaces out the next question.
    asked_late = [v.uuid for v in batch if v.provider_task_id and v.status == VideoStatus.FAILED]
    Video.objects.filter(pk__in=asked_late, status=VideoStatus.FAILED).update(updated_at=now)
    for video in batch:
        uuid = str(video.uuid)
        if not video.provider_task_id:
            if video.created_at < deadline:
                message = "The provider could not be reached in time; your credits were returned."
                if fail_video(uuid, message, FailureReason.TIMEOUT):
                    report.timed_out.append(uuid)
            elif video.status == VideoStatus.PENDING and video.updated_at < lost_submission:
                # Marked, so the next rounds wait another while before trying again.
                Video.objects.filter(pk=uuid, status=VideoStatus.PENDING).update(updated_at=now)
                enqueue_submission(uuid, attempt=video.submit_attempts + 1)
                report.resubmitted.append(uuid)
            continue
        final = video.status != VideoStatus.FAILED and video.created_at < deadline
        if inline:
            refresh_from_provider(uuid, final=final)
        else:
            request_refresh(uuid, final=final)
        (report.timed_out if final else report.refreshed).append(uuid)
    return report
