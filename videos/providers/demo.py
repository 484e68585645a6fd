"""The built-in demo provider: no network, no key, instant success, a real playable MP4.

It lets a fresh checkout run the whole flow (hold → generate → store → settle). The result
URL ``demo://<task id>?duration=<s>&aspect=<w:h>`` carries what ``open_result`` needs to
render the clip, because ``open_result`` only receives the URL.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlencode, urlsplit

import imageio_ffmpeg

from videos.providers.base import GenerationRequest, Provider, ProviderError, TaskState, TaskStatus

SCHEME = "demo"
FPS = 12
MAX_DURATION = 60  # seconds; a bound on the work a crafted URL could ask for
RENDER_TIMEOUT = 60  # seconds
SHORT_SIDE = 360

# Small frames keep rendering well under a second; 720p is not the point of a demo.
FRAME_SIZES: Mapping[str, tuple[int, int]] = {
    "16:9": (640, 360),
    "9:16": (360, 640),
    "1:1": (480, 480),
    "4:3": (640, 480),
    "3:4": (480, 640),
    "21:9": (840, 360),
}


def frame_size(aspect_ratio: str) -> tuple[int, int]:
    """(width, height) for an aspect ratio; unknown ratios get a 360-pixel short side."""
    if aspect_ratio in FRAME_SIZES:
        return FRAME_SIZES[aspect_ratio]
    try:
        w, h = (int(part) for part in aspect_ratio.split(":"))
        if w <= 0 or h <= 0:
            raise ValueError(aspect_ratio)
    except ValueError as error:
        raise ProviderError(
            f"The demo provider does not support the aspect ratio {aspect_ratio!r}.",
            retryable=False,
        ) from error
    # libx264 with yuv420p needs even dimensions.
    if w >= h:
        return 2 * round(SHORT_SIDE * w / h / 2), SHORT_SIDE
    return SHORT_SIDE, 2 * round(SHORT_SIDE * h / w / 2)


def result_url(task_id: str, duration: int, aspect_ratio: str) -> str:
    return f"{SCHEME}://{task_id}?{urlencode({'duration': duration, 'aspect': aspect_ratio})}"


def parse_result_url(url: str) -> tuple[int, str]:
    """(duration, aspect ratio) from a ``demo://`` URL."""
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    try:
        if parts.scheme != SCHEME:
            raise ValueError(parts.scheme)
        duration = int(params["duration"][0])
        aspect_ratio = params["aspect"][0]
        if not 1 <= duration <= MAX_DURATION:
            raise ValueError(duration)
    except (KeyError, IndexError, ValueError) as error:
        raise ProviderError("The demo result link is not valid.", retryable=False) from error
    return duration, aspect_ratio


def render_mp4(path: str | Path, *, duration: int, width: int, height: int) -> None:
    """Write an H.264/yuv420p MP4 test pattern (moov first, so it streams) to ``path``."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={FPS}",
        "-t", str(duration),
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart",
        str(path),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=RENDER_TIMEOUT)  # noqa: S603
    except subprocess.TimeoutExpired as error:
        raise ProviderError("The demo video took too long to render.", retryable=True) from error
    except (subprocess.CalledProcessError, OSError) as error:
        raise ProviderError("The demo video could not be rendered.", retryable=False) from error


def render_thumbnail(video: str | Path | IO[bytes]) -> bytes:
    """A JPEG of the first frame of an MP4 given as a path or a binary file object."""
    from videos.media import thumbnail_jpeg

    if isinstance(video, str | Path):
        return thumbnail_jpeg(video)
    # ffmpeg needs a seekable file (the moov box may sit at the end): spool to disk.
    with tempfile.NamedTemporaryFile(suffix=".mp4") as local:
        shutil.copyfileobj(video, local, length=1024 * 1024)
        local.flush()
        return thumbnail_jpeg(local.name)


class DemoProvider(Provider):
    key = "demo"
    sends_callbacks = False

    def submit(self, request: GenerationRequest) -> str:
        frame_size(request.aspect_ratio)  # refuse an unusable ratio now, not at download
        return f"demo-{uuid.uuid4().hex}"

    def query(self, task_id: str, request: GenerationRequest) -> TaskStatus:
        return TaskStatus(
            task_id,
            TaskState.SUCCEEDED,
            progress=100,
            result_urls=(result_url(task_id, request.duration, request.aspect_ratio),),
        )

    @contextmanager
    def open_result(self, url: str) -> Iterator[IO[bytes]]:
        duration, aspect_ratio = parse_result_url(url)
        width, height = frame_size(aspect_ratio)
        # A directory, not a NamedTemporaryFile: ffmpeg writes the file by its own name.
        with tempfile.TemporaryDirectory(prefix="kensa-demo-") as tmp:
            path = Path(tmp) / "demo.mp4"
            render_mp4(path, duration=duration, width=width, height=height)
            with path.open("rb") as stream:
                yield stream
