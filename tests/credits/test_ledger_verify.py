"""The ledger's invariants and the credits_verify command (docs/api.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credits import services
from credits.models import CreditAccount, CreditPackage, CreditTransaction
from credits.selectors import ledger_batches, ledger_problems
from tests.credits.conftest import give
from tests.factories import UserFactory

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


# --- batches: memory follows the batch, not the ledger ---------------------------------------


@pytest.fixture
def five_users(db):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        give(user, 5)
        services.adjust(user, -1, remark="Fix")
    return users


def test_ledger_is_checked_in_batches_of_the_given_size(five_users):
    batches = list(ledger_batches(batch_size=2))

    assert [(batch.accounts, batch.problems) for batch in batches] == [(2, []), (2, []), (1, [])]


def test_verify_with_a_small_batch_checks_every_account(five_users, capsys):
    call_command("credits_verify", "--batch-size", "2")

    assert capsys.readouterr().out == "Ledger OK: 5 accounts checked.\n"


def test_verify_with_a_small_batch_finds_a_problem_in_the_last_batch(five_users, capsys):
    last = five_users[-1]
    CreditTransaction.objects.filter(user=last, sequence=2).update(balance_after=7)

    with pytest.raises(CommandError, match=r"2 problem\(s\) in 5 accounts"):
        call_command("credits_verify", "--batch-size", "2")

    assert capsys.readouterr().err.splitlines() == [
        f"user {last.pk} ({last.email}): the last balanceAfter is 7 but available + frozen is 4.",
        f"user {last.pk}: {CreditTransaction.objects.get(user=last, sequence=2).trans_no} "
        "has balanceAfter 7, expected 5 + -1 = 4.",
    ]


def test_verify_reports_transactions_without_an_account(five_users):
    orphan = five_users[0]
    CreditAccount.objects.filter(user=orphan).delete()

    assert ledger_problems() == [f"user {orphan.pk}: has transactions but no credit account."]


def test_verify_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match=r"--batch-size must be a positive whole number\."):
        call_command("credits_verify", "--batch-size", "0")


# --- on SQLite (the embedded quick start's database) -----------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SEED = """
from django.contrib.auth import get_user_model
from credits import services
from credits.models import CreditTransaction
User = get_user_model()
for n in range(3):
    user = User.objects.create_user(username=f"u{n}@example.com", email=f"u{n}@example.com")
    services.grant(user, 10, trans_type="ORDER_PAY", order_no=f"order-{n}")
    services.hold(user, 4, reference=f"video-{n}")
    services.settle(f"video-{n}")
    services.adjust(user, -1, remark="Fix")
"""
CORRUPT = (
    "from credits.models import CreditTransaction; "
    "CreditTransaction.objects.filter(user__email='u1@example.com', sequence=2).update(credits=-5)"
)


def _manage(args: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KENSA_READ_ENV_FILE": "false",
        "DJANGO_SETTINGS_MODULE": "kensa.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "dummy",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def sqlite_ledger(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("sqlite") / "ledger.sqlite3"
    for args in (["migrate", "--noinput"], ["shell", "-c", SEED]):
        result = _manage(args, database)
        assert result.returncode == 0, result.stderr
    return database


def test_verify_passes_a_clean_ledger_on_sqlite(sqlite_ledger):
    result = _manage(["credits_verify", "--batch-size", "2"], sqlite_ledger)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Ledger OK: 3 accounts checked.\n"


def test_verify_reports_a_corrupted_entry_on_sqlite(sqlite_ledger, tmp_path):
    database = tmp_path / "corrupted.sqlite3"
    shutil.copy(sqlite_ledger, database)
    assert _manage(["shell", "-c", CORRUPT], database).returncode == 0

    result = _manage(["credits_verify", "--batch-size", "2"], database)

    assert result.returncode == 1
    u1 = "(u1@example.com)"
    lines = result.stderr.splitlines()
    assert len(lines) == 4, result.stderr
    assert lines[0].endswith(f"{u1}: transactions add up to 4 but available + frozen is 5.")
    assert lines[1].endswith(f"{u1}: used is 4 but VIDEO_CONSUME entries add up to 5.")
    assert lines[2].endswith("has balanceAfter 6, expected 10 + -5 = 5.")
    assert lines[3] == "CommandError: The credits ledger has 3 problem(s) in 3 accounts; see above."
