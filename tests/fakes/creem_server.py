"""A loopback HTTP server that speaks the part of Creem's API Kensa uses, and signs events
the way Creem does (``creem-signature`` = hex HMAC-SHA256 of the raw body).

    with FakeCreemServer(api_key="creem_test_kensa") as creem_server:
        settings.CREEM_API_BASE = creem_server.base_url
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def creem_signature(payload: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class FakeCreemServer:
    def __init__(self, *, api_key: str = "creem_test_kensa") -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeCreemServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, http_status: int = 500) -> None:
        with self._lock:
            self._failures.append(http_status)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    @staticmethod
    def event(
        event_type: str, obj: dict[str, Any], *, secret: str, event_id: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery: the raw body and its ``creem-signature`` header."""
        body = json.dumps(
            {
                "id": event_id or f"evt_{secrets.token_hex(11)}",
                "eventType": event_type,
                "created_at": int(time.time() * 1000),
                "object": obj,
            }
        ).encode()
        return body, {"creem-signature": creem_signature(body, secret)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    payload = None
                with fake._lock:
                    fake.requests.append(RecordedRequest("POST", self.path, dict(self.headers), payload))
                    failure = fake._failures.popleft() if fake._failures else None
                if self.headers.get("x-api-key") != fake.api_key:
                    self._send(403, {"status": 403, "error": "Forbidden", "message": ["Invalid API key"]})
                    return
                if failure is not None:
                    self._send(failure, {"status": failure, "error": "Internal Server Error"})
                    return
                if not isinstance(payload, dict):
                    self._send(400, {"status": 400, "error": "Bad Request", "message": ["Invalid body"]})
                    return
                if self.path == "/v1/checkouts":
                    if not payload.get("product_id"):
                        self._send(
                            400, {"status": 400, "error": "Bad Request", "message": ["product_id required"]}
                        )
                        return
                    checkout_id = f"ch_{secrets.token_hex(10)}"
                    self._send(
                        200,
                        {
                            "id": checkout_id,
                            "object": "checkout",
                            "product": payload["product_id"],
                            "request_id": payload.get("request_id"),
                            "status": "pending",
                            "metadata": payload.get("metadata"),
                            "checkout_url": f"https://checkout.creem.test/checkout/{checkout_id}",
                            "mode": "test",
                        },
                    )
                elif self.path == "/v1/customers/billing":
                    self._send(
                        200,
                        {"customer_portal_link": f"https://creem.test/portal/{payload.get('customer_id')}"},
                    )
                else:
                    self._send(404, {"status": 404, "error": "Not Found"})

        return Handler
