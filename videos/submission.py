"""Handing a PENDING video to its provider, with retries for what may pass later.

The ``submit_video`` task lives here with the code it runs.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from videos.models import FailureReason, Video, VideoStatus
from videos.provider_requests import generation_request, provider_failure_message
from videos.providers import UnknownProviderError, get_provider
from videos.providers.base import ProviderError
from videos.queue import enqueue, retry_delay
from videos.refresh import request_refresh
from videos.transitions import fail_video, locked

logger = logging.getLogger(__name__)


@task()
def submit_video(video_uuid: str, attempt: int = 1) -> None:
    submit_to_provider(video_uuid, attempt)


def enqueue_submission(video_uuid: str, *, attempt: int = 1, delay: float = 0) -> None:
    enqueue(submit_video, video_uuid, attempt=attempt, delay=delay)


def submit_to_provider(video_uuid: str, attempt: int = 1) -> None:
    """Hand a PENDING video to its provider; retry what may pass later, fail what won't."""
    # Claim this attempt: of parallel copies of one submission only one passes.
    updated = Video.objects.filter(
        pk=video_uuid, status=VideoStatus.PENDING, provider_task_id="", submit_attempts=attempt - 1
    ).update(submit_attempts=attempt, updated_at=timezone.now())
    if not updated:
        return  # already submitted or claimed, failed or gone
    video = Video.objects.get(pk=video_uuid)
    try:
        provider = get_provider(video.provider)
        task_id = provider.submit(generation_request(video))
    except UnknownProviderError:
        fail_video(video_uuid, f"The provider '{video.provider}' is not configured.", FailureReason.PROVIDER)
        return
    except ProviderError as error:
        if error.retryable and attempt < settings.PROVIDER_SUBMIT_ATTEMPTS:
            logger.warning("submit of %s failed (attempt %s), retrying: %s", video_uuid, attempt, error)
            enqueue_submission(video_uuid, attempt=attempt + 1, delay=retry_delay(attempt))
            return
        fail_video(video_uuid, provider_failure_message(error.message), FailureReason.PROVIDER)
        return

    with transaction.atomic():
        video = locked(video_uuid)
        if video.status != VideoStatus.PENDING:
            logger.warning(
                "video %s left PENDING while its submission ran; task %s ignored", video_uuid, task_id
            )
            return
        video.provider_task_id = task_id
        video.status = VideoStatus.GENERATING
        video.progress = 0
        video.heard_at = timezone.now()
        video.save()
    if not provider.sends_callbacks:
        request_refresh(video_uuid)
