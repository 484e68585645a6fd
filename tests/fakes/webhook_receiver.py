"""A loopback HTTP server receiving users' webhooks, as a user's endpoint would.

It records every request (headers and raw body) and answers from a script: give it the
status codes to answer in turn (the last one repeats), a delay, or a redirect.

    with WebhookReceiver(statuses=[500, 500, 200]) as receiver:
        ... receiver.url ...
        receiver.wait_for(3)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class WebhookReceiver:
    def __init__(
        self, statuses: list[int] | None = None, *, delay: float | list[float] = 0.0, location: str = ""
    ) -> None:
        self.statuses = list(statuses or [200])
        # One delay for every request, or one per request in turn (none after the list).
        self.delays = delay if isinstance(delay, list) else None
        self.delay = 0.0 if isinstance(delay, list) else delay
        self.location = location
        self.requests: list[Received] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                    index = len(receiver.requests)
                    receiver.requests.append(
                        Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                        )
                    )
                    receiver._lock.notify_all()
                try:
                    delays = receiver.delays
                    wait = receiver.delay if delays is None else (delays[index] if index < len(delays) else 0)
                    if wait:
                        time.sleep(wait)
                    status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                    self.send_response(status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender hung up (its deadline passed)
                finally:
                    with receiver._lock:
                        receiver.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kensa"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests, once they have arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} webhooks arrived in {timeout} s")
                self._lock.wait(left)
            return list(self.requests[:count])

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
