"""Status changes of a video: fail, time out, complete, delete — each under its row lock.

Every transition takes the video's row lock (``select_for_update``) and re-checks the
status under it, so callbacks, the reconciler, retries and staff can race freely: each
transition happens once. Provider calls and downloads never run while a lock is held.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from credits import services as credit_services
from videos import storage
from videos.errors import VideoNotFinishedError, VideoNotFoundError
from videos.models import CreditStatus, FailureReason, Video, VideoStatus, VideoTally
from videos.selectors import video_of


def locked(video_uuid: str) -> Video:
    """The video's row, locked until the surrounding transaction ends."""
    return Video.objects.select_for_update().get(pk=video_uuid)


def count_visible(user_id: int, delta: int) -> None:
    """Move a user's visible-video tally; call inside the transaction that adds or hides one."""
    if not VideoTally.objects.filter(user_id=user_id).update(visible=F("visible") + delta):
        VideoTally.objects.get_or_create(user_id=user_id)  # a parallel first video: the key decides
        VideoTally.objects.filter(user_id=user_id).update(visible=F("visible") + delta)


def _fail(video: Video, message: str, reason: str) -> None:
    video.status = VideoStatus.FAILED
    video.error_message = message
    video.failure_reason = reason
    video.upload_started_at = None
    credit_services.release(str(video.uuid))
    video.credit_status = CreditStatus.RELEASED
    video.save()


def fail_video(video_uuid: str, message: str, reason: str = FailureReason.PROVIDER) -> bool:
    """FAILED with a readable message, hold released. False if the video had already ended."""
    with transaction.atomic():
        video = locked(video_uuid)
        if video.is_terminal:
            return False
        _fail(video, message, reason)
    return True


def copy_in_progress(video: Video) -> bool:
    """A copy holds a live lease: the result exists, the lease bounds how long it takes."""
    live_since = timezone.now() - timedelta(seconds=settings.UPLOAD_LEASE_SECONDS)
    return (
        video.status == VideoStatus.UPLOADING
        and video.upload_started_at is not None
        and video.upload_started_at > live_since
    )


def time_out(video_uuid: str, message: str) -> bool:
    """GENERATION_TIMEOUT's verdict: FAILED, hold released — unless a copy is running.

    Decided under the row lock: a copy that claims the video after the caller looked is
    seen here, so the timeout never releases the hold of a video being delivered.
    """
    with transaction.atomic():
        video = locked(video_uuid)
        if video.is_terminal or copy_in_progress(video):
            return False
        _fail(video, message, FailureReason.TIMEOUT)
    return True


def end_late_window(video_uuid: str, reason: str) -> None:
    """A timed-out video got its verdict after all: stop looking for a late success."""
    Video.objects.filter(
        pk=video_uuid, status=VideoStatus.FAILED, failure_reason=FailureReason.TIMEOUT
    ).update(failure_reason=reason)


def complete(video_uuid: str, video_file: str, thumbnail_file: str) -> bool:
    """COMPLETED with the copied files, hold settled (a late success is free).

    False when another copy won (this one's lease had expired) or the video is gone: the
    caller's files are then nobody's.
    """
    with transaction.atomic():
        video = locked(video_uuid)
        late_success = video.timed_out
        if video.deleted_at or not (video.status == VideoStatus.UPLOADING or late_success):
            return False
        if not late_success:
            # A late success was already released: the user gets it free.
            credit_services.settle(video_uuid)
            video.credit_status = CreditStatus.CONSUMED
        video.status = VideoStatus.COMPLETED
        video.progress = 100
        video.video_file = video_file
        video.thumbnail_file = thumbnail_file
        video.error_message = ""
        video.failure_reason = ""
        video.upload_started_at = None
        video.completed_at = timezone.now()
        video.save()
    return True


def delete_video(user, video_uuid: str) -> Video:
    with transaction.atomic():
        video = video_of(user, video_uuid)
        video = locked(str(video.uuid))
        if video.deleted_at:
            raise VideoNotFoundError()
        if not video.is_terminal:
            raise VideoNotFinishedError()
        video.deleted_at = timezone.now()
        video.save(update_fields=["deleted_at", "updated_at"])
        count_visible(video.user_id, -1)
        files = (video.video_file, video.thumbnail_file)
        transaction.on_commit(lambda: storage.delete(*files))
    return video
