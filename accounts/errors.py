from __future__ import annotations

from kensa.errors import DomainError


class InvalidCredentialsError(DomainError):
    status_code = 400
    code = "invalid_credentials"
    default_message = "The email or password is not correct."


class EmailNotVerifiedError(DomainError):
    status_code = 403
    code = "email_not_verified"
    default_message = "Confirm your email address first: open the link we emailed you, or ask for a new one."


class InvalidKeyError(DomainError):
    status_code = 400
    code = "invalid_key"
    default_message = "This link is invalid, has expired or has already been used."


class EmailTakenError(Exception):
    """Another account has this email (two sign-ups raced; the unique username decided)."""
