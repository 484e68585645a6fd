"""Typed domain errors. Each carries its HTTP status, a stable code and a public message.

Services raise them; the API's exception handler turns them into the error envelope.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code: int = 400
    code: str = "bad_request"
    default_message: str = "The request could not be processed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class IdempotencyKeyReusedError(ConflictError):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."
