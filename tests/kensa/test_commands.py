"""The quick-start and scheduler management commands."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from credits.selectors import balance_of

User = get_user_model()


@pytest.fixture(autouse=True)
def _development(settings):
    """The quick start is for a developer's machine: bin/run's .env sets DJANGO_DEBUG=true."""
    settings.DEBUG = True


def _quickstart(*args: str) -> str:
    out = StringIO()
    call_command("kensa_quickstart", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_quickstart_creates_staff_superuser_with_default_login():
    _quickstart()

    demo = User.objects.get(username="demo@kensa.local")
    assert (demo.email, demo.is_staff, demo.is_superuser, demo.is_active) == (
        "demo@kensa.local",
        True,
        True,
        True,
    )
    assert demo.check_password("kensa-demo-1234")


@pytest.mark.django_db
def test_quickstart_grants_100_credits():
    _quickstart()

    assert balance_of(User.objects.get(username="demo@kensa.local")).available == 100


@pytest.mark.django_db
def test_quickstart_run_twice_keeps_one_user_and_grants_once():
    _quickstart()
    _quickstart()

    assert User.objects.filter(username="demo@kensa.local").count() == 1
    assert balance_of(User.objects.get(username="demo@kensa.local")).available == 100


@pytest.mark.django_db
def test_quickstart_prints_login_and_urls():
    out = _quickstart()

    assert "email:    demo@kensa.local" in out
    assert "password: kensa-demo-1234" in out
    assert "http://127.0.0.1:8000/" in out
    assert "http://127.0.0.1:8000/admin/" in out


@pytest.mark.django_db
def test_quickstart_takes_email_and_password_options():
    out = _quickstart("--email", "Ops@Example.com", "--password", "s3cret-Tapir-9")

    demo = User.objects.get(username="ops@example.com")
    assert demo.check_password("s3cret-Tapir-9")
    assert "password: s3cret-Tapir-9" in out


@pytest.mark.django_db
def test_quickstart_takes_password_from_environment(monkeypatch):
    monkeypatch.setenv("KENSA_DEMO_PASSWORD", "env-Walrus-42")

    _quickstart()

    assert User.objects.get(username="demo@kensa.local").check_password("env-Walrus-42")


@pytest.mark.django_db
def test_quickstart_rerun_resets_password_and_restores_admin_rights():
    _quickstart("--password", "first-Heron-1")
    User.objects.filter(username="demo@kensa.local").update(is_staff=False, is_superuser=False)

    _quickstart("--password", "second-Heron-2")

    demo = User.objects.get(username="demo@kensa.local")
    assert demo.check_password("second-Heron-2")
    assert (demo.is_staff, demo.is_superuser) == (True, True)


@pytest.mark.django_db
def test_quickstart_demo_user_can_open_the_admin(client):
    _quickstart()

    client.login(username="demo@kensa.local", password="kensa-demo-1234")

    assert client.get("/admin/modelconfig/aimodel/").status_code == 200


@pytest.mark.django_db
def test_quickstart_rejects_invalid_email():
    with pytest.raises(CommandError, match="Not a valid email address"):
        _quickstart("--email", "not-an-email")

    assert not User.objects.exists()


@pytest.mark.django_db
def test_quickstart_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as refused:
        _quickstart()

    assert str(refused.value) == (
        "kensa_quickstart creates a demo superuser with a published password; "
        "it runs only with DJANGO_DEBUG=true."
    )
    assert not User.objects.exists()


SCHEDULER_CALL_COMMAND = "kensa.management.commands.kensa_scheduler.call_command"


@pytest.mark.django_db
def test_scheduler_once_runs_every_job():
    with mock.patch(SCHEDULER_CALL_COMMAND) as job:
        call_command("kensa_scheduler", "--once")

    assert job.call_args_list == [
        mock.call("videos_reconcile", verbosity=0),
        mock.call("credits_expire", verbosity=0),
        mock.call("webhooks_purge", verbosity=0),
        mock.call("webhooks_dispatch", verbosity=0),
    ]


@pytest.mark.django_db
def test_scheduler_once_runs_the_other_jobs_when_the_first_raises_and_exits_non_zero():
    with (
        mock.patch(
            SCHEDULER_CALL_COMMAND, side_effect=[RuntimeError("provider down"), None, None, None]
        ) as job,
        pytest.raises(CommandError, match="videos_reconcile"),
    ):
        call_command("kensa_scheduler", "--once")

    assert job.call_args_list == [
        mock.call("videos_reconcile", verbosity=0),
        mock.call("credits_expire", verbosity=0),
        mock.call("webhooks_purge", verbosity=0),
        mock.call("webhooks_dispatch", verbosity=0),
    ]


@pytest.mark.django_db
def test_scheduler_loop_survives_a_failing_round():
    sleeps = []

    def stop_after_two_rounds(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    with (
        mock.patch(SCHEDULER_CALL_COMMAND, side_effect=[RuntimeError("db gone"), *[None] * 7]) as job,
        mock.patch("kensa.management.commands.kensa_scheduler.time.sleep", side_effect=stop_after_two_rounds),
        mock.patch("kensa.management.commands.kensa_scheduler.close_old_connections") as close_connections,
    ):
        call_command("kensa_scheduler", "--interval", "7")

    assert [c.args[0] for c in job.call_args_list] == [
        "videos_reconcile",
        "credits_expire",
        "webhooks_purge",
        "webhooks_dispatch",
        "videos_reconcile",
        "credits_expire",
        "webhooks_purge",
        "webhooks_dispatch",
    ]
    assert all(0 <= s <= 7 for s in sleeps)
    assert close_connections.call_count == 2


@pytest.mark.django_db
def test_a_second_scheduler_runs_nothing_while_the_first_holds_the_lease():
    from kensa import leases

    assert leases.acquire("kensa_scheduler", "other-host:1:abc", 60)
    with mock.patch(SCHEDULER_CALL_COMMAND) as job:
        call_command("kensa_scheduler", "--once")

    assert job.call_args_list == []
    assert leases.current_holder("kensa_scheduler") == "other-host:1:abc"


@pytest.mark.django_db
def test_a_scheduler_takes_over_an_expired_lease_and_gives_it_back_after_once():
    from kensa import leases

    assert leases.acquire("kensa_scheduler", "dead-host:1:abc", -1)  # already run out
    with mock.patch(SCHEDULER_CALL_COMMAND) as job:
        call_command("kensa_scheduler", "--once")

    assert len(job.call_args_list) == 4
    assert leases.current_holder("kensa_scheduler") == ""


def test_scheduler_rejects_non_positive_interval():
    with pytest.raises(CommandError, match="--interval must be a positive"):
        call_command("kensa_scheduler", "--interval", "0")
