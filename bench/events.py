"""The live event stream under load: idle streams held by one server process, and how
soon an event reaches its stream after the commit.

    .venv/bin/python bench/events.py                    # 1,000 streams, 300 events
    .venv/bin/python bench/events.py --streams 200 --events 50

Needs PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379). It drops and
recreates the database ``kensa_events_bench``, migrates it, creates one user and signed-in
session per stream, and starts ONE uvicorn process serving ``kensa.asgi:application``
(DJANGO_DEBUG=false). From this process it opens the streams with asyncio (plain
HTTP/1.1 sockets, as many browsers' EventSources would), reads the server's memory
(VmRSS), threads and database connections idle and with every stream open, then commits
events one at a time (``webhooks.outbox.record_event`` in a transaction, as the domains
do) for users whose stream is open and times commit → the event's frame arriving on its
stream. Writes ``bench/reports/events.md``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kensa_events_bench"
REPORT = ROOT / "bench" / "reports" / "events.md"
FRAME = re.compile(rb"id: (\d+)\nevent: [^\n]+\ndata: ([^\n]+)\n")

ENV = {
    "DJANGO_SETTINGS_MODULE": "kensa.settings",
    "KENSA_READ_ENV_FILE": "false",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-events-secret-key-0123456789-0123456789-0123456789",
    "AI_CALLBACK_SECRET": "bench-events-callback-secret",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "CACHE_KEY_PREFIX": "bench-events",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "TASKS_BACKEND": "dummy",
    "EVENTS_STREAM_SECONDS": "3600",
    "LOG_LEVEL": "WARNING",
}


def setup_django() -> None:
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def signed_in_users(count: int) -> list[tuple[int, str]]:
    """(user id, session key) per stream."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"stream{n}@example.com", email=f"stream{n}@example.com", password="!")  # noqa: S106 (unusable)
        for n in range(count)
    )
    pairs = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pairs.append((user.pk, session.session_key))
    return pairs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def server_figures(pid: int) -> dict[str, float]:
    from django.db import connection

    status = proc_status(pid)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME]
        )
        (db_connections,) = cursor.fetchone()
    return {
        "rss_mb": int(status["VmRSS"].split()[0]) / 1024,
        "threads": int(status["Threads"]),
        "db_connections": db_connections,
    }


