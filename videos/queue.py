"""Putting video work on the task queue: one place that knows about deferral and backoff.

Knows no task by name, so that the modules defining tasks (``videos.submission``,
``videos.refresh``) and the ones enqueuing them share it without importing each other.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import Task, task_backends
from django.utils import timezone


def enqueue(task_obj: Task, *args: object, delay: float = 0, **kwargs: object) -> None:
    # A backend that cannot defer (the immediate one in tests) runs the task now.
    if delay > 0 and task_backends[task_obj.backend].supports_defer:
        task_obj = task_obj.using(run_after=timezone.now() + timedelta(seconds=delay))
    task_obj.enqueue(*args, **kwargs)


def retry_delay(attempt: int) -> float:
    """Exponential backoff from PROVIDER_RETRY_BASE_DELAY, at most five minutes."""
    return min(300.0, settings.PROVIDER_RETRY_BASE_DELAY * 2 ** (attempt - 1))
