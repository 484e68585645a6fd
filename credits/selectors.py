"""The credits ledger's reads. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, Lag
from django.utils import timezone

from credits.errors import UserNotFoundError
from credits.models import (
    CreditAccount,
    CreditHold,
    CreditHoldAllocation,
    CreditPackage,
    CreditTransaction,
    HoldState,
    TransType,
)


@dataclass(frozen=True)
class Balance:
    available: int
    frozen: int
    used: int
    total: int


def balance_of(user: AbstractBaseUser) -> Balance:
    """One query. ``available`` leaves out credits already past their date that the periodic
    expiry job has not written off yet: they can no longer be spent."""
    due = (
        CreditPackage.objects.filter(
            user_id=OuterRef("user_id"), remaining__gt=0, expires_at__lte=timezone.now()
        )
        .order_by()
        .values("user_id")
        .annotate(credits=Sum("remaining"))
        .values("credits")
    )
    row = (
        CreditAccount.objects.filter(user_id=user.pk)
        .annotate(due=Coalesce(Subquery(due), Value(0), output_field=IntegerField()))
        .values("available", "frozen", "used", "total", "due")
        .first()
    )
    if row is None:
        return Balance(0, 0, 0, 0)
    return Balance(
        available=row["available"] - row["due"], frozen=row["frozen"], used=row["used"], total=row["total"]
    )


def hold_state(reference: str) -> str | None:
    """HOLDING, SETTLED or RELEASED; None when no hold has this reference."""
    return CreditHold.objects.filter(reference=reference).values_list("state", flat=True).first()


def transactions_for(user: AbstractBaseUser, trans_type: str | None = None) -> QuerySet[CreditTransaction]:
    """The user's ledger entries, newest first."""
    entries = CreditTransaction.objects.filter(user_id=user.pk)
    if trans_type:
        entries = entries.filter(trans_type=trans_type)
    return entries.order_by("-id")


def transaction_total(user: AbstractBaseUser, trans_type: str | None = None) -> int:
    """How many entries ``transactions_for`` holds; the whole ledger's is the account's sequence."""
    if trans_type:
        return transactions_for(user, trans_type).count()
    sequence = CreditAccount.objects.filter(user_id=user.pk).values_list("sequence", flat=True).first()
    return sequence or 0


def user_by_id_or_email(reference: int | str) -> AbstractBaseUser:
    """A user by numeric id or by email (case-insensitive); UserNotFoundError otherwise."""
    users = get_user_model().objects
    if isinstance(reference, int) or (reference.isascii() and reference.isdigit()):
        found = users.filter(pk=int(reference)).first()
    else:
        found = users.filter(email__iexact=reference.strip()).order_by("pk").first()
    if found is None:
        raise UserNotFoundError()
    return found


def _sums(queryset: QuerySet, **aggregates: Sum) -> dict[int, dict[str, int]]:
    rows = queryset.order_by().values("user_id").annotate(**aggregates)
    return {row.pop("user_id"): {k: v or 0 for k, v in row.items()} for row in rows}


