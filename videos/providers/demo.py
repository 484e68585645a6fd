"""The built-in demo provider: no network, no key, instant success, a real playable MP4.

It lets a fresh checkout run the whole flow (hold → generate → store → settle). The clip
has the requested duration, aspect ratio and quality (720p is 1280×720 at 16:9), and a
tone when the model makes sound. The result URL
``demo://<task id>?duration=<s>&aspect=<w:h>&quality=<q>&audio=<0|1>`` carries all of
that, because ``open_result`` only receives the URL.
"""

from __future__ import annotations

import re
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
# Few frames, a flat background and a small moving test card keep a 10-second 1080p clip
# under a second of CPU: the worker renders it in-line while copying the result.
FPS = 12
MAX_DURATION = 60  # seconds; a bound on the work a crafted URL could ask for
RENDER_TIMEOUT = 60  # seconds
DEFAULT_SHORT_SIDE = 720  # for a quality label that names no height
MIN_SHORT_SIDE = 144
MAX_SHORT_SIDE = 2160
MAX_ELONGATION = 4  # long side / short side; 21:9 is 2.3
BACKGROUND = "0x1d3557"
TONE_HZ = 440
NAMED_QUALITIES: Mapping[str, int] = {"sd": 480, "hd": 720, "fhd": 1080, "2k": 1440, "4k": 2160}


def even(value: float) -> int:
    """``value`` rounded to an even number: libx264 with yuv420p needs even dimensions."""
    return 2 * round(value / 2)


def short_side(quality: str) -> int:
    """Pixels of the frame's short side: "1080p" is 1080; a label naming no height is 720."""
    label = quality.strip().lower()
    match = re.fullmatch(r"(\d{1,4})p", label)
    side = int(match.group(1)) if match else NAMED_QUALITIES.get(label, DEFAULT_SHORT_SIDE)
    return even(min(max(side, MIN_SHORT_SIDE), MAX_SHORT_SIDE))


def aspect_parts(aspect_ratio: str) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in aspect_ratio.split(":"))
        if w <= 0 or h <= 0 or max(w, h) > MAX_ELONGATION * min(w, h):
            raise ValueError(aspect_ratio)
    except ValueError as error:
        raise ProviderError(
            f"The demo provider does not support the aspect ratio {aspect_ratio!r}.",
            retryable=False,
        ) from error
    return w, h


def frame_size(aspect_ratio: str, quality: str) -> tuple[int, int]:
    """(width, height): the quality sets the short side, the aspect ratio the long one."""
    w, h = aspect_parts(aspect_ratio)
    short = short_side(quality)
    long = even(short * max(w, h) / min(w, h))
    return (long, short) if w >= h else (short, long)


def result_url(task_id: str, request: GenerationRequest) -> str:
    query = urlencode(
        {
            "duration": request.duration,
            "aspect": request.aspect_ratio,
            "quality": request.quality,
            "audio": int(request.with_audio),
        }
    )
    return f"{SCHEME}://{task_id}?{query}"


def parse_result_url(url: str) -> tuple[int, str, str, bool]:
    """(duration, aspect ratio, quality, with audio) from a ``demo://`` URL.

    Links made before quality and audio were recorded render at 720p without sound.
    """
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    try:
        if parts.scheme != SCHEME:
            raise ValueError(parts.scheme)
        duration = int(params["duration"][0])
        aspect_ratio = params["aspect"][0]
        quality = params.get("quality", [f"{DEFAULT_SHORT_SIDE}p"])[0]
        audio = params.get("audio", ["0"])[0]
        if not 1 <= duration <= MAX_DURATION or audio not in ("0", "1"):
            raise ValueError(url)
    except (KeyError, IndexError, ValueError) as error:
        raise ProviderError("The demo result link is not valid.", retryable=False) from error
    return duration, aspect_ratio, quality, audio == "1"


def render_mp4(path: str | Path, *, duration: int, width: int, height: int, with_audio: bool = False) -> None:
    """Write an H.264/yuv420p MP4 (moov first, so it streams) to ``path``.

    A test card with a seconds counter slides across a flat background; with audio, an
    AAC sine tone plays along.
    """
    card_h = even(min(width, height) / 3)
    card_w = even(card_h * 4 / 3)
    picture = (
        f"color=c={BACKGROUND}:s={width}x{height}:r={FPS},format=yuv420p[bg];"
        f"testsrc=s={card_w}x{card_h}:r={FPS},format=yuv420p[card];"
        f"[bg][card]overlay=x=(W-w)*t/{duration}:y=(H-h)/2:format=yuv420"
    )
    sound = ["-f", "lavfi", "-i", f"sine=frequency={TONE_HZ}:sample_rate=48000"]
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", picture,
        *(sound if with_audio else []),
        "-t", str(duration),
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p",
        *(["-c:a", "aac", "-b:a", "64k"] if with_audio else []),
        "-movflags", "+faststart",
        str(path),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=RENDER_TIMEOUT)  # noqa: S603
    except subprocess.TimeoutExpired as error:
        raise ProviderError("The demo video took too long to render.", retryable=True) from error
    except (subprocess.CalledProcessError, OSError) as error:
        raise ProviderError("The demo video could not be rendered.", retryable=False) from error


class DemoProvider(Provider):
    key = "demo"
    sends_callbacks = False

    def submit(self, request: GenerationRequest) -> str:
        frame_size(request.aspect_ratio, request.quality)  # refuse an unusable ratio now
        return f"demo-{uuid.uuid4().hex}"

    def query(self, task_id: str, request: GenerationRequest) -> TaskStatus:
        return TaskStatus(
            task_id,
            TaskState.SUCCEEDED,
            progress=100,
            result_urls=(result_url(task_id, request),),
        )

    @contextmanager
    def open_result(self, url: str) -> Iterator[IO[bytes]]:
        duration, aspect_ratio, quality, with_audio = parse_result_url(url)
        width, height = frame_size(aspect_ratio, quality)
        # A directory, not a NamedTemporaryFile: ffmpeg writes the file by its own name.
        with tempfile.TemporaryDirectory(prefix="kensa-demo-") as tmp:
            path = Path(tmp) / "demo.mp4"
            render_mp4(path, duration=duration, width=width, height=height, with_audio=with_audio)
            with path.open("rb") as stream:
                yield stream
