"""credits_grant, credits_adjust, credits_balance (docs/api.md: Staff endpoints)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from credits.models import CreditPackage, CreditTransaction, TransType
from credits.selectors import Balance, balance_of
from tests.credits.conftest import give

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- credits_grant ---------------------------------------------------------------------------


def test_grant_command_grants_a_package(user):
    out = run("credits_grant", "--email", "Alice@Example.com", "--credits", "5", "--order-no", "ORD-9")

    assert out == (
        "Order ORD-9: 5 credits for alice@example.com.\nBalance: available 5, frozen 0, used 0, total 5.\n"
    )
    package = CreditPackage.objects.get(order_no="ORD-9")
    assert (package.user, package.trans_type, package.expires_at) == (user, TransType.SYSTEM_ADJUST, None)


def test_grant_command_with_days_sets_expiry(user):
    run("credits_grant", "--email", user.email, "--credits", "5", "--days", "3", "--order-no", "ORD-9")

    expires_at = CreditPackage.objects.get(order_no="ORD-9").expires_at
    assert abs(expires_at - (timezone.now() + timedelta(days=3))) < timedelta(seconds=5)


def test_grant_command_with_same_order_grants_once(user):
    run("credits_grant", "--email", user.email, "--credits", "5", "--order-no", "ORD-9")

    out = run("credits_grant", "--email", user.email, "--credits", "5", "--order-no", "ORD-9")

    assert out.startswith("Order ORD-9 was already granted (5 credits); nothing added.\n")
    assert balance_of(user).total == 5


def test_grant_command_records_type_and_remark(user):
    run(
        "credits_grant",
        "--email",
        user.email,
        "--credits",
        "5",
        "--type",
        "ORDER_PAY",
        "--remark",
        "Invoice 7",
    )

    entry = CreditTransaction.objects.get(user=user)
    assert (entry.trans_type, entry.remark) == ("ORDER_PAY", "Invoice 7")


@pytest.mark.parametrize("credits", ["0", "-2"])
def test_grant_command_refuses_non_positive_credits(user, credits):
    with pytest.raises(CommandError, match="--credits must be a positive integer"):
        run("credits_grant", "--email", user.email, f"--credits={credits}")
    assert not CreditPackage.objects.exists()


def test_grant_command_refuses_non_integer_credits(user):
    with pytest.raises(CommandError, match="invalid int value"):
        run("credits_grant", "--email", user.email, "--credits", "2.5")


def test_grant_command_refuses_unknown_email(db):
    with pytest.raises(CommandError, match=re.escape("No user has the email 'nobody@example.com'")):
        run("credits_grant", "--email", "nobody@example.com", "--credits", "5")


def test_grant_command_refuses_order_of_another_user(user, other_user):
    give(other_user, 1, order_no="ORD-9")

    with pytest.raises(CommandError, match="another user's package"):
        run("credits_grant", "--email", user.email, "--credits", "5", "--order-no", "ORD-9")


# --- credits_adjust --------------------------------------------------------------------------


def test_adjust_command_adds_credits(user):
    out = run("credits_adjust", "--email", user.email, "--credits", "4", "--remark", "Goodwill")

    assert out.endswith("Balance: available 4, frozen 0, used 0, total 4.\n")
    assert CreditTransaction.objects.get(user=user).remark == "Goodwill"


def test_adjust_command_deducts_credits(user):
    give(user, 5)

    run("credits_adjust", "--email", user.email, "--credits=-3", "--remark", "Chargeback")

    assert balance_of(user) == Balance(available=2, frozen=0, used=0, total=5)


def test_adjust_command_refuses_to_go_below_zero(user):
    give(user, 2)

    with pytest.raises(CommandError, match="Cannot deduct 3 credits: only 2 available"):
        run("credits_adjust", "--email", user.email, "--credits=-3", "--remark", "Chargeback")
    assert balance_of(user).available == 2


def test_adjust_command_refuses_zero(user):
    with pytest.raises(CommandError, match="must not be zero"):
        run("credits_adjust", "--email", user.email, "--credits", "0", "--remark", "x")


def test_adjust_command_refuses_non_integer_credits(user):
    with pytest.raises(CommandError, match="invalid int value"):
        run("credits_adjust", "--email", user.email, "--credits", "ten", "--remark", "x")


def test_adjust_command_requires_a_remark(user):
    with pytest.raises(CommandError, match="--remark"):
        run("credits_adjust", "--email", user.email, "--credits", "3")


def test_adjust_command_refuses_unknown_email(db):
    with pytest.raises(CommandError, match="No user has the email"):
        run("credits_adjust", "--email", "nobody@example.com", "--credits", "3", "--remark", "x")


# --- credits_balance -------------------------------------------------------------------------


def test_balance_command_shows_the_balance(user):
    give(user, 5)

    assert run("credits_balance", "--email", user.email) == (
        "alice@example.com: available 5, frozen 0, used 0, total 5.\n"
    )


def test_balance_command_refuses_unknown_email(db):
    with pytest.raises(CommandError, match="No user has the email"):
        run("credits_balance", "--email", "nobody@example.com")


@pytest.mark.parametrize(
    "command", ["credits_grant", "credits_adjust", "credits_balance", "credits_expire", "credits_verify"]
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command(command, "--help")

    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("days", ["0", "999999999"])
def test_grant_command_refuses_days_out_of_range(user, days):
    with pytest.raises(CommandError, match="--days must be a whole number from 1 to 3650"):
        run("credits_grant", "--email", user.email, "--credits", "5", "--days", days)


def test_adjust_command_refuses_an_expiry_out_of_range(user):
    with pytest.raises(CommandError, match="1 to 3650"):
        run(
            "credits_adjust",
            "--email",
            user.email,
            "--credits",
            "5",
            "--remark",
            "goodwill",
            "--days",
            "99999999",
        )
