"""Real processes of the scale-out tests (and bench/chaos.py): a Redis of their own, RQ
workers, schedulers, gunicorn and moto's S3 server.

Each process runs in its own session, so that killing it (SIGKILL, as a crash would)
also kills what it forked (RQ's work horse); every one is stopped when its ``with``
block ends, failure or not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.live import ROOT, free_port, wait_for_http


def _descendants(root: int) -> list[int]:
    """Every live process below ``root``, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Proc:
    """A started process that can be killed and started again under the same name."""

    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    starts: int = field(default=0)

    def start(self) -> Proc:
        self.starts += 1
        out = self.log.open("ab")
        out.write(f"\n--- start #{self.starts} ---\n".encode())
        out.flush()
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process and everything it forked: no cleanup runs, as in a crash.

        RQ's work horse (the forked child running the job) starts a session of its own, so
        the process group alone would leave it running: its descendants are killed too.
        """
        if self.popen is None:
            return
        descendants = _descendants(self.popen.pid)
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in descendants:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout: float = 10) -> None:
        if not self.alive:
            self.kill()  # reap anything it left in its group
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def started(*procs: Proc) -> Iterator[tuple[Proc, ...]]:
    try:
        for proc in procs:
            proc.start()
        yield procs
    finally:
        for proc in procs:
            proc.stop()


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def rq_worker(env: dict[str, str], log_dir: Path, name: str) -> Proc:
    """``manage.py rqworker`` on both queues, with the scheduler that runs deferred retries."""
    args = python(
        "manage.py", "rqworker", "default", "webhooks", "--job-class", "django_tasks_rq.Job",
        "--with-scheduler",
    )  # fmt: skip
    # No --name: RQ's random one per start. A SIGKILLed worker stays registered in Redis
    # until its heartbeat runs out, and a restart under its name would be refused.
    return Proc(args, env, log_dir / f"{name}.log")


def db_worker(env: dict[str, str], log_dir: Path, name: str, queue: str = "default") -> Proc:
    args = python(
        "manage.py", "db_worker", "--queue-name", queue, "--interval", "0.1", "--no-startup-delay",
        "--no-reload",
    )  # fmt: skip
    return Proc(args, env, log_dir / f"{name}.log")


def scheduler(env: dict[str, str], log_dir: Path, name: str, interval: int = 1) -> Proc:
    return Proc(
        python("manage.py", "kensa_scheduler", "--interval", str(interval)), env, log_dir / f"{name}.log"
    )


def gunicorn(env: dict[str, str], log_dir: Path, name: str, port: int, workers: int = 2) -> Proc:
    args = python(
        "-m", "gunicorn", "kensa.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--graceful-timeout", "2", "--timeout", "60",
    )  # fmt: skip
    return Proc(args, env, log_dir / f"{name}.log")


@dataclass
class RedisServer:
    """A redis-server of the test's own on a free port (never the shared one on 6379)."""

    port: int
    proc: Proc

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def wait(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def restart(self, down_seconds: float = 0.5) -> None:
        self.proc.kill()
        time.sleep(down_seconds)
        self.proc.start()
        self.wait()


@contextmanager
def redis_server(log_dir: Path) -> Iterator[RedisServer]:
    port = free_port()
    args = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    server = RedisServer(port, Proc(args, dict(os.environ), log_dir / f"redis-{port}.log"))
    with started(server.proc):
        server.wait()
        yield server


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def env(self) -> dict[str, str]:
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }


@contextmanager
def s3_server(log_dir: Path, bucket: str = "kensa-media") -> Iterator[S3Server]:
    """moto's S3-protocol server (``moto_server``) on loopback, with one empty bucket."""
    port = free_port()
    proc = Proc(
        python("-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)), dict(os.environ), log_dir / "s3.log"
    )
    with started(proc):
        server = S3Server(f"http://127.0.0.1:{port}", bucket)
        wait_for_http(f"{server.endpoint}/moto-api/", timeout=30)
        server.client().create_bucket(Bucket=bucket)
        yield server


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)
