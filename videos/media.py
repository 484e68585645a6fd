"""Small ffmpeg jobs on stored results (a static ffmpeg comes with imageio-ffmpeg)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def thumbnail_jpeg(video_path: str | Path, *, width: int = 480, timeout: float = 30) -> bytes:
    """A JPEG of the first frame of ``video_path`` (scaled to ``width`` pixels wide)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "thumb.jpg"
        subprocess.run(  # noqa: S603
            [
                ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(video_path),
                "-frames:v",
                "1",
                "-vf",
                f"scale={width}:-2",
                "-q:v",
                "4",
                str(out),
            ],
            check=True,
            timeout=timeout,
            capture_output=True,
        )
        return out.read_bytes()
