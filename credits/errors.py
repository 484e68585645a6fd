"""Typed errors of the credits ledger; each carries its HTTP status, code and public message."""

from __future__ import annotations

from kensa.errors import ConflictError, DomainError, NotFoundError


class InsufficientCreditsError(DomainError):
    status_code = 402
    code = "insufficient_credits"

    def __init__(self, required: int, available: int) -> None:
        self.required = required
        self.available = available
        super().__init__(f"Insufficient credits: required {required}, available {available}")


class InvalidCreditsError(DomainError):
    """A malformed request to the ledger: zero/negative amount, unknown type, missing remark."""

    status_code = 400
    code = "invalid_credits"
    default_message = "Invalid credits request."


class BalanceBelowZeroError(ConflictError):
    """A deduction larger than the available balance: it conflicts with the current state."""

    code = "balance_below_zero"

    def __init__(self, requested: int, available: int) -> None:
        self.requested = requested
        self.available = available
        super().__init__(
            f"Cannot deduct {requested} credits: only {available} available, "
            "and the balance cannot go below zero."
        )


class HoldNotFoundError(NotFoundError):
    code = "hold_not_found"
    default_message = "No credit hold has this reference."


class HoldExistsError(ConflictError):
    code = "hold_exists"
    default_message = "A credit hold with this reference already exists."


class OrderNumberTakenError(ConflictError):
    code = "order_number_taken"
    default_message = "This order number belongs to another user's package."


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    default_message = "No user has this id or email."
