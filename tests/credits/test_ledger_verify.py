"""The ledger's invariants and the credits_verify command (SPEC §5, §8)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits import services
from credits.models import CreditAccount, CreditPackage, CreditTransaction
from credits.selectors import ledger_problems
from tests.credits.conftest import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_ledger(user, other_user):
    give(user, 10)
    give(other_user, 3)
    services.hold(user, 4, reference="video-1")
    services.hold(user, 2, reference="video-2")
    services.settle("video-1")
    services.adjust(other_user, -1, remark="Fix")
    return user


def test_clean_ledger_has_no_problems(busy_ledger):
    assert ledger_problems() == []


def test_verify_passes_on_a_clean_ledger(busy_ledger, capsys):
    call_command("credits_verify")

    assert capsys.readouterr().out == "Ledger OK: 2 accounts checked.\n"


def test_verify_fails_when_an_entry_was_altered(busy_ledger, capsys):
    CreditTransaction.objects.filter(user=busy_ledger, sequence=1).update(credits=11)

    with pytest.raises(CommandError, match="problem"):
        call_command("credits_verify")

    err = capsys.readouterr().err
    assert (
        f"user {busy_ledger.pk} (alice@example.com): transactions add up to 7 but available + frozen is 6."
        in err
    )
    assert "has balanceAfter 10, expected 0 + 11 = 11" in err


def test_verify_exits_non_zero_from_the_command_line(busy_ledger):
    CreditTransaction.objects.filter(user=busy_ledger, sequence=1).update(credits=11)

    with pytest.raises(SystemExit) as exited:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "credits_verify"])

    assert exited.value.code == 1


def test_problems_report_a_broken_balance_chain(busy_ledger):
    CreditTransaction.objects.filter(user=busy_ledger, sequence=2).update(balance_after=99)

    problems = ledger_problems(busy_ledger)

    assert any("has balanceAfter 99, expected 10 + -4 = 6" in p for p in problems)


def test_problems_report_counters_that_disagree_with_packages(busy_ledger):
    CreditAccount.objects.filter(user=busy_ledger).update(available=5, frozen=3)

    problems = ledger_problems(busy_ledger)

    assert (
        f"user {busy_ledger.pk} (alice@example.com): available is 5 but its packages' remaining adds up to 4."
        in (problems)
    )
    assert f"user {busy_ledger.pk} (alice@example.com): frozen is 3 but open holds add up to 2." in problems


def test_problems_report_package_frozen_that_no_hold_explains(busy_ledger):
    CreditPackage.objects.filter(user=busy_ledger).update(frozen=3)

    assert any("3 frozen but open holds froze 2" in p for p in ledger_problems(busy_ledger))


def test_problems_report_a_missing_entry(busy_ledger):
    CreditTransaction.objects.filter(user=busy_ledger, sequence=1).delete()

    problems = ledger_problems(busy_ledger)

    assert any("is entry 2, expected 1 (an entry is missing)" in p for p in problems)


def test_problems_for_one_user_ignore_the_others(busy_ledger, other_user):
    CreditTransaction.objects.filter(user=other_user).update(credits=50)

    assert ledger_problems(busy_ledger) == []
    assert ledger_problems(other_user) != []
