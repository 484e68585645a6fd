"""Hearing from providers: status refreshes (queued or inline) and what their answers change.

The provider is the source of truth: callbacks and the reconciler only trigger a refresh,
whose answer decides. The ``refresh_video`` task lives here with the code it runs.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from videos.delivery import deliver_result
from videos.models import FailureReason, Video, VideoStatus
from videos.provider_requests import generation_request, provider_failure_message
from videos.providers import UnknownProviderError, get_provider
from videos.providers.base import ProviderError, TaskState, TaskStatus
from videos.queue import enqueue
from videos.selectors import may_hear_from_provider
from videos.transitions import end_late_window, fail_video, locked, time_out

logger = logging.getLogger(__name__)

# While a refresh is queued, further requests for the same video are dropped.
REFRESH_DEDUPE_SECONDS = 30

TIMEOUT_MESSAGE = "The provider did not finish the video in time; your credits were returned."


@task()
def refresh_video(video_uuid: str, final: bool = False) -> None:
    _forget_refresh_request(video_uuid, final)
    refresh_from_provider(video_uuid, final=final)


def _refresh_key(video_uuid: str, final: bool) -> str:
    return f"videos:refresh:{video_uuid}:{'final' if final else 'update'}"


def _forget_refresh_request(video_uuid: str, final: bool) -> None:
    """Let the next request for this video queue again; a cache outage only costs a duplicate."""
    try:
        cache.delete(_refresh_key(video_uuid, final))
    except Exception:
        logger.warning("cache unavailable; refresh de-duplication skipped")


def request_refresh(video_uuid: str, *, final: bool = False, delay: float = 0, force: bool = False) -> bool:
    """Queue a status refresh unless one is already queued. Never blocks on the provider.

    Returns whether a refresh was queued; a queue that is down is logged, not raised: the
    reconciler asks again on its next round.
    """
    if not force:
        try:
            if not cache.add(_refresh_key(video_uuid, final), 1, REFRESH_DEDUPE_SECONDS + delay):
                return False
        except Exception:
            logger.warning("cache unavailable; refresh de-duplication skipped")
    try:
        enqueue(refresh_video, video_uuid, final=final, delay=delay)
    except Exception:
        logger.exception("could not queue a refresh of %s", video_uuid)
        return False
    return True


def refresh_from_provider(video_uuid: str, *, final: bool = False) -> None:
    """Ask the provider for the task's state (the source of truth) and act on it.

    ``final`` is the reconciler's last word on a video past GENERATION_TIMEOUT: without
    a verdict now, it fails and its hold is released (unless a copy is running).
    """
    video = Video.objects.filter(pk=video_uuid).first()
    if video is None or not may_hear_from_provider(video):
        return
    try:
        provider = get_provider(video.provider)
        status = provider.query(video.provider_task_id, generation_request(video))
    except (ProviderError, UnknownProviderError) as error:
        logger.warning("status query for %s failed: %s", video_uuid, error)
        status = None
    except Exception:
        # The timeout below must not depend on the adapter being free of bugs.
        logger.exception("status query for %s crashed", video_uuid)
        status = None
    if status is not None:
        apply_provider_status(video_uuid, status)
    if final and (status is None or not status.is_terminal):
        time_out(video_uuid, TIMEOUT_MESSAGE)


def apply_provider_status(video_uuid: str, status: TaskStatus) -> None:
    if status.state == TaskState.SUCCEEDED:
        retry_after = deliver_result(video_uuid, status)
        if retry_after is not None:
            request_refresh(video_uuid, delay=retry_after, force=True)
    elif status.state == TaskState.FAILED:
        reason = status.error_message or "The provider could not generate this video."
        if not fail_video(video_uuid, provider_failure_message(reason)):
            end_late_window(video_uuid, FailureReason.PROVIDER)
    else:
        with transaction.atomic():
            video = locked(video_uuid)
            if video.status not in (VideoStatus.PENDING, VideoStatus.GENERATING):
                return
            video.status = VideoStatus.GENERATING
            if status.progress is not None:
                video.progress = max(0, min(99, status.progress))
            video.heard_at = timezone.now()
            video.save()
