"""The demo provider: instant success and a real, playable MP4 rendered locally."""

from __future__ import annotations

import re
import resource
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import pytest

from videos.media import thumbnail_jpeg
from videos.providers.base import GenerationRequest, ProviderError, TaskState
from videos.providers.demo import DemoProvider, render_mp4


def make_request(**overrides) -> GenerationRequest:
    values = {
        "reference": "3f1c9a52-6d1e-4d59-9a43-0b1f0e6f7c11",
        "provider_model": "sora-2",
        "prompt": "a lighthouse at dusk",
        "duration": 5,
        "aspect_ratio": "16:9",
        "quality": "720p",
    }
    values.update(overrides)
    return GenerationRequest(**values)


@pytest.fixture
def demo() -> DemoProvider:
    return DemoProvider()


def render(demo: DemoProvider, request: GenerationRequest, target: Path) -> Path:
    task_id = demo.submit(request)
    (url,) = demo.query(task_id, request).result_urls
    with demo.open_result(url) as stream:
        target.write_bytes(stream.read())
    return target


@dataclass(frozen=True)
class Probe:
    size: tuple[int, int]
    video: str  # the video stream's description: "h264 (Constrained Baseline) ... yuv420p"
    audio: str | None  # the audio stream's description; None without one
    duration: float  # seconds, the container's


def probe(path: Path) -> Probe:
    """What ``ffprobe`` would say, read from ``ffmpeg -i``'s description of the input."""
    described = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    ).stderr
    video = re.search(r"Stream #0:\d.*?: Video: (.*)", described)
    audio = re.search(r"Stream #0:\d.*?: Audio: (.*)", described)
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", described)
    assert video and duration, described
    width, height = re.search(r", (\d+)x(\d+)", video.group(1)).groups()
    hours, minutes, seconds = duration.groups()
    return Probe(
        size=(int(width), int(height)),
        video=video.group(1),
        audio=audio.group(1) if audio else None,
        duration=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
    )


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def test_the_demo_provider_sends_no_callbacks(demo):
    assert demo.sends_callbacks is False


def test_submit_returns_a_demo_task_id(demo):
    assert re.fullmatch(r"demo-[0-9a-f]{32}", demo.submit(make_request()))


def test_query_succeeds_at_once_with_a_demo_url_carrying_what_was_asked(demo):
    request = make_request(duration=10, aspect_ratio="9:16", quality="1080p", with_audio=True)

    status = demo.query("demo-abc", request)

    assert (status.state, status.progress) == (TaskState.SUCCEEDED, 100)
    assert status.result_urls == ("demo://demo-abc?duration=10&aspect=9%3A16&quality=1080p&audio=1",)


@pytest.mark.parametrize(
    ("aspect_ratio", "quality", "size"),
    [
        ("16:9", "720p", (1280, 720)),
        ("9:16", "720p", (720, 1280)),
        ("16:9", "1080p", (1920, 1080)),
        ("9:16", "1080p", (1080, 1920)),
        ("1:1", "720p", (720, 720)),
        ("1:1", "1080p", (1080, 1080)),
        ("4:3", "720p", (960, 720)),
        ("3:4", "1080p", (1080, 1440)),
        ("21:9", "720p", (1680, 720)),
        ("16:9", "480p", (854, 480)),
    ],
)
def test_the_result_is_an_h264_mp4_of_the_requested_aspect_quality_and_duration(
    demo, tmp_path, aspect_ratio, quality, size
):
    request = make_request(aspect_ratio=aspect_ratio, quality=quality, duration=2)

    result = probe(render(demo, request, tmp_path / "v.mp4"))

    assert result.size == size
    assert result.video.startswith("h264")
    assert "yuv420p" in result.video
    assert result.duration == pytest.approx(2, abs=0.1)
    assert result.audio is None


def test_a_quality_naming_no_height_renders_at_720p(demo, tmp_path):
    request = make_request(aspect_ratio="9:16", quality="standard", duration=1)

    assert probe(render(demo, request, tmp_path / "v.mp4")).size == (720, 1280)


def test_a_model_with_sound_gets_an_audio_track_as_long_as_the_video(demo, tmp_path):
    request = make_request(quality="1080p", duration=3, with_audio=True)

    path = render(demo, request, tmp_path / "v.mp4")

    result = probe(path)
    assert result.audio is not None
    assert result.audio.startswith("aac")
    assert result.size == (1920, 1080)
    assert result.duration == pytest.approx(3, abs=0.1)
    _, video_seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert video_seconds == pytest.approx(3, abs=0.1)


def test_a_model_without_sound_gets_no_audio_track(demo, tmp_path):
    request = make_request(duration=1, with_audio=False)

    assert probe(render(demo, request, tmp_path / "v.mp4")).audio is None


def test_a_link_made_before_quality_was_recorded_renders_720p_without_sound(demo, tmp_path):
    path = tmp_path / "v.mp4"
    with demo.open_result("demo://demo-old?duration=1&aspect=16%3A9") as stream:
        path.write_bytes(stream.read())

    result = probe(path)
    assert (result.size, result.audio) == ((1280, 720), None)


@pytest.mark.parametrize(
    ("quality", "with_audio"),
    [("720p", False), ("720p", True), ("1080p", False), ("1080p", True)],
)
def test_a_ten_second_clip_renders_in_under_two_seconds_of_cpu(tmp_path, quality, with_audio):
    width, height = {"720p": (1280, 720), "1080p": (1920, 1080)}[quality]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)

    render_mp4(tmp_path / "v.mp4", duration=10, width=width, height=height, with_audio=with_audio)

    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # CPU time, not wall time: a busy machine slows the clock, not the work.
    assert cpu_seconds < 2.0
    assert probe(tmp_path / "v.mp4").duration == pytest.approx(10, abs=0.1)


def test_the_result_puts_its_index_before_the_media_so_it_streams(demo, tmp_path):
    boxes = top_level_boxes(render(demo, make_request(duration=1), tmp_path / "v.mp4").read_bytes())

    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize(
    "url",
    ["https://cdn.example/v.mp4", "demo://t?aspect=16:9", "demo://t?duration=0&aspect=16:9",
     "demo://t?duration=999&aspect=16:9", "demo://t?duration=5&aspect=wide",
     "demo://t?duration=5&aspect=16:9&audio=yes"],
)  # fmt: skip
def test_open_result_refuses_a_link_it_did_not_make(demo, url):
    with pytest.raises(ProviderError) as raised, demo.open_result(url):
        pass

    assert raised.value.retryable is False


@pytest.mark.parametrize("aspect_ratio", ["wide", "0:1", "100:1"])
def test_submit_refuses_an_aspect_ratio_it_cannot_frame(demo, aspect_ratio):
    with pytest.raises(ProviderError) as raised:
        demo.submit(make_request(aspect_ratio=aspect_ratio))

    assert raised.value.retryable is False


def test_the_demo_provider_does_not_parse_callbacks(demo):
    with pytest.raises(ProviderError):
        demo.parse_callback(b"{}", {})


def test_the_demo_result_gives_a_jpeg_thumbnail(demo, tmp_path):
    path = render(demo, make_request(duration=1), tmp_path / "v.mp4")

    assert thumbnail_jpeg(path)[:3] == b"\xff\xd8\xff"