class Stream:
    def __init__(self, user_id: int, session_key: str) -> None:
        self.user_id = user_id
        self.session_key = session_key
        self.arrivals: dict[int, float] = {}
        self.buffer = b""

    async def open(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(
            (
                f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: sessionid={self.session_key}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await self.writer.drain()
        while b": connected" not in self.buffer:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise RuntimeError(f"stream closed before it connected: {self.buffer[:300]!r}")
            self.buffer += chunk
        if not self.buffer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(self.buffer[:300])

    async def read(self) -> None:
        while chunk := await self.reader.read(65536):
            now = time.monotonic()
            self.buffer += chunk
            for match in FRAME.finditer(self.buffer):
                payload = json.loads(match.group(2))
                self.arrivals.setdefault(payload["data"]["n"], now)
            self.buffer = (
                self.buffer[-4096:] if b"\n\n" not in self.buffer else self.buffer.rsplit(b"\n\n", 1)[1]
            )


def send_events(
    streams: list[Stream], count: int, gap: float, commits: dict[int, tuple[float, Stream]]
) -> None:
    from django.db import connection, transaction

    from webhooks.outbox import record_event

    for n in range(count):
        stream = random.choice(streams)  # noqa: S311
        with transaction.atomic():
            record_event(stream.user_id, "credits.changed", {"n": n})
        commits[n] = (time.monotonic(), stream)  # on_commit (the Redis publish) has run
        time.sleep(gap)
    connection.close()


async def drive(args: argparse.Namespace, port: int, pid: int, users: list[tuple[int, str]]) -> dict:
    figures: dict = {}
    warm = Stream(*users[0])
    await warm.open(port)  # imports and first connections, before the idle figure
    warm.writer.close()
    await asyncio.sleep(1)
    figures["idle"] = await asyncio.to_thread(server_figures, pid)

    streams = [Stream(*pair) for pair in users]
    started = time.monotonic()
    for first in range(0, len(streams), 50):
        await asyncio.gather(*(s.open(port) for s in streams[first : first + 50]))
    figures["connect_seconds"] = time.monotonic() - started
    readers = [asyncio.create_task(s.read()) for s in streams]
    await asyncio.sleep(2)
    figures["open"] = await asyncio.to_thread(server_figures, pid)

    commits: dict[int, tuple[float, Stream]] = {}
    await asyncio.to_thread(send_events, streams, args.events, args.gap, commits)
    await asyncio.sleep(2)
    latencies, missing = [], 0
    for n, (committed, stream) in commits.items():
        if n in stream.arrivals:
            latencies.append((stream.arrivals[n] - committed) * 1000)
        else:
            missing += 1
    figures["after_events"] = await asyncio.to_thread(server_figures, pid)
    for task in readers:
        task.cancel()
    for stream in streams:
        stream.writer.close()
    latencies.sort()
    figures["latency_ms"] = {
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
    }
    figures["missing"] = missing
    figures["wrong_stream"] = sum(
        1 for s in streams for n in s.arrivals if n in commits and commits[n][1] is not s
    )
    return figures


def report(args: argparse.Namespace, figures: dict) -> str:
    idle, opened = figures["idle"], figures["open"]
    per_stream_kb = (opened["rss_mb"] - idle["rss_mb"]) * 1024 / args.streams
    lat = figures["latency_ms"]
    return f"""# Live event stream benchmark

{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · Python {sys.version.split()[0]} ·
one uvicorn process (`kensa.asgi:application`, DJANGO_DEBUG=false), PostgreSQL and Redis on
this machine; clients in the benchmark's own process (asyncio sockets). Command:
`.venv/bin/python bench/events.py --streams {args.streams} --events {args.events}`.

## One server process holding {args.streams} idle streams

| | server RSS | threads | database connections |
|---|---:|---:|---:|
| no stream open | {idle["rss_mb"]:.1f} MB | {idle["threads"]} | {idle["db_connections"]} |
| {args.streams} streams open | {opened["rss_mb"]:.1f} MB | {opened["threads"]} | {opened["db_connections"]} |

About {per_stream_kb:.0f} KB per open stream. All {args.streams} connected in
{figures["connect_seconds"]:.1f} s. The database connections are the stream's shared
thread pool's, whatever the number of streams. The threads are Django's: it runs a
sync-only middleware (`kensa.api.middleware.ApiRequestGuardMiddleware`) on a thread of
the request's own, which stays, idle and without a database connection, while the
stream is open; an async-capable middleware would remove them.

## Commit → event on its stream, with {args.streams} streams open

{args.events} events, one every {args.gap * 1000:.0f} ms, each for a random one of the
connected users (a transaction writing the outbox row, as the domains do; the clock
stops when the frame arrives on that user's socket).

| p50 | p95 | p99 | max | missing | on another user's stream |
|---:|---:|---:|---:|---:|---:|
| {lat["p50"]:.1f} ms | {lat["p95"]:.1f} ms | {lat["p99"]:.1f} ms | {lat["max"]:.1f} ms \
| {figures["missing"]} | {figures["wrong_stream"]} |

Target: p99 under 1 s — {"met" if lat["p99"] < 1000 and not figures["missing"] else "NOT met"}.
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.02, help="Seconds between two events.")
    args = parser.parse_args()
    setup_django()
    recreate_database()
    users = signed_in_users(args.streams)
    port = free_port()
    env = {**os.environ, **ENV}
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "bench-events-uvicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (our own interpreter)
        [sys.executable, "-m", "uvicorn", "kensa.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--backlog", "4096"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        figures = asyncio.run(drive(args, port, server.pid, users))
    finally:
        server.terminate()
        server.wait(timeout=15)
    text = report(args, figures)
    REPORT.write_text(text)
    print(text)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
