"""Copying a provider's result file: a guarded, streamed download.

A result URL comes from a third party, so the download is untrusted input. Where it may
connect is the outbound guard's job (``kensa.outbound``: http(s) only, one reading of the
URL, no private targets, the checked address pinned, every redirect hop checked again,
one deadline for connect, headers, redirects and body). This module adds what a result
must be: bounded in size, streamed to disk in bounded memory, and a video.

Failures are the guard's ``OutboundError`` (``retryable``, ``code``); the provider contract
(``videos.providers.base``) turns them into ``ProviderError``. Nothing here imports
provider code, so the two never import each other.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.conf import settings

from kensa.outbound import Fetched, OutboundError, fetch, split_timeout

DEFAULT_MAX_BYTES = 500 * 1024 * 1024
DEFAULT_TOTAL_TIMEOUT = 600.0  # seconds for the whole download: a slow drip must end too
DEFAULT_READ_TIMEOUT = 10.0
MAX_REDIRECTS = 3
EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM / Matroska
SNIFF_BYTES = 12


def looks_like_video(head: bytes) -> bool:
    # MP4/MOV start with an 'ftyp' box (its 4-byte size, then the type); WebM with EBML.
    return head[4:8] == b"ftyp" or head[:4] == EBML_MAGIC


def _check_status(status: int) -> None:
    if status == 200:
        return
    raise OutboundError(
        f"The video file could not be downloaded (HTTP {status}).",
        retryable=status == 429 or status >= 500,
        code=str(status),
    )


def _too_large(max_bytes: int) -> OutboundError:
    megabytes = max_bytes / (1024 * 1024)
    return OutboundError(
        f"The video file is larger than the {megabytes:g} MB limit.", retryable=False, code="too_large"
    )


def _not_a_video() -> OutboundError:
    return OutboundError("The provider's result is not a video file.", retryable=False, code="not_a_video")


def _declared_length(answer: Fetched) -> int | None:
    try:
        return int(answer.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _copy_body(answer: Fetched, target: IO[bytes], max_bytes: int) -> int:
    received = 0
    head = b""
    for chunk in answer.iter_body():
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(max_bytes)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES and not looks_like_video(head):
                raise _not_a_video()
        target.write(chunk)
    if not looks_like_video(head):
        raise _not_a_video()
    return received


@contextmanager
def open_remote_video(url: str) -> Iterator[IO[bytes]]:
    """Download ``url`` into a temporary file and yield it rewound; it is gone afterwards.

    Raises OutboundError: retryable for timeouts (``VIDEO_DOWNLOAD_TIMEOUT`` bounds the
    whole download), unreachable hosts, 429 and 5xx; permanent for refused links, other
    HTTP errors, oversized files and non-videos.
    """
    max_bytes = int(getattr(settings, "VIDEO_MAX_BYTES", DEFAULT_MAX_BYTES))
    total_timeout = float(getattr(settings, "VIDEO_DOWNLOAD_TIMEOUT", DEFAULT_TOTAL_TIMEOUT))
    timeout = split_timeout(getattr(settings, "PROVIDER_HTTP_TIMEOUT", DEFAULT_READ_TIMEOUT))
    # No provider credentials: result links are public, and must not learn our keys.
    with fetch(
        "GET", url, timeout=timeout, total_timeout=total_timeout, max_redirects=MAX_REDIRECTS
    ) as answer:
        _check_status(answer.status_code)
        declared = _declared_length(answer)
        if declared is not None and declared > max_bytes:
            raise _too_large(max_bytes)
        # A named file on disk: bounded memory, and the caller can hand its path on
        # (ffmpeg reads thumbnails from it) instead of copying it again.
        with tempfile.NamedTemporaryFile(prefix="kensa-download-", suffix=".mp4") as local:
            _copy_body(answer, local, max_bytes)
            answer.close()  # neither the connection nor the deadline matter while the caller copies
            local.flush()
            local.seek(0)
            yield local
