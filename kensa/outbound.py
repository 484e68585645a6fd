"""The one guard for outbound HTTP: every request that leaves Kensa goes through here.

Result downloads, provider API calls, and later users' webhooks and payment providers use
``fetch``, so the same rules hold for all of them:

- One reading of the URL decides where we connect. URLs that ``urllib.parse`` and urllib3
  (what ``requests`` sends with) could read differently are refused: backslashes,
  userinfo, whitespace and control characters, hosts the two parsers disagree on.
- The host is resolved once (``resolve_host``, the DNS seam tests swap). Every address must
  be public unless private targets are allowed (``settings.REMOTE_ASSET_ALLOW_PRIVATE``
  or the caller), and the connection is pinned to the checked address: the Host header,
  TLS SNI and the certificate check keep the name, but no second DNS lookup happens, so
  an answer that changes in between (DNS rebinding) cannot steer the connection.
- One deadline bounds the whole exchange: connect, headers, every redirect hop and the
  body. A watchdog cuts the socket when it passes, so a server that drips one byte at a
  time cannot hold a worker beyond it.
- Redirects are not followed, or followed by hand, each hop checked and pinned again.

Failures raise ``OutboundError`` (``retryable``, ``code``); callers word them for their
own users. This module is plumbing: it imports no domain app.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

logger = logging.getLogger(__name__)

USER_AGENT = "Kensa/1.0 (+video generation backend)"
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Sent again only to the origin they were meant for.
ORIGIN_BOUND_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
CHUNK_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """An outbound request failed or was refused. ``retryable``: trying later may help."""

    def __init__(self, message: str, *, retryable: bool, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


def refused(reason: str) -> OutboundError:
    return OutboundError(f"The link was refused ({reason}).", retryable=False, code="refused")


def timed_out() -> OutboundError:
    return OutboundError("The remote server did not answer in time.", retryable=True, code="timeout")


def too_large(max_bytes: int) -> OutboundError:
    megabytes = max_bytes / (1024 * 1024)
    return OutboundError(
        f"The answer is larger than the {megabytes:g} MB limit.", retryable=False, code="too_large"
    )


# --- the address check ---------------------------------------------------------------


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


def names_an_address(url: str) -> bool:
    """Whether ``url``'s host is an IP address written out: configuration (a relay, the
    tests' loopback fakes), not a DNS answer a third party controls, so callers trust it."""
    try:
        ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return False
    return True


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (the DNS seam of the guard)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        # Often a passing DNS failure; a host that never resolves fails after the retries.
        raise OutboundError("The remote host could not be resolved.", retryable=True, code="dns") from error
    # IPv6 link-local answers may carry a zone ("fe80::1%eth0").
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """Where one request goes: the name it is for, and the one address it connects to."""

    scheme: str
    host: str  # lower-case, without IPv6 brackets
    port: int
    address: IPAddress

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _has_unsafe_characters(url: str) -> bool:
    # A backslash is a path separator to browsers and WHATWG parsers, but part of the
    # userinfo to urllib.parse: "http://127.0.0.1:80\@example.com/" names two hosts.
    return "\\" in url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url)


