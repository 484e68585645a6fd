"""Background work on django.tasks: provider submission, status refreshes, reconciliation.

Tasks take plain strings (they are stored as JSON) and delegate to ``videos.services``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.tasks import task, task_backends
from django.utils import timezone

logger = logging.getLogger(__name__)

# While a refresh is queued, further requests for the same video are dropped.
REFRESH_DEDUPE_SECONDS = 30


@task()
def submit_video(video_uuid: str, attempt: int = 1) -> None:
    from videos import services

    services.submit_to_provider(video_uuid, attempt)


@task()
def refresh_video(video_uuid: str, final: bool = False) -> None:
    from videos import services

    cache_delete_quietly(_refresh_key(video_uuid, final))
    services.refresh_from_provider(video_uuid, final=final)


def _enqueue(task_obj, *args, delay: float = 0, **kwargs) -> None:
    if delay > 0 and task_backends[task_obj.backend].supports_defer:
        task_obj = task_obj.using(run_after=timezone.now() + timedelta(seconds=delay))
    task_obj.enqueue(*args, **kwargs)


def enqueue_submission(video_uuid: str, *, attempt: int = 1, delay: float = 0) -> None:
    _enqueue(submit_video, video_uuid, attempt=attempt, delay=delay)


def _refresh_key(video_uuid: str, final: bool) -> str:
    return f"videos:refresh:{video_uuid}:{'final' if final else 'update'}"


def cache_delete_quietly(key: str) -> None:
    try:
        cache.delete(key)
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
        _enqueue(refresh_video, video_uuid, final=final, delay=delay)
    except Exception:
        logger.exception("could not queue a refresh of %s", video_uuid)
        return False
    return True
