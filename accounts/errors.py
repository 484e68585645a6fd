from __future__ import annotations

from kensa.errors import DomainError


class InvalidCredentialsError(DomainError):
    status_code = 400
    code = "invalid_credentials"
    default_message = "The email or password is not correct."


class EmailTakenError(Exception):
    """Another account has this email (two sign-ups raced; the unique username decided)."""
