"""Where results live: Django's default storage (a local folder, or an S3-compatible bucket)."""

from __future__ import annotations

import logging
import secrets
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


# Every copy writes under a name of its own: a copy that lost its lease (or crashed) never
# overwrites or removes the file a COMPLETED video points to.
def video_name(video_uuid: str) -> str:
    return f"videos/{video_uuid}-{secrets.token_hex(4)}.mp4"


def thumbnail_name(video_uuid: str) -> str:
    return f"thumbnails/{video_uuid}-{secrets.token_hex(4)}.jpg"


def save(name: str, stream: IO[bytes]) -> str:
    """Store ``stream`` under ``name``, or a free variant of it; returns the name used."""
    return default_storage.save(name, File(stream, name=name.rsplit("/", 1)[-1]))


def url(name: str) -> str | None:
    return default_storage.url(name) if name else None


def delete(*names: str) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            # The row is what users see; a file we fail to remove is logged for cleanup.
            logger.exception("could not delete stored file %s", name)
