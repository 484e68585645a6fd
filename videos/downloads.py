"""Copying a provider's result file: a guarded, streamed download.

A result URL comes from a third party, so the download is treated as untrusted input:
http(s) only, no private/loopback/link-local/reserved targets (re-checked on every
redirect hop), bounded size and time, bounded memory, and it must look like a video.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from videos.providers.base import ProviderError
from videos.providers.http import http_timeout, new_session, translated_errors

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 500 * 1024 * 1024
DEFAULT_TOTAL_TIMEOUT = 600.0  # seconds for the whole body: a slow drip must end too
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM / Matroska
SNIFF_BYTES = 12

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refused(reason: str) -> ProviderError:
    return ProviderError(f"The video link was refused ({reason}).", retryable=False, code="refused")


def is_public_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (the DNS seam of the address check)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        # Often a passing DNS failure; a host that never resolves fails after the retries.
        raise ProviderError("The video host could not be resolved.", retryable=True, code="dns") from error
    # IPv6 link-local answers may carry a zone ("fe80::1%eth0").
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_remote_url(url: str) -> None:
    """Refuse URLs we must not fetch: other schemes, and private targets (unless allowed).

    The resolution here and the one ``requests`` makes are separate, so a DNS answer that
    changes in between (rebinding) is not caught; result hosts are provider CDNs.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _refused("only http and https links are fetched")
    host = parts.hostname
    if not host:
        raise _refused("the link has no host")
    if getattr(settings, "REMOTE_ASSET_ALLOW_PRIVATE", False):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise _refused("the link has an invalid port") from error
    addresses = resolve_host(host, port)
    if not addresses or not all(is_public_address(address) for address in addresses):
        logger.warning("refused download from %s (resolves to %s)", host, addresses)
        raise _refused("it points to a private or reserved address")


def looks_like_video(head: bytes) -> bool:
    # MP4/MOV start with an 'ftyp' box (its 4-byte size, then the type); WebM with EBML.
    return head[4:8] == b"ftyp" or head[:4] == EBML_MAGIC


def _get(session: requests.Session, url: str) -> requests.Response:
    with translated_errors():
        return session.get(
            url,
            stream=True,
            timeout=http_timeout(),
            # Redirects are followed by hand so every hop's target is checked.
            allow_redirects=False,
            # Compressed bodies would grow beyond the bytes we count on the wire.
            headers={"Accept-Encoding": "identity"},
        )


def _open_following_redirects(session: requests.Session, url: str) -> requests.Response:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        check_remote_url(current)
        response = _get(session, current)
        location = response.headers.get("Location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return response
        response.close()
        current = urljoin(current, location)
    raise _refused(f"more than {MAX_REDIRECTS} redirects")


def _check_status(response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    retryable = status == 429 or status >= 500
    raise ProviderError(
        f"The video file could not be downloaded (HTTP {status}).",
        retryable=retryable,
        code=str(status),
    )


def _too_large(max_bytes: int) -> ProviderError:
    megabytes = max_bytes / (1024 * 1024)
    return ProviderError(
        f"The video file is larger than the {megabytes:g} MB limit.",
        retryable=False,
        code="too_large",
    )


def _declared_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _copy_body(response: requests.Response, target: IO[bytes], max_bytes: int) -> int:
    total_timeout = float(getattr(settings, "VIDEO_DOWNLOAD_TIMEOUT", DEFAULT_TOTAL_TIMEOUT))
    deadline = time.monotonic() + total_timeout
    received = 0
    head = b""
    with translated_errors():
        for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                if len(head) >= SNIFF_BYTES and not looks_like_video(head):
                    raise _not_a_video()
            target.write(chunk)
            if time.monotonic() > deadline:
                raise ProviderError("The video download took too long.", retryable=True, code="timeout")
    if not looks_like_video(head):
        raise _not_a_video()
    return received


def _not_a_video() -> ProviderError:
    return ProviderError("The provider's result is not a video file.", retryable=False, code="not_a_video")


@contextmanager
def open_remote_video(url: str) -> Iterator[IO[bytes]]:
    """Download ``url`` into a temporary file and yield it rewound; it is gone afterwards.

    Raises ProviderError: retryable for timeouts, unreachable hosts, 429 and 5xx;
    permanent for refused links, other HTTP errors, oversized files and non-videos.
    """
    max_bytes = int(getattr(settings, "VIDEO_MAX_BYTES", DEFAULT_MAX_BYTES))
    # No provider credentials: result links are public, and must not learn our keys.
    session = new_session()
    try:
        response = _open_following_redirects(session, url)
        try:
            _check_status(response)
            declared = _declared_length(response)
            if declared is not None and declared > max_bytes:
                raise _too_large(max_bytes)
            # A named file on disk: bounded memory, and the caller can hand its path on
            # (ffmpeg reads thumbnails from it) instead of copying it again.
            with tempfile.NamedTemporaryFile(prefix="kensa-download-", suffix=".mp4") as local:
                _copy_body(response, local, max_bytes)
                response.close()  # the connection is not needed while the caller copies
                local.flush()
                local.seek(0)
                yield local
        finally:
            response.close()
    finally:
        session.close()
