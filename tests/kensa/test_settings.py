"""Production settings: refuse to start without secrets; pass Django's deployment checks."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup()"


def _clean_env(**values: str) -> dict[str, str]:
    """An environment with nothing of the developer's or the test run's Kensa settings."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KENSA_READ_ENV_FILE": "false"}
    env.update(DJANGO_SETTINGS_MODULE="kensa.settings", **values)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secrets():
    result = _run(["-c", SETUP], _clean_env(DJANGO_DEBUG="false"))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY and AI_CALLBACK_SECRET must be set when DJANGO_DEBUG is false." in result.stderr


def test_production_refuses_to_start_without_callback_secret():
    result = _run(
        ["-c", SETUP], _clean_env(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    )

    assert result.returncode != 0
    assert "AI_CALLBACK_SECRET must be set when DJANGO_DEBUG is false." in result.stderr
    assert "DJANGO_SECRET_KEY and" not in result.stderr


def test_production_starts_with_both_secrets():
    env = _clean_env(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), AI_CALLBACK_SECRET="s" * 40
    )

    result = _run(["-c", SETUP], env)

    assert result.returncode == 0, result.stderr


def test_debug_mode_starts_without_secrets():
    result = _run(["-c", SETUP], _clean_env(DJANGO_DEBUG="true"))

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/15"], ids=["embedded-cache", "redis"])
def test_production_settings_pass_deploy_checks(tmp_path, redis_url):
    env = _clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        AI_CALLBACK_SECRET=secrets.token_urlsafe(32),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        ALLOWED_HOSTS="kensa.example",
        REDIS_URL=redis_url,
    )

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_variable_settings_reads():
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', (BASE_DIR / "kensa" / "settings.py").read_text()))
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))

    assert read, "no env reads found: the pattern no longer matches settings.py"
    assert sorted(read - listed) == []


# --- a refused configuration is one line on stderr, not a traceback --------------------------


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_manage_py_without_secrets_says_so_in_one_line():
    result = _run(["manage.py", "check"], _clean_env(DJANGO_DEBUG="false"))

    assert result.returncode != 0
    assert _one_line(result.stderr) == (
        "Kensa configuration error: DJANGO_SECRET_KEY and AI_CALLBACK_SECRET must be set "
        "when DJANGO_DEBUG is false."
    )


def test_manage_py_without_the_callback_secret_says_so_in_one_line():
    env = _clean_env(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    result = _run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert _one_line(result.stderr) == (
        "Kensa configuration error: AI_CALLBACK_SECRET must be set when DJANGO_DEBUG is false."
    )


@pytest.mark.parametrize("module", ["kensa.wsgi", "kensa.asgi"])
def test_app_server_entry_point_without_secrets_says_so_in_one_line(module):
    result = _run(["-c", f"import {module}"], _clean_env(DJANGO_DEBUG="false"))

    # 4: gunicorn's "app failed to load", so it stops rather than respawning workers.
    assert result.returncode == 4
    assert _one_line(result.stderr).startswith("Kensa configuration error: DJANGO_SECRET_KEY and")


# --- media: served by Django in development only, unless SERVE_MEDIA=true says so -------------

MEDIA_PROBE = (
    "import django; django.setup(); from django.conf import settings; from django.urls import resolve, "
    "Resolver404\ntry:\n    resolve('/media/videos/a.mp4'); served = True\n"
    "except Resolver404:\n    served = False\nprint(settings.SERVE_MEDIA, served)"
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"DJANGO_DEBUG": "false"}, "False False"),
        ({"DJANGO_DEBUG": "false", "SERVE_MEDIA": "true"}, "True True"),
        ({"DJANGO_DEBUG": "true"}, "True True"),
        ({"DJANGO_DEBUG": "true", "SERVE_MEDIA": "false"}, "False False"),
    ],
    ids=["production", "production-opted-in", "debug", "debug-opted-out"],
)
def test_media_is_served_by_django_only_in_debug_or_when_asked(values, expected):
    env = _clean_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), AI_CALLBACK_SECRET=secrets.token_urlsafe(32), **values
    )

    result = _run(["-c", MEDIA_PROBE], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
