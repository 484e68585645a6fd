"""What the videos domain announces: ``video_changed``, sent inside the saving transaction.

Every save of a video whose status or progress differs from what was loaded sends it,
whichever module made the change (submission, refresh, delivery, transitions, admin):
the row is saved under its lock inside ``transaction.atomic()``, and so is the signal's
receiver's work. Listeners (``webhooks``) must not leave the process: they write rows.

Arguments: ``video`` (the saved Video), ``created``, ``previous_status`` and
``previous_progress`` (None when created).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_init, post_save
from django.dispatch import Signal, receiver

from videos.models import Video

video_changed = Signal()


def _snapshot(video: Video) -> tuple[str | None, int | None]:
    return video.__dict__.get("status"), video.__dict__.get("progress")


@receiver(post_init, sender=Video, dispatch_uid="videos.signals.remember_state")
def remember_state(sender: type[Video], instance: Video, **kwargs: Any) -> None:
    # Loaded rows and new objects alike: a new one announces itself as created.
    instance._announced_state = _snapshot(instance)


@receiver(post_save, sender=Video, dispatch_uid="videos.signals.announce_change")
def announce_change(sender: type[Video], instance: Video, created: bool, **kwargs: Any) -> None:
    previous = None if created else getattr(instance, "_announced_state", None)
    current = _snapshot(instance)
    if previous == current:
        return
    instance._announced_state = current
    video_changed.send(
        sender=Video,
        video=instance,
        created=previous is None,
        previous_status=previous[0] if previous else None,
        previous_progress=previous[1] if previous else None,
    )
