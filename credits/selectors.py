"""Placeholder until the credits ledger lands."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Balance:
    available: int
    frozen: int
    used: int
    total: int


def balance_of(user) -> Balance:
    return Balance(0, 0, 0, 0)
