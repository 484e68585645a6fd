"""Real processes of the notification tests, next to those of tests.live: the ASGI server
of the live stream and the worker of the ``webhooks`` queue."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live import free_port, running, wait_for_http


@contextmanager
def asgi_server(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """uvicorn serving Kensa's ASGI application (the live event stream's server)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "kensa.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(args, env, log_dir / f"asgi-{port}.log"):
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz")
        yield base


@contextmanager
def webhooks_worker(
    env: dict[str, str], log_dir: Path, name: str = "webhooks-worker"
) -> Iterator[subprocess.Popen]:
    """A django.tasks worker of the ``webhooks`` queue (users' webhook deliveries)."""
    args = [
        sys.executable, "manage.py", "db_worker", "--queue-name", "webhooks", "--interval", "0.1",
        "--no-startup-delay", "--no-reload",
    ]  # fmt: skip
    with running(args, env, log_dir / f"{name}.log") as process:
        yield process
