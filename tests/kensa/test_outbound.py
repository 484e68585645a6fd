"""kensa.outbound, the one guard for outbound HTTP, over real HTTP to loopback servers.

The resolver (``outbound.resolve_host``) is the only DNS seam; where a test needs a name
whose address passes as public, it also narrows ``outbound.is_public_address`` to call
one loopback address public. ``requests`` itself is never patched.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kensa import outbound
from kensa.outbound import OutboundError, check_url, fetch
from videos.providers.base import ProviderError
from videos.providers.http import ProviderHttpClient

TIMEOUT = (2.0, 2.0)
PUBLIC_LOOPBACK = ipaddress.ip_address("127.0.0.1")  # the address tests let pass as public
PRIVATE_LOOPBACK = "127.0.0.2"  # loopback too, and treated as what it is: private


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Seen, socket.socket, threading.Event], None]


def answer(status: int = 200, body: bytes = b"ok", headers: dict[str, str] | None = None) -> Handler:
    def handle(_seen: Seen, conn: socket.socket, _stopped: threading.Event) -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return handle


def redirect(location: str) -> Handler:
    return answer(302, b"", {"Location": location})


def drip(data: bytes, interval: float = 0.5) -> Handler:
    """Send ``data`` one byte per ``interval``: every wait is short, the whole is not."""

    def handle(_seen: Seen, conn: socket.socket, stopped: threading.Event) -> None:
        for byte in data:
            if stopped.wait(interval):
                return
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return  # the client hung up

    return handle


class LoopbackServer:
    """A raw HTTP/1.1 server: records each request, then lets ``handler`` answer it."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.tls = tls
        self.seen: list[Seen] = []
        self.stopped = threading.Event()
        self.listener = socket.create_server((host, port))
        self.listener.settimeout(0.1)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            request_line, *header_lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = dict(line.split(": ", 1) for line in header_lines)
            seen = Seen(method, path, headers)
            self.seen.append(seen)
            self.handler(seen, conn, self.stopped)
        except (OSError, ssl.SSLError):
            pass  # a refused handshake or a client that hung up
        finally:
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.listener.close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def outbound_error(url: str, **options) -> OutboundError:
    options.setdefault("timeout", TIMEOUT)
    options.setdefault("total_timeout", 10)
    with pytest.raises(OutboundError) as raised, fetch("GET", url, **options) as fetched:
        fetched.read(1024 * 1024)
    return raised.value


