"""open_remote_video: guarded, streamed, bounded downloads of provider results."""

from __future__ import annotations

import ipaddress
import time
import tracemalloc

import pytest

from tests.fakes.provider_server import sample_mp4
from videos import downloads
from videos.downloads import open_remote_video
from videos.providers.base import ProviderError

pytestmark = pytest.mark.usefixtures("allow_private")

MB = 1024 * 1024
WEBM_HEAD = b"\x1a\x45\xdf\xa3" + bytes(60)


def download_error(url: str) -> ProviderError:
    with pytest.raises(ProviderError) as raised, open_remote_video(url):
        pass
    return raised.value


def test_a_result_is_downloaded_into_a_rewound_file(provider_server):
    with open_remote_video(provider_server.file_url("result.mp4")) as stream:
        assert stream.read() == sample_mp4()


def test_a_webm_result_is_accepted(provider_server):
    url = provider_server.set_file("result.webm", WEBM_HEAD, "video/webm")

    with open_remote_video(url) as stream:
        assert stream.read() == WEBM_HEAD


def test_the_download_sends_no_provider_credentials(provider_server):
    with open_remote_video(provider_server.file_url("result.mp4")):
        pass

    (request,) = provider_server.requests_to("/files/result.mp4")
    assert "Authorization" not in request.headers


def test_a_file_over_the_cap_is_refused_from_its_content_length(provider_server, settings):
    settings.VIDEO_MAX_BYTES = 1 * MB
    # Only the header is too large: refusing it is the sole way to answer "too large".
    url = provider_server.set_huge_file("big.mp4", 1024, claimed_length=2 * MB)

    error = download_error(url)

    assert (error.retryable, error.code) == (False, "too_large")
    assert error.message == "The video file is larger than the 1 MB limit."


def test_a_file_over_the_cap_without_content_length_is_refused_while_streaming(provider_server, settings):
    settings.VIDEO_MAX_BYTES = 1 * MB
    url = provider_server.set_huge_file("endless.mp4", 4 * MB, content_length=False)

    error = download_error(url)

    assert (error.retryable, error.code) == (False, "too_large")


def test_a_body_cut_short_of_its_content_length_is_retryable(provider_server):
    url = provider_server.set_huge_file("cut.mp4", 1024, claimed_length=1 * MB)

    assert download_error(url).retryable is True


def test_a_large_download_keeps_memory_bounded(provider_server, settings):
    settings.VIDEO_MAX_BYTES = 64 * MB
    url = provider_server.set_huge_file("large.mp4", 24 * MB, content_length=False)
    tracemalloc.start()
    try:
        with open_remote_video(url) as stream:
            stream.seek(0, 2)
            size = stream.tell()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert size == 24 * MB
    assert peak < 4 * MB


def test_a_file_that_is_not_a_video_is_refused(provider_server):
    url = provider_server.set_file("page.mp4", b"<!doctype html><html>Access denied</html>", "text/html")

    error = download_error(url)

    assert (error.retryable, error.code) == (False, "not_a_video")


def test_a_file_too_short_to_be_a_video_is_refused(provider_server):
    url = provider_server.set_file("tiny.mp4", b"\x00\x00")

    assert download_error(url).code == "not_a_video"


def test_an_http_404_is_permanent(provider_server):
    url = provider_server.set_file("gone.mp4", b"expired", "text/plain", status=404)

    error = download_error(url)

    assert (error.retryable, error.code) == (False, "404")


def test_an_http_503_is_retryable(provider_server):
    url = provider_server.set_file("busy.mp4", b"busy", "text/plain", status=503)

    assert download_error(url).retryable is True


def test_a_stalled_server_times_out_retryably(provider_server, short_timeout):
    started = time.monotonic()

    error = download_error(provider_server.slow_url)

    assert (error.retryable, error.code) == (True, "timeout")
    assert time.monotonic() - started < 2


def test_a_body_that_stalls_midway_fails_retryably(provider_server, short_timeout):
    assert download_error(provider_server.slow_body_url).retryable is True


def test_a_download_slower_than_the_total_timeout_fails_retryably(provider_server, settings):
    settings.VIDEO_DOWNLOAD_TIMEOUT = 0
    url = provider_server.set_huge_file("long.mp4", 1 * MB)

    assert download_error(url).retryable is True


def test_a_redirect_is_followed(provider_server):
    with open_remote_video(provider_server.redirect_url("/files/moved.mp4")) as stream:
        assert stream.read(8)[4:8] == b"ftyp"


def test_more_than_three_redirects_are_refused(provider_server):
    error = download_error(provider_server.redirect_loop_url)

    assert (error.retryable, error.code) == (False, "refused")
    assert len(provider_server.requests_to("/files/loop")) == 4


@pytest.mark.parametrize("url", ["ftp://cdn.example/v.mp4", "file:///etc/passwd", "http:///v.mp4"])
def test_a_link_that_is_not_http_is_refused(url):
    assert download_error(url).code == "refused"


def test_a_loopback_address_is_refused_without_any_request(provider_server, settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False

    error = download_error(provider_server.file_url("result.mp4"))

    assert (error.retryable, error.code) == (False, "refused")
    assert provider_server.requests == []


def test_a_redirect_to_a_private_address_is_refused(provider_server, settings, monkeypatch):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    # The first hop's host passes as public; the redirect names "localhost", which does not.
    real_resolve = downloads.resolve_host

    def resolve(host: str, port: int):
        if host == "127.0.0.1":
            return [ipaddress.ip_address("93.184.215.14")]
        return real_resolve(host, port)

    monkeypatch.setattr(downloads, "resolve_host", resolve)
    target = provider_server.file_url("result.mp4").replace("127.0.0.1", "localhost")

    error = download_error(provider_server.redirect_url(target))

    assert error.code == "refused"
    assert provider_server.requests_to("/files/result.mp4") == []


@pytest.mark.parametrize(
    "address",
    ["10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_recognised(address):
    assert downloads.is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_recognised(address):
    assert downloads.is_public_address(ipaddress.ip_address(address)) is True
