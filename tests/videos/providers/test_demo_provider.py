"""The demo provider: instant success and a real, playable MP4 rendered locally."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import imageio_ffmpeg
import pytest

from videos.providers.base import GenerationRequest, ProviderError, TaskState
from videos.providers.demo import DemoProvider, render_thumbnail


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


def video_metadata(path: Path) -> dict:
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        return next(reader)
    finally:
        reader.close()


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


def test_query_succeeds_at_once_with_a_demo_url_carrying_duration_and_aspect(demo):
    status = demo.query("demo-abc", make_request(duration=10, aspect_ratio="9:16"))

    assert (status.state, status.progress) == (TaskState.SUCCEEDED, 100)
    assert status.result_urls == ("demo://demo-abc?duration=10&aspect=9%3A16",)


@pytest.mark.parametrize(
    ("aspect_ratio", "size"),
    [("16:9", (640, 360)), ("9:16", (360, 640)), ("1:1", (480, 480)), ("21:9", (840, 360))],
)
def test_the_result_is_an_h264_mp4_framed_for_the_aspect_ratio(demo, tmp_path, aspect_ratio, size):
    path = render(demo, make_request(aspect_ratio=aspect_ratio, duration=1), tmp_path / "v.mp4")

    meta = video_metadata(path)
    assert tuple(meta["size"]) == size
    assert meta["codec"].startswith("h264")
    assert meta["pix_fmt"].startswith("yuv420p")


def test_the_result_lasts_the_requested_duration(demo, tmp_path):
    path = render(demo, make_request(duration=6), tmp_path / "v.mp4")

    assert video_metadata(path)["duration"] == pytest.approx(6, abs=0.1)


def test_the_result_puts_its_index_before_the_media_so_it_streams(demo, tmp_path):
    boxes = top_level_boxes(render(demo, make_request(duration=1), tmp_path / "v.mp4").read_bytes())

    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize(
    "url",
    ["https://cdn.example/v.mp4", "demo://t?aspect=16:9", "demo://t?duration=0&aspect=16:9",
     "demo://t?duration=999&aspect=16:9", "demo://t?duration=5&aspect=wide"],
)  # fmt: skip
def test_open_result_refuses_a_link_it_did_not_make(demo, url):
    with pytest.raises(ProviderError) as raised, demo.open_result(url):
        pass

    assert raised.value.retryable is False


def test_submit_refuses_an_aspect_ratio_it_cannot_frame(demo):
    with pytest.raises(ProviderError):
        demo.submit(make_request(aspect_ratio="wide"))


def test_the_demo_provider_does_not_parse_callbacks(demo):
    with pytest.raises(ProviderError):
        demo.parse_callback(b"{}", {})


def test_render_thumbnail_of_a_path_is_a_jpeg(demo, tmp_path):
    path = render(demo, make_request(duration=1), tmp_path / "v.mp4")

    assert render_thumbnail(path)[:3] == b"\xff\xd8\xff"


def test_render_thumbnail_of_a_binary_file_is_a_jpeg(demo, tmp_path):
    path = render(demo, make_request(duration=1), tmp_path / "v.mp4")

    with path.open("rb") as stream:
        assert render_thumbnail(stream)[:3] == b"\xff\xd8\xff"