def ledger_problems(user: AbstractBaseUser | None = None) -> list[str]:
    """Every violation of the ledger's invariants (for one user, or for everyone).

    Per user: Σ entry credits = available + frozen = the last entry's balanceAfter; each
    entry's balanceAfter = the previous one's + its credits; no balance below zero; the
    account's counters equal what its packages, holds and entries add up to.
    """
    accounts = CreditAccount.objects.all()
    entries = CreditTransaction.objects.all()
    packages = CreditPackage.objects.all()
    holds = CreditHold.objects.filter(state=HoldState.HOLDING)
    allocations = CreditHoldAllocation.objects.filter(hold__state=HoldState.HOLDING)
    if user is not None:
        accounts, entries, packages = (qs.filter(user_id=user.pk) for qs in (accounts, entries, packages))
        holds = holds.filter(user_id=user.pk)
        allocations = allocations.filter(hold__user_id=user.pk)

    entry_sums = _sums(entries, credits=Sum("credits"))
    consumed = _sums(entries.filter(trans_type=TransType.VIDEO_CONSUME), credits=Sum("credits"))
    package_sums = _sums(packages, amount=Sum("amount"), remaining=Sum("remaining"), frozen=Sum("frozen"))
    held = _sums(holds, amount=Sum("amount"))
    last_entry = {
        row.pop("user_id"): row
        for row in entries.order_by("user_id", "-sequence")
        .distinct("user_id")
        .values("user_id", "sequence", "balance_after")
    }

    problems: list[str] = []
    seen: set[int] = set()
    for account in accounts.select_related("user").order_by("user_id"):
        seen.add(account.user_id)
        who = f"user {account.user_id} ({account.user.email})"
        balance = account.available + account.frozen
        for name in ("available", "frozen", "used", "total"):
            if getattr(account, name) < 0:
                problems.append(f"{who}: {name} is negative ({getattr(account, name)}).")
        entry_sum = entry_sums.get(account.user_id, {}).get("credits", 0)
        if entry_sum != balance:
            problems.append(f"{who}: transactions add up to {entry_sum} but available + frozen is {balance}.")
        last_balance = last_entry.get(account.user_id, {}).get("balance_after", 0)
        if last_balance != balance:
            problems.append(
                f"{who}: the last balanceAfter is {last_balance} but available + frozen is {balance}."
            )
        sums = package_sums.get(account.user_id, {"amount": 0, "remaining": 0, "frozen": 0})
        for counter, package_field in (("available", "remaining"), ("frozen", "frozen"), ("total", "amount")):
            if getattr(account, counter) != sums[package_field]:
                problems.append(
                    f"{who}: {counter} is {getattr(account, counter)} but its packages' "
                    f"{package_field} adds up to {sums[package_field]}."
                )
        held_sum = held.get(account.user_id, {}).get("amount", 0)
        if account.frozen != held_sum:
            problems.append(f"{who}: frozen is {account.frozen} but open holds add up to {held_sum}.")
        consumed_sum = -consumed.get(account.user_id, {}).get("credits", 0)
        if account.used != consumed_sum:
            problems.append(
                f"{who}: used is {account.used} but VIDEO_CONSUME entries add up to {consumed_sum}."
            )
        last_sequence = last_entry.get(account.user_id, {}).get("sequence", 0)
        if account.sequence != last_sequence:
            problems.append(
                f"{who}: the account counts {account.sequence} entries but the last is {last_sequence}."
            )

    for user_id in sorted(set(entry_sums) - seen):
        problems.append(f"user {user_id}: has transactions but no credit account.")

    # Each entry continues the previous one (by the user's sequence; the first starts at 0).
    chained = entries.annotate(
        previous=Window(Lag("balance_after"), partition_by=[F("user_id")], order_by=F("sequence").asc()),
        previous_sequence=Window(Lag("sequence"), partition_by=[F("user_id")], order_by=F("sequence").asc()),
    ).values("user_id", "trans_no", "sequence", "credits", "balance_after", "previous", "previous_sequence")
    for row in chained.order_by("user_id", "sequence"):
        previous = row["previous"] or 0
        expected_sequence = (row["previous_sequence"] or 0) + 1
        if row["balance_after"] != previous + row["credits"]:
            problems.append(
                f"user {row['user_id']}: {row['trans_no']} has balanceAfter {row['balance_after']}, "
                f"expected {previous} + {row['credits']} = {previous + row['credits']}."
            )
        if row["balance_after"] < 0:
            problems.append(f"user {row['user_id']}: {row['trans_no']} has a negative balanceAfter.")
        if row["sequence"] != expected_sequence:
            problems.append(
                f"user {row['user_id']}: {row['trans_no']} is entry {row['sequence']}, "
                f"expected {expected_sequence} (an entry is missing)."
            )

    # What the open holds froze in each package is what the package says is frozen.
    allocated = {
        row["package_id"]: row["amount"]
        for row in allocations.order_by().values("package_id").annotate(amount=Sum("amount"))
    }
    frozen = dict(packages.filter(frozen__gt=0).values_list("id", "frozen"))
    for package_id in sorted(set(allocated) | set(frozen)):
        if allocated.get(package_id, 0) != frozen.get(package_id, 0):
            problems.append(
                f"package {package_id}: {frozen.get(package_id, 0)} frozen "
                f"but open holds froze {allocated.get(package_id, 0)} there."
            )
    return problems
