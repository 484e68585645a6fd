"""Placeholder until the credits ledger lands."""


def grant_new_user_credits(user) -> None:
    return None
