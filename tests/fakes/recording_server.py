"""What the payment providers' fakes share: a threaded loopback HTTP server that records
each request and can be told to fail the next ones, and a handler that answers JSON."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class RecordingServer:
    """Subclasses give ``_handler()``; the handler calls ``record()`` on every request."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, http_status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([http_status] * times)

    def requests_to(self, path: str) -> list[Any]:
        return [request for request in self.requests if request.path == path]

    def record(self, request: Any) -> int | None:
        """Keep ``request``; the status to fail it with, if a failure is queued."""
        with self._lock:
            self.requests.append(request)
            return self._failures.popleft() if self._failures else None


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def extra_headers(self) -> dict[str, str]:
        return {}

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in self.extra_headers().items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
