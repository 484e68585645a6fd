"""open_remote_video: guarded, streamed, bounded downloads of provider results.

Where a download may connect (parsing, private addresses, pinning, redirects) is
tests/kensa/test_outbound.py's subject; here: what a result must be, and that the
whole download, however slow, ends within VIDEO_DOWNLOAD_TIMEOUT.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address

import pytest

from kensa import outbound
from kensa.outbound import OutboundError, check_url
from tests.fakes.provider_server import MP4_HEAD, sample_mp4
from videos.downloads import open_remote_video
from videos.providers.base import Provider, ProviderError

pytestmark = pytest.mark.usefixtures("allow_private")

MB = 1024 * 1024
WEBM_HEAD = b"\x1a\x45\xdf\xa3" + bytes(60)


def download_error(url: str) -> OutboundError:
    with pytest.raises(OutboundError) as raised, open_remote_video(url):
        pass
    return raised.value


class DripHandler(BaseHTTPRequestHandler):
    """Answers with an MP4 body sent one byte every 0.5 s: no single wait is long."""

    def do_GET(self) -> None:
        body = MP4_HEAD + bytes(100)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            time.sleep(0.5)
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the download gave up, as it should

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def drip_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DripHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/drip.mp4"
    server.shutdown()
    server.server_close()


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


def test_a_server_dripping_bytes_is_cut_off_at_the_download_timeout(drip_url, settings):
    settings.VIDEO_DOWNLOAD_TIMEOUT = 2
    settings.PROVIDER_HTTP_TIMEOUT = 10  # every single wait (0.5 s) is far inside it
    started = time.monotonic()

    error = download_error(drip_url)

    elapsed = time.monotonic() - started
    print(f"\ndrip cut off after {elapsed:.2f} s (VIDEO_DOWNLOAD_TIMEOUT=2)")
    assert (error.retryable, error.code) == (True, "timeout")
    assert elapsed < 2 + 2


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
    # "cdn.test" is the fake server, at an address let pass as public; the redirect
    # names "internal.test", which resolves to another (private) loopback address.
    addresses = {"cdn.test": "127.0.0.1", "internal.test": "127.0.0.2"}
    monkeypatch.setattr(outbound, "resolve_host", lambda host, port: [ip_address(addresses[host])])
    real_is_public = outbound.is_public_address
    monkeypatch.setattr(
        outbound, "is_public_address", lambda address: str(address) == "127.0.0.1" or real_is_public(address)
    )
    target = provider_server.file_url("result.mp4").replace("127.0.0.1", "internal.test")
    start = provider_server.redirect_url(target).replace("127.0.0.1", "cdn.test", 1)

    error = download_error(start)

    assert (error.retryable, error.code) == (False, "refused")
    assert len(provider_server.requests_to("/files/redirect")) == 1
    assert provider_server.requests_to("/files/result.mp4") == []


def test_the_outbound_check_refuses_the_backslash_form(settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = True

    with pytest.raises(OutboundError) as raised:
        check_url("http://127.0.0.1:8080\\@example.com/v.mp4")

    assert raised.value.code == "refused"


class RemoteProvider(Provider):
    key = "remote"

    def submit(self, request):  # pragma: no cover - not used here
        raise NotImplementedError

    def query(self, task_id, request):  # pragma: no cover - not used here
        raise NotImplementedError


def test_a_provider_opening_a_result_reports_a_failed_download_as_a_provider_error(provider_server):
    url = provider_server.set_file("gone.mp4", b"expired", "text/plain", status=404)

    with pytest.raises(ProviderError) as raised, RemoteProvider().open_result(url):
        pass

    assert (raised.value.retryable, raised.value.code) == (False, "404")
    assert raised.value.message == "The video file could not be downloaded (HTTP 404)."


def test_a_provider_opening_a_result_yields_the_downloaded_file(provider_server):
    with RemoteProvider().open_result(provider_server.file_url("result.mp4")) as stream:
        assert stream.read() == sample_mp4()
