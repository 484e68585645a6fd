"""Copying a finished result into our storage under a lease, then completing the video.

One copy runs at a time (the lease); one slower than UPLOAD_LEASE_SECONDS may be overtaken
by another. Each copy writes under names of its own and removes only files no video row
points to, so a stale copy can never take away the file a COMPLETED video shows.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from videos import storage
from videos.media import thumbnail_jpeg
from videos.models import FailureReason, Video, VideoStatus
from videos.providers import get_provider
from videos.providers.base import Provider, ProviderError, TaskStatus
from videos.queue import retry_delay
from videos.transitions import complete, end_late_window, fail_video, locked

logger = logging.getLogger(__name__)


def _claim_upload(video_uuid: str) -> bool:
    """Take the copy lease: only one worker copies a result at a time."""
    now = timezone.now()
    lease_expired_before = now - timedelta(seconds=settings.UPLOAD_LEASE_SECONDS)
    with transaction.atomic():
        video = locked(video_uuid)
        if video.deleted_at:
            return False
        lease_free = video.upload_started_at is None or video.upload_started_at < lease_expired_before
        if video.status in (VideoStatus.PENDING, VideoStatus.GENERATING):
            video.status = VideoStatus.UPLOADING
        elif video.status == VideoStatus.UPLOADING or video.timed_out:
            if not lease_free:
                return False
        else:
            return False
        video.upload_started_at = now
        video.upload_attempts += 1
        video.heard_at = now
        video.save()
        return True


def deliver_result(video_uuid: str, status: TaskStatus) -> float | None:
    """Copy the result into our storage, then settle the hold and complete — in that order.

    Returns the seconds after which a failed copy should be tried again (the caller owns
    the queue), or None when there is nothing more to do.
    """
    if not _claim_upload(video_uuid):
        return None
    video = Video.objects.get(pk=video_uuid)
    names = (storage.video_name(video_uuid), storage.thumbnail_name(video_uuid))
    try:
        if not status.result_urls:
            raise ProviderError("The provider reported success without a video.", retryable=False)
        provider = get_provider(video.provider)
        video_file, thumbnail_file = _copy_result(provider, status.result_urls[0], names)
    except Exception as error:
        retryable = not isinstance(error, ProviderError) or error.retryable
        logger.warning("copy of %s failed (attempt %s): %s", video_uuid, video.upload_attempts, error)
        discard(*names)  # a partial write under this copy's own names
        return _copy_failed(video, retryable=retryable, error=error)
    if not complete(video_uuid, video_file, thumbnail_file):
        discard(video_file, thumbnail_file)
    return None


def discard(*names: str) -> None:
    """Delete stored files that no video row points to (a row's files are someone's video)."""
    names = tuple(name for name in names if name)
    if not names:
        return
    kept = set(
        Video.objects.filter(Q(video_file__in=names) | Q(thumbnail_file__in=names)).values_list(
            "video_file", "thumbnail_file"
        )
    )
    kept_names = {name for pair in kept for name in pair}
    storage.delete(*(name for name in names if name not in kept_names))


@contextmanager
def _on_local_disk(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    """The result as a file on local disk (ffmpeg reads the thumbnail from it): the
    stream itself when it already is one, else a copy (bounded memory either way)."""
    name = getattr(stream, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        yield stream
        return
    with tempfile.NamedTemporaryFile(suffix=".mp4") as local:
        shutil.copyfileobj(stream, local, length=1024 * 1024)
        local.flush()
        local.seek(0)
        yield local


def _copy_result(provider: Provider, url: str, names: tuple[str, str]) -> tuple[str, str]:
    video_name, thumbnail_name = names
    with provider.open_result(url) as stream, _on_local_disk(stream) as local:
        video_file = storage.save(video_name, local)
        try:
            thumbnail = thumbnail_jpeg(local.name)
            thumbnail_file = storage.save(thumbnail_name, BytesIO(thumbnail))
        except Exception:
            logger.exception("no thumbnail for %s", video_name)
            thumbnail_file = ""
    return video_file, thumbnail_file


def _copy_failed(video: Video, *, retryable: bool, error: Exception) -> float | None:
    video_uuid = str(video.uuid)
    # Only this copy's own lease: another worker may have taken over since.
    Video.objects.filter(pk=video_uuid, upload_started_at=video.upload_started_at).update(
        upload_started_at=None
    )
    if retryable and video.upload_attempts < settings.UPLOAD_ATTEMPTS:
        return retry_delay(video.upload_attempts)
    detail = error.message if isinstance(error, ProviderError) else "storage error"
    end_late_window(video_uuid, FailureReason.STORAGE)
    fail_video(
        video_uuid,
        f"The finished video could not be copied into storage ({detail.rstrip('.')}); "
        "your credits were returned.",
        FailureReason.STORAGE,
    )
    return None
