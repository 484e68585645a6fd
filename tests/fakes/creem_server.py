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
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.recording_server import JsonHandler, RecordingServer


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def creem_signature(payload: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class FakeCreemServer(RecordingServer):
    def __init__(self, *, api_key: str = "creem_test_kensa") -> None:
        self.api_key = api_key
        super().__init__()

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

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    payload = None
                failure = fake.record(RecordedRequest("POST", self.path, dict(self.headers), payload))
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