def parse_url_strictly(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, refused unless both parsers read it the same way."""
    if _has_unsafe_characters(url):
        raise refused("it contains characters that make its host ambiguous")
    parts: SplitResult = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise refused("only http and https links are fetched")
    try:
        theirs = parse_url(url)
        port = parts.port or DEFAULT_PORTS[scheme]
    except (LocationParseError, ValueError) as error:
        raise refused("the link has an invalid host or port") from error
    if "@" in parts.netloc or theirs.auth:
        # Credentials in a link are a classic way to dress one host up as another.
        raise refused("links with a user name or password are not fetched")
    host = parts.hostname or ""
    if not host:
        raise refused("the link has no host")
    their_host = (theirs.host or "").strip("[]").lower()
    if (host, port) != (their_host, theirs.port or DEFAULT_PORTS[scheme]):
        raise refused("its host is ambiguous")
    return scheme, host, port


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """The Target for ``url``, or OutboundError if we must not fetch it.

    Private, loopback, link-local and reserved addresses are refused unless
    ``allow_private`` (default: ``settings.REMOTE_ASSET_ALLOW_PRIVATE``). The host is
    resolved even then, because the connection is pinned to the address checked here.
    """
    scheme, host, port = parse_url_strictly(url)
    if allow_private is None:
        allow_private = bool(getattr(settings, "REMOTE_ASSET_ALLOW_PRIVATE", False))
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = resolve_host(host, port)
    if not addresses:
        raise OutboundError("The remote host could not be resolved.", retryable=True, code="dns")
    if not allow_private and not all(is_public_address(address) for address in addresses):
        # All, not any: with one private answer, which one a client picks is up to chance.
        logger.warning("refused outbound request to %s (resolves to %s)", host, addresses)
        raise refused("it points to a private or reserved address")
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])


# --- the whole-request deadline --------------------------------------------------------


class Deadline:
    """One time budget for a whole exchange, enforced on the socket itself.

    Socket timeouts only bound each wait, so a server sending a byte just before each
    timeout could take forever; a timer that shuts the socket down at the deadline
    bounds connect, headers and body together.
    """

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + max(0.0, seconds)
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self._closed = False

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def timeout(self, connect: float, read: float) -> tuple[float, float]:
        """(connect, read) socket timeouts that never outlast the deadline."""
        left = self.remaining()
        if left <= 0:
            raise timed_out()
        return min(connect, left), min(read, left)

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(max(0.0, self.remaining()), _cut, args=(sock,))
        timer.daemon = True
        with self._lock:
            if self._closed:
                return
            self._timers.append(timer)
        timer.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()


def _cut(sock: socket.socket) -> None:
    # shutdown (not close) wakes a thread blocked in recv/connect on this socket; its
    # owner still closes it. Already closed: the exchange ended in time.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# The deadline of the request being sent on this thread: connections made while sending
# put their socket under its watchdog (urllib3 gives no other hook between connect and
# the first byte of the answer).
_current_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "kensa_outbound_deadline", default=None
)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        if (deadline := _current_deadline.get()) is not None:
            deadline.watch(sock)
        return sock


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # the TLS handshake comes after: it is watched too
        if (deadline := _current_deadline.get()) is not None:
            deadline.watch(sock)
        return sock


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


# --- the pinned transport --------------------------------------------------------------


class PinnedAdapter(HTTPAdapter):
    """Connects to ``target.address`` only, while speaking to ``target.host``.

    The Host header names the host; for https, SNI and the certificate's hostname check
    use it too. A request for any other origin is refused rather than resolved.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        scheme = host_params["scheme"]
        port = host_params["port"] or DEFAULT_PORTS.get(scheme)
        origin = (scheme, (host_params["host"] or "").lower(), port)
        target = self.target
        if origin != (target.scheme, target.host, target.port):
            raise ValueError(f"{request.url} is not the checked origin {target.host_header}")
        host_params["host"] = str(target.address)
        if scheme == "https":
            pool_kwargs["server_hostname"] = target.host
            pool_kwargs["assert_hostname"] = target.host
        return host_params, pool_kwargs

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # The pool is keyed by the address, so http.client would name the address.
        request.headers["Host"] = self.target.host_header


def _pinned_session(target: Target) -> requests.Session:
    session = requests.Session()
    # Proxies and .netrc from the environment would route or resolve behind our back.
    session.trust_env = False
    session.headers["User-Agent"] = USER_AGENT
    # Bytes on the wire are the bytes callers count; no decompression bombs.
    session.headers["Accept-Encoding"] = "identity"
    adapter = PinnedAdapter(target)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- failures --------------------------------------------------------------------------


@contextmanager
def _translated(deadline: Deadline) -> Iterator[None]:
    """Turn transport failures inside the block into OutboundErrors."""
    try:
        yield
    except OutboundError:
        raise
    except requests.exceptions.SSLError as error:
        logger.warning("outbound TLS error: %s", error)
        raise OutboundError(
            "The remote server's certificate could not be verified.", retryable=True, code="tls"
        ) from error
    except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as error:
        logger.warning("outbound timeout: %s", error)
        raise timed_out() from error
    except (
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.HTTPError,
        OSError,
    ) as error:
        if deadline.expired:  # the watchdog cut the socket
            logger.warning("outbound request passed its deadline: %s", error)
            raise timed_out() from error
        logger.warning("outbound connection error: %s", error)
        raise OutboundError(
            "The remote server could not be reached.", retryable=True, code="unreachable"
        ) from error
    except requests.RequestException as error:
        # Invalid URL, a request for an unchecked origin, ...: retrying cannot help.
        logger.warning("outbound request error: %s", error)
        raise OutboundError("The request could not be sent.", retryable=False, code="request") from error


# --- fetching --------------------------------------------------------------------------


@dataclass
class Fetched:
    """An answer whose headers have arrived; its body is read under the same deadline."""

    response: requests.Response
    url: str  # after redirects
    deadline: Deadline

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    def iter_body(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The body as it arrives (``read1``: whatever is there, never waiting for more)."""
        raw = self.response.raw
        while True:
            if self.deadline.expired:
                raise timed_out()
            with _translated(self.deadline):
                chunk = raw.read1(chunk_bytes, decode_content=True)
            if self.deadline.expired:
                # A cut socket reads as a clean end; a body cut by the deadline is no body.
                raise timed_out()
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        """Hang up and stop the watchdog (a caller done with the body before leaving)."""
        self.response.close()
        self.deadline.close()

    def read(self, max_bytes: int) -> bytes:
        body = bytearray()
        for chunk in self.iter_body():
            body += chunk
            if len(body) > max_bytes:
                raise too_large(max_bytes)
        return bytes(body)


TimeoutSetting = float | tuple[float, float] | list[float]


def split_timeout(configured: TimeoutSetting, connect_cap: float = 5.0) -> tuple[float, float]:
    """(connect, read) seconds from a setting: a number (read) or a pair."""
    if isinstance(configured, list | tuple):
        connect, read = configured
        return float(connect), float(read)
    read = float(configured)
    # A short read timeout (tests, impatient deployments) should not wait longer to connect.
    return min(connect_cap, read), read


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _send_one(
    method: str,
    url: str,
    *,
    deadline: Deadline,
    timeout: tuple[float, float],
    headers: Mapping[str, str],
    params: Mapping[str, str] | None,
    json: Any,
    allow_private: bool | None,
    ca_bundle: str | None,
) -> requests.Response:
    parse_url_strictly(url)  # the URL as given, before requests normalises it
    with _translated(deadline):
        # The URL requests will send (params added, host IDNA-encoded) is the one checked.
        sent_url = requests.Request(method, url, params=params).prepare().url or ""
    target = check_url(sent_url, allow_private=allow_private)
    session = _pinned_session(target)
    token = _current_deadline.set(deadline)
    try:
        with _translated(deadline):
            return session.request(
                method,
                sent_url,
                json=json,
                headers=dict(headers),
                timeout=deadline.timeout(*timeout),
                stream=True,
                allow_redirects=False,
                verify=ca_bundle or True,
            )
    finally:
        _current_deadline.reset(token)
        # The response keeps its connection; the session only held the pool.
        session.close()


@contextmanager
def fetch(
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    total_timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    max_redirects: int = 0,
    allow_private: bool | None = None,
    ca_bundle: str | None = None,
) -> Iterator[Fetched]:
    """Send one request through the guard; yield the answer with its body unread.

    ``timeout`` bounds each wait (connect, read); ``total_timeout`` the whole exchange,
    redirects and body included. With ``max_redirects`` 0 a redirect is returned like
    any answer; otherwise GET/HEAD redirects are followed, each hop checked and pinned,
    and more than ``max_redirects`` of them are refused. ``ca_bundle`` replaces the
    trusted certificates (tests with their own CA).
    """
    method = method.upper()
    if max_redirects and method not in ("GET", "HEAD"):
        raise ValueError("only GET and HEAD redirects are followed")
    deadline = Deadline(total_timeout)
    current = url
    hop_headers = dict(headers or {})
    response: requests.Response | None = None
    try:
        for hop in range(max_redirects + 1):
            response = _send_one(
                method,
                current,
                deadline=deadline,
                timeout=timeout,
                headers=hop_headers,
                params=params if hop == 0 else None,
                json=json,
                allow_private=allow_private,
                ca_bundle=ca_bundle,
            )
            location = response.headers.get("Location")
            if not max_redirects or response.status_code not in REDIRECT_STATUSES or not location:
                break
            response.close()
            response = None
            if hop == max_redirects:
                raise refused(f"more than {max_redirects} redirects")
            following = urljoin(current, location)
            if not _same_origin(current, following):
                hop_headers = {
                    name: value
                    for name, value in hop_headers.items()
                    if name.lower() not in {bound.lower() for bound in ORIGIN_BOUND_HEADERS}
                }
            current = following
        assert response is not None
        yield Fetched(response=response, url=current, deadline=deadline)
    finally:
        if response is not None:
            response.close()
        deadline.close()
