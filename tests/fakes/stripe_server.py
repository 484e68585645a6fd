"""A loopback HTTP server that speaks the part of Stripe's API Kensa uses, and signs events
the way Stripe does.

    with FakeStripeServer(secret_key="sk_test_kensa") as stripe_server:
        settings.STRIPE_API_BASE = stripe_server.base_url
        ...
        body, headers = stripe_server.event("invoice.paid", invoice, secret="whsec_...")

Requests are form-encoded as the official library sends them; the server decodes the
nested ``a[b][0][c]`` keys and records each request for assertions.
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
from urllib.parse import parse_qsl

from tests.fakes.recording_server import JsonHandler, RecordingServer


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, Any]


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``line_items[0][price_data][currency]=usd`` → nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            child_is_list = not last and parts[index + 1].isdigit()
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append({} if not child_is_list else [])
                if last:
                    node[position] = value
                else:
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if child_is_list else {})
    return root


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's scheme: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class FakeStripeServer(RecordingServer):
    def __init__(self, *, secret_key: str = "sk_test_kensa") -> None:  # noqa: S107 (a test key)
        self.secret_key = secret_key
        super().__init__()

    @staticmethod
    def event(
        event_type: str,
        obj: dict[str, Any],
        *,
        secret: str,
        event_id: str | None = None,
        signed_at: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery: the event's raw body and its ``Stripe-Signature`` header."""
        now = int(time.time())
        body = json.dumps(
            {
                "id": event_id or f"evt_{secrets.token_hex(12)}",
                "object": "event",
                "api_version": "2026-10-28.endive",
                "created": now,
                "type": event_type,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()
        return body, {"Stripe-Signature": stripe_signature(body, secret, signed_at or now)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def extra_headers(self) -> dict[str, str]:
                return {"Request-Id": f"req_{secrets.token_hex(6)}"}

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = _nest(parse_qsl(raw, keep_blank_values=True))
                failure = fake.record(RecordedRequest("POST", self.path, dict(self.headers), form))
                if self.headers.get("Authorization") != f"Bearer {fake.secret_key}":
                    self._send(
                        401,
                        {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                    )
                    return
                if failure is not None:
                    self._send(failure, {"error": {"type": "api_error", "message": "Something went wrong."}})
                    return
                if self.path == "/v1/checkout/sessions":
                    session_id = f"cs_test_{secrets.token_hex(12)}"
                    self._send(
                        200,
                        {
                            "id": session_id,
                            "object": "checkout.session",
                            "mode": form.get("mode"),
                            "client_reference_id": form.get("client_reference_id"),
                            "metadata": form.get("metadata", {}),
                            "expires_at": int(form.get("expires_at", 0)),
                            "status": "open",
                            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                        },
                    )
                elif self.path == "/v1/billing_portal/sessions":
                    self._send(
                        200,
                        {
                            "id": f"bps_{secrets.token_hex(8)}",
                            "object": "billing_portal.session",
                            "customer": form.get("customer"),
                            "return_url": form.get("return_url"),
                            "url": f"https://billing.stripe.test/p/session/{secrets.token_hex(8)}",
                        },
                    )
                else:
                    self._send(
                        404,
                        {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}},
                    )

        return Handler
