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
