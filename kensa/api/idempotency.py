"""The ``Idempotency-Key`` request header, read the same way by every endpoint that honours it."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request

MAX_IDEMPOTENCY_KEY_LENGTH = 255


def idempotency_key(request: Request) -> str:
    """The header's key, stripped ("" when absent); a 400 when it is too long."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise serializers.ValidationError(
            {"Idempotency-Key": [f"At most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."]}
        )
    return key
