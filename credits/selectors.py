"""The credits ledger's reads. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
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


# How many accounts one round of ledger checks reads: memory grows with this, not with the
# size of the ledger (entries are streamed in each round).
LEDGER_CHECK_BATCH = 1000


@dataclass(frozen=True)
class LedgerBatch:
    accounts: int  # accounts checked in this round
    problems: list[str]


def _chain_problems(user_ids: list[int]) -> tuple[list[str], dict[int, tuple[int, int]]]:
    """Each entry continues the previous one (by the user's sequence; the first starts at 0).

    Streams the entries in order, so it works on any database (no window functions or
    DISTINCT ON) and holds one row at a time; returns the problems and each user's last
    (sequence, balanceAfter).
    """
    entries = (
        CreditTransaction.objects.filter(user_id__in=user_ids)
        .order_by("user_id", "sequence")
        .values_list("user_id", "trans_no", "sequence", "credits", "balance_after")
    )
    problems: list[str] = []
    last: dict[int, tuple[int, int]] = {}
    for user_id, trans_no, sequence, credits, balance_after in entries.iterator(chunk_size=2000):
        previous_sequence, previous = last.get(user_id, (0, 0))
        if balance_after != previous + credits:
            problems.append(
                f"user {user_id}: {trans_no} has balanceAfter {balance_after}, "
                f"expected {previous} + {credits} = {previous + credits}."
            )
        if balance_after < 0:
            problems.append(f"user {user_id}: {trans_no} has a negative balanceAfter.")
        if sequence != previous_sequence + 1:
            problems.append(
                f"user {user_id}: {trans_no} is entry {sequence}, "
                f"expected {previous_sequence + 1} (an entry is missing)."
            )
        last[user_id] = (sequence, balance_after)
    return problems, last


def _account_problems(account: dict, sums: dict, last: tuple[int, int]) -> list[str]:
    """The account's counters against what its packages, holds and entries add up to."""
    who = f"user {account['user_id']} ({account['user__email']})"
    balance = account["available"] + account["frozen"]
    problems: list[str] = []
    for name in ("available", "frozen", "used", "total"):
        if account[name] < 0:
            problems.append(f"{who}: {name} is negative ({account[name]}).")
    if sums["entries"] != balance:
        problems.append(
            f"{who}: transactions add up to {sums['entries']} but available + frozen is {balance}."
        )
    last_sequence, last_balance = last
    if last_balance != balance:
        problems.append(
            f"{who}: the last balanceAfter is {last_balance} but available + frozen is {balance}."
        )
    for counter, package_field in (("available", "remaining"), ("frozen", "frozen"), ("total", "amount")):
        if account[counter] != sums[package_field]:
            problems.append(
                f"{who}: {counter} is {account[counter]} but its packages' "
                f"{package_field} adds up to {sums[package_field]}."
            )
    if account["frozen"] != sums["held"]:
        problems.append(f"{who}: frozen is {account['frozen']} but open holds add up to {sums['held']}.")
    if account["used"] != sums["consumed"]:
        problems.append(
            f"{who}: used is {account['used']} but VIDEO_CONSUME entries add up to {sums['consumed']}."
        )
    if account["sequence"] != last_sequence:
        problems.append(
            f"{who}: the account counts {account['sequence']} entries but the last is {last_sequence}."
        )
    return problems


def _package_problems(user_ids: list[int]) -> list[str]:
    """What the open holds froze in each package is what the package says is frozen."""
    allocated = {
        row["package_id"]: row["amount"]
        for row in CreditHoldAllocation.objects.filter(
            hold__state=HoldState.HOLDING, hold__user_id__in=user_ids
        )
        .order_by()
        .values("package_id")
        .annotate(amount=Sum("amount"))
    }
    frozen = dict(
        CreditPackage.objects.filter(user_id__in=user_ids, frozen__gt=0).values_list("id", "frozen")
    )
    return [
        f"package {package_id}: {frozen.get(package_id, 0)} frozen "
        f"but open holds froze {allocated.get(package_id, 0)} there."
        for package_id in sorted(set(allocated) | set(frozen))
        if allocated.get(package_id, 0) != frozen.get(package_id, 0)
    ]


def _batch_problems(accounts: list[dict]) -> list[str]:
    user_ids = [account["user_id"] for account in accounts]
    chain, last = _chain_problems(user_ids)
    entries = CreditTransaction.objects.filter(user_id__in=user_ids)
    entry_sums = _sums(entries, credits=Sum("credits"))
    consumed = _sums(entries.filter(trans_type=TransType.VIDEO_CONSUME), credits=Sum("credits"))
    package_sums = _sums(
        CreditPackage.objects.filter(user_id__in=user_ids),
        amount=Sum("amount"),
        remaining=Sum("remaining"),
        frozen=Sum("frozen"),
    )
    held = _sums(
        CreditHold.objects.filter(user_id__in=user_ids, state=HoldState.HOLDING), amount=Sum("amount")
    )
    problems: list[str] = []
    for account in accounts:
        user_id = account["user_id"]
        sums = {
            "entries": entry_sums.get(user_id, {}).get("credits", 0),
            "consumed": -consumed.get(user_id, {}).get("credits", 0),
            "held": held.get(user_id, {}).get("amount", 0),
            **package_sums.get(user_id, {"amount": 0, "remaining": 0, "frozen": 0}),
        }
        problems += _account_problems(account, sums, last.get(user_id, (0, 0)))
    return problems + chain + _package_problems(user_ids)


def ledger_batches(
    user: AbstractBaseUser | None = None, *, batch_size: int = LEDGER_CHECK_BATCH
) -> Iterator[LedgerBatch]:
    """Check the ledger's invariants ``batch_size`` accounts at a time (for one user, or for
    everyone), yielding each round's findings.

    Per user: Σ entry credits = available + frozen = the last entry's balanceAfter; each
    entry's balanceAfter = the previous one's + its credits; no balance below zero; the
    account's counters equal what its packages, holds and entries add up to.
    """
    accounts = CreditAccount.objects.order_by("user_id").values(
        "user_id", "user__email", "available", "frozen", "used", "total", "sequence"
    )
    entries = CreditTransaction.objects.all()
    if user is not None:
        accounts, entries = accounts.filter(user_id=user.pk), entries.filter(user_id=user.pk)
    after = 0
    while batch := list(accounts.filter(user_id__gt=after)[:batch_size]):
        after = batch[-1]["user_id"]
        yield LedgerBatch(len(batch), _batch_problems(batch))
    orphans = (
        entries.exclude(user_id__in=CreditAccount.objects.values("user_id"))
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    problems = [f"user {user_id}: has transactions but no credit account." for user_id in orphans]
    if problems:
        yield LedgerBatch(0, problems)


def ledger_problems(user: AbstractBaseUser | None = None) -> list[str]:
    """Every violation of the ledger's invariants (for one user, or for everyone)."""
    return [problem for batch in ledger_batches(user) for problem in batch.problems]
