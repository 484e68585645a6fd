"""Logs, with the real LOGGING config: each line once, expected 4xx without a traceback,
and the periodic jobs at INFO only when they did something."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.test import Client

from kensa.management.commands.kensa_scheduler import Command as Scheduler
from tests.credits.conftest import expire_now, give

pytestmark = pytest.mark.django_db

UNKNOWN_VIDEO = "/api/v1/video/00000000-0000-0000-0000-000000000000"


def test_a_django_log_line_is_printed_once_in_development():
    """Django's own config adds a console handler to "django" when DEBUG; ours prints from the root."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kensa.settings",
        "DJANGO_DEBUG": "true",
        "LOG_LEVEL": "INFO",
    }
    request_once = "from django.test import Client; Client().get('/api/v1/no-such-endpoint')"

    finished = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", request_once],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    printed = finished.stdout + finished.stderr
    assert printed.count("Not Found: /api/v1/no-such-endpoint") == 1, printed


@pytest.fixture
def console(settings):
    """What the configured stream handlers (the root's, any of "django") print, with DEBUG on."""
    settings.DEBUG = True
    buffer = StringIO()
    loggers = [logging.getLogger(), logging.getLogger("django"), logging.getLogger("django.request")]
    handlers = {h for logger in loggers for h in logger.handlers if type(h) is logging.StreamHandler}
    assert handlers, "the LOGGING config has no console handler"
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)


def printed_lines(console: StringIO) -> list[str]:
    return console.getvalue().splitlines()


def test_api_404_logs_one_line_without_traceback(auth_client, console):
    response = auth_client.get(UNKNOWN_VIDEO)

    assert response.status_code == 404
    [line] = printed_lines(console)
    assert line.endswith(f"WARNING django.request Not Found: {UNKNOWN_VIDEO}")


def test_api_403_logs_one_line_without_traceback(auth_client, console):
    response = auth_client.post("/api/v1/admin/credits/adjust", {}, format="json")

    assert response.status_code == 403
    [line] = printed_lines(console)
    assert line.endswith("WARNING django.request Forbidden: /api/v1/admin/credits/adjust")


def test_permission_denied_page_logs_one_line_without_traceback(staff_user, user, console):
    """django.request attaches the PermissionDenied to its warning: the stack is dropped."""
    browser = Client()
    browser.force_login(staff_user)
    path = f"/admin/credits/creditaccount/adjust/{user.pk}/"

    response = browser.get(path)

    assert response.status_code == 403
    assert "Traceback" not in console.getvalue()
    [line] = printed_lines(console)
    assert line.endswith(f"WARNING django.request Forbidden (Permission denied): {path}")


def test_server_error_keeps_its_traceback(settings, console):
    settings.ROOT_URLCONF = "tests.kensa.crash_urls"
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/test/crash-django")

    assert response.status_code == 500
    assert "ERROR django.request Internal Server Error: /api/v1/test/crash-django" in console.getvalue()
    assert "Traceback (most recent call last)" in console.getvalue()
    assert "RuntimeError: secret detail" in console.getvalue()


def test_scheduler_round_with_nothing_to_do_logs_nothing_at_info(caplog, capsys):
    caplog.set_level(logging.INFO)

    failed = Scheduler().run_round()

    assert failed == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    assert capsys.readouterr() == ("", "")


def test_scheduler_round_with_nothing_to_do_reports_each_job_at_debug(caplog):
    caplog.set_level(logging.DEBUG)

    Scheduler().run_round()

    assert [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records
        if r.name.endswith(("videos_reconcile", "credits_expire", "webhooks_purge"))
    ] == [
        ("videos.management.commands.videos_reconcile", "DEBUG", "refreshed 0, resubmitted 0, timed out 0"),
        ("credits.management.commands.credits_expire", "DEBUG", "Expired 0 credits."),
        ("webhooks.management.commands.webhooks_purge", "DEBUG", "deleted 0 webhook deliveries"),
    ]


def test_scheduler_round_that_expires_credits_logs_it_at_info(user, caplog, capsys):
    expire_now(give(user, 5, expires_in=timedelta(days=1)))
    caplog.set_level(logging.INFO)

    Scheduler().run_round()

    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO] == [
        ("credits.management.commands.credits_expire", "Expired 5 credits.")
    ]
    assert capsys.readouterr() == ("", "")
