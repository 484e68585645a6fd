"""Real processes for end-to-end tests: gunicorn serving Kensa and a django.tasks worker.

They use the test database (committed data: use ``transaction=True`` tests) and the
same Redis key prefix as the test process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(**overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        TASKS_BACKEND="database",
        PYTHONUNBUFFERED="1",
        # Mail is not what live tests are about (tests/accounts runs a real SMTP server).
        EMAIL_URL="consolemail://",
    )
    env.update(overrides)
    return env


def wait_for_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def web_server(env: dict[str, str], log_dir: Path, *, workers: int = 1) -> Iterator[str]:
    port = free_port()
    args = [
        sys.executable, "-m", "gunicorn", "kensa.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--graceful-timeout", "2",
    ]  # fmt: skip
    with running(args, env, log_dir / f"web-{port}.log"):
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz")
        yield base


@contextmanager
def task_worker(env: dict[str, str], log_dir: Path) -> Iterator[subprocess.Popen]:
    args = [
        sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload",
    ]  # fmt: skip
    with running(args, env, log_dir / "worker.log") as process:
        yield process