class FakeResolver:
    """host → the answers it gives, one per lookup (the last repeats); records lookups."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def __setitem__(self, host: str, answers: list[list[str]]) -> None:
        self.answers[host] = list(answers)

    def __call__(self, host: str, port: int) -> list[outbound.IPAddress]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OutboundError("no such host", retryable=True, code="dns")
        queue = self.answers[host]
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return [ipaddress.ip_address(address) for address in current]


@pytest.fixture
def resolver(monkeypatch) -> FakeResolver:
    fake = FakeResolver()
    monkeypatch.setattr(outbound, "resolve_host", fake)
    return fake


@pytest.fixture
def public_loopback(monkeypatch, settings) -> None:
    """127.0.0.1 counts as public; every other address keeps its real classification."""
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    real = outbound.is_public_address
    monkeypatch.setattr(outbound, "is_public_address", lambda a: a == PUBLIC_LOOPBACK or real(a))


@pytest.fixture
def allow_private(settings) -> None:
    settings.REMOTE_ASSET_ALLOW_PRIVATE = True


# --- one parser decides where we connect ---------------------------------------------


def test_the_backslash_form_is_refused_before_any_request(allow_private):
    with LoopbackServer(answer()) as server:
        error = outbound_error(f"http://127.0.0.1:{server.port}\\@example.com/v.mp4")

    assert (error.code, error.retryable) == ("refused", False)
    assert server.seen == []


@pytest.mark.parametrize("userinfo", ["user:secret@", "example.com@", "example.com:80@"])
def test_a_link_with_userinfo_is_refused_before_any_request(allow_private, userinfo):
    with LoopbackServer(answer()) as server:
        error = outbound_error(f"http://{userinfo}127.0.0.1:{server.port}/v.mp4")

    assert error.code == "refused"
    assert server.seen == []


def test_a_redirect_to_the_backslash_form_is_refused(allow_private):
    with LoopbackServer(answer(body=b"internal")) as inner:
        backslash = f"http://127.0.0.1:{inner.port}\\@example.com/secret"
        with LoopbackServer(redirect(backslash)) as outer:
            error = outbound_error(outer.url("/start"), max_redirects=3)

    assert error.code == "refused"
    assert [seen.path for seen in outer.seen] == ["/start"]
    assert inner.seen == []


def test_a_redirect_to_a_link_with_userinfo_is_refused(allow_private):
    with (
        LoopbackServer(answer(body=b"internal")) as inner,
        LoopbackServer(redirect(f"http://example.com@127.0.0.1:{inner.port}/secret")) as outer,
    ):
        error = outbound_error(outer.url("/start"), max_redirects=3)

    assert error.code == "refused"
    assert inner.seen == []


@pytest.mark.parametrize(
    "url",
    ["ftp://cdn.example/v.mp4", "file:///etc/passwd", "http:///v.mp4", "http://cdn.example/a b",
     "http://cdn.example:99999/v.mp4", "http://bücher.example/v.mp4"],
)  # fmt: skip
def test_links_that_are_not_plain_http_urls_are_refused(url, allow_private):
    with pytest.raises(OutboundError) as raised:
        check_url(url)

    assert raised.value.code == "refused"


# --- private addresses and the pinned address ----------------------------------------


def test_a_loopback_address_is_refused_unless_private_targets_are_allowed(settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    with pytest.raises(OutboundError) as raised:
        check_url("http://127.0.0.1:8080/v.mp4")
    assert raised.value.code == "refused"

    settings.REMOTE_ASSET_ALLOW_PRIVATE = True
    assert check_url("http://127.0.0.1:8080/v.mp4").address == PUBLIC_LOOPBACK


def test_a_name_with_one_private_answer_among_public_ones_is_refused(resolver, settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    resolver["cdn.test"] = [["93.184.215.14", "10.0.0.7"]]

    with pytest.raises(OutboundError) as raised:
        check_url("https://cdn.test/v.mp4")

    assert raised.value.code == "refused"


def test_the_connection_goes_to_the_checked_address_though_dns_answers_private_next(
    resolver, public_loopback
):
    with (
        LoopbackServer(answer(body=b"checked")) as checked,
        LoopbackServer(answer(body=b"internal"), host=PRIVATE_LOOPBACK, port=checked.port) as internal,
    ):
        # A rebinding resolver: public for the check, private for any later lookup.
        resolver["cdn.test"] = [["127.0.0.1"], [PRIVATE_LOOPBACK]]

        with fetch(
            "GET", checked.url("/v.mp4", host="cdn.test"), timeout=TIMEOUT, total_timeout=10
        ) as fetched:
            body = fetched.read(1024)

    assert body == b"checked"
    assert resolver.lookups == ["cdn.test"]
    assert checked.seen[0].headers["Host"] == f"cdn.test:{checked.port}"
    assert internal.seen == []


def test_each_redirect_hop_is_resolved_checked_and_pinned_again(resolver, public_loopback):
    with (
        LoopbackServer(redirect("/next")) as checked,
        LoopbackServer(answer(body=b"internal"), host=PRIVATE_LOOPBACK, port=checked.port) as internal,
    ):
        resolver["cdn.test"] = [["127.0.0.1"], [PRIVATE_LOOPBACK]]

        error = outbound_error(checked.url("/start", host="cdn.test"), max_redirects=3)

    assert error.code == "refused"
    assert resolver.lookups == ["cdn.test", "cdn.test"]
    assert internal.seen == []


def test_a_redirect_to_a_private_address_is_refused(resolver, public_loopback):
    resolver["cdn.test"] = [["127.0.0.1"]]
    with (
        LoopbackServer(answer(body=b"internal"), host=PRIVATE_LOOPBACK) as internal,
        LoopbackServer(redirect(internal.url("/secret"))) as outer,
    ):
        error = outbound_error(outer.url("/start", host="cdn.test"), max_redirects=3)

    assert error.code == "refused"
    assert [seen.path for seen in outer.seen] == ["/start"]
    assert internal.seen == []


def test_redirects_are_answers_unless_following_them_is_asked_for(allow_private):
    with (
        LoopbackServer(redirect("/elsewhere")) as server,
        fetch("GET", server.url("/start"), timeout=TIMEOUT, total_timeout=10) as fetched,
    ):
        assert (fetched.status_code, fetched.headers["Location"]) == (302, "/elsewhere")

    assert [seen.path for seen in server.seen] == ["/start"]


def test_more_redirects_than_allowed_are_refused(allow_private):
    with LoopbackServer(redirect("/loop")) as server:
        error = outbound_error(server.url("/loop"), max_redirects=2)

    assert error.code == "refused"
    assert len(server.seen) == 3


def test_the_authorization_header_does_not_follow_a_redirect_to_another_origin(allow_private):
    with (
        LoopbackServer(answer()) as other,
        LoopbackServer(redirect(other.url("/landing"))) as first,
        fetch(
            "GET",
            first.url("/start"),
            headers={"Authorization": "Bearer secret"},
            timeout=TIMEOUT,
            total_timeout=10,
            max_redirects=1,
        ) as fetched,
    ):
        fetched.read(1024)

    assert first.seen[0].headers["Authorization"] == "Bearer secret"
    assert "Authorization" not in other.seen[0].headers


# --- https: pinned address, original name for SNI and the certificate ---------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Callable[[str], tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")

    def make(name: str) -> tuple[Path, Path]:
        cert, key = folder / f"{name}.crt", folder / f"{name}.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
             "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return cert, key

    return make


def tls_server_context(cert: Path, key: Path, names: list[str]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    return context


def test_https_connects_to_the_checked_address_with_the_name_for_sni_and_certificate(
    certificates, resolver, public_loopback
):
    cert, key = certificates("cdn.test")
    names: list[str] = []
    resolver["cdn.test"] = [["127.0.0.1"]]
    with LoopbackServer(answer(body=b"secure"), tls=tls_server_context(cert, key, names)) as server:
        url = server.url("/v.mp4", host="cdn.test", scheme="https")
        with fetch("GET", url, timeout=TIMEOUT, total_timeout=10, ca_bundle=str(cert)) as fetched:
            body = fetched.read(1024)

    assert body == b"secure"
    assert names == ["cdn.test"]
    assert server.seen[0].headers["Host"] == f"cdn.test:{server.port}"


def test_https_refuses_a_certificate_for_another_name(certificates, resolver, public_loopback):
    cert, key = certificates("other.test")
    resolver["cdn.test"] = [["127.0.0.1"]]
    with LoopbackServer(answer(body=b"secure"), tls=tls_server_context(cert, key, [])) as server:
        error = outbound_error(server.url("/v.mp4", host="cdn.test", scheme="https"), ca_bundle=str(cert))

    assert (error.code, error.retryable) == ("tls", True)
    assert server.seen == []


# --- one deadline for the whole exchange ---------------------------------------------


def elapsed_until_error(url: str, total_timeout: float) -> tuple[OutboundError, float]:
    started = time.monotonic()
    error = outbound_error(url, timeout=(2.0, 2.0), total_timeout=total_timeout)
    return error, time.monotonic() - started


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(allow_private):
    headers = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 100 + b"\r\n\r\nok"
    with LoopbackServer(drip(headers)) as server:
        error, elapsed = elapsed_until_error(server.url("/slow-headers"), total_timeout=2)

    assert (error.code, error.retryable) == ("timeout", True)
    assert elapsed < 2 + 0.5


def test_a_server_dripping_its_body_is_cut_off_at_the_deadline(allow_private):
    def headers_then_drip(seen: Seen, conn: socket.socket, stopped: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        drip(b"x" * 100)(seen, conn, stopped)

    with LoopbackServer(headers_then_drip) as server:
        error, elapsed = elapsed_until_error(server.url("/slow-body"), total_timeout=2)

    assert error.code == "timeout"
    assert elapsed < 2 + 0.5


def test_the_deadline_spans_every_redirect_hop(allow_private):
    def slow_redirect(_seen: Seen, conn: socket.socket, stopped: threading.Event) -> None:
        stopped.wait(0.8)  # each hop alone is well inside the read timeout
        redirect("/again")(_seen, conn, stopped)

    with LoopbackServer(slow_redirect) as server:
        started = time.monotonic()
        error = outbound_error(server.url("/again"), timeout=(2.0, 2.0), total_timeout=2, max_redirects=5)
        elapsed = time.monotonic() - started

    assert error.code == "timeout"
    assert elapsed < 2 + 0.5
    assert len(server.seen) == 3


def test_an_answer_over_its_size_limit_is_refused(allow_private):
    with (
        LoopbackServer(answer(body=b"x" * 5000)) as server,
        fetch("GET", server.url("/big"), timeout=TIMEOUT, total_timeout=10) as fetched,
        pytest.raises(OutboundError) as raised,
    ):
        fetched.read(1000)

    assert (raised.value.code, raised.value.retryable) == ("too_large", False)


# --- address classification ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_recognised(address):
    assert outbound.is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_recognised(address):
    assert outbound.is_public_address(ipaddress.ip_address(address)) is True


# --- provider API calls share the guard ------------------------------------------------


def test_a_provider_named_by_a_host_that_resolves_to_a_private_address_is_refused(resolver, settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    with LoopbackServer(answer(body=b"{}")) as server:
        resolver["api.provider.test"] = [["127.0.0.1"]]
        client = ProviderHttpClient(server.url("", host="api.provider.test"), "key")

        with pytest.raises(ProviderError) as raised:
            client.get("/v1/tasks/x")

    assert (raised.value.code, raised.value.retryable) == ("refused", False)
    assert server.seen == []


def test_a_provider_at_an_address_written_in_its_base_url_is_called(settings):
    settings.REMOTE_ASSET_ALLOW_PRIVATE = False
    with LoopbackServer(answer(body=b'{"ok": true}')) as server:
        assert ProviderHttpClient(server.url(""), "key").get("/v1/tasks/x") == {"ok": True}


def test_a_provider_dripping_its_answer_is_cut_off_by_the_read_timeout_as_a_whole(settings):
    settings.PROVIDER_HTTP_TIMEOUT = 1
    body = b'{"padding": "' + b"x" * 100 + b'"}'

    def headers_then_drip(seen: Seen, conn: socket.socket, stopped: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        drip(body, interval=0.2)(seen, conn, stopped)

    with LoopbackServer(headers_then_drip) as server:
        started = time.monotonic()
        with pytest.raises(ProviderError) as raised:
            ProviderHttpClient(server.url(""), "key").get("/v1/tasks/x")
        elapsed = time.monotonic() - started

    assert (raised.value.code, raised.value.message) == ("timeout", "The provider did not answer in time.")
    assert elapsed < 1 + 1 + 0.5  # connect + read budget
