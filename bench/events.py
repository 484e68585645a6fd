"""The live event stream under load: idle streams held by one server process, and how
soon an event reaches its stream after the commit.

    .venv/bin/python bench/events.py                    # 1,000 streams, 300 events
    .venv/bin/python bench/events.py --streams 200 --events 50
    .venv/bin/python bench/events.py --reads            # the read API beside the stream server

Needs PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379). It drops and
recreates the database ``kensa_events_bench``, migrates it, creates one user and signed-in
session per stream, and starts ONE uvicorn process serving ``kensa.asgi:application``
(DJANGO_DEBUG=false). From this process it opens the streams with asyncio (plain
HTTP/1.1 sockets, as many browsers' EventSources would), reads the server's memory
(VmRSS), threads and database connections idle and with every stream open, then commits
events one at a time (``webhooks.outbox.record_event`` in a transaction, as the domains
do) for users whose stream is open and times commit → the event's frame arriving on its
stream. Writes ``bench/reports/events.md`` (keeping its ``--reads`` section). Not a test:
nothing here asserts.

``--reads`` measures whether the read API slows down while the stream server, beside it
on the same machine, holds idle streams and delivers events. It recreates the database
``kensa_bench_events`` (cache and events on Redis db 3), seeds one reader with 1,000
videos and 1,000 ledger entries (bench/run.py's bulk-SQL helpers, imported), other users'
rows, and one user and session per stream, then starts the two servers as
docker-compose.yml does — ``web``: gunicorn ``kensa.wsgi:application``, 3 sync workers,
access log on; ``events``: one uvicorn process serving ``kensa.asgi:application`` — on
loopback ports (rate limits off, or wrk would meet 429s). wrk (8 connections, 2 threads)
drives ``GET /api/v1/video/list`` and ``GET /api/v1/credit/history`` signed in as the
reader: with no stream open, then with ``--streams`` streams open on uvicorn (asyncio
sockets in this process) while ``--rate`` events a second are committed for random
stream users, then with no stream open again (the drift check). It replaces the
``--reads`` section of the report and records the CPU each process used per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
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


def recreate_database(name: str = DB_NAME) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def signed_in_users(count: int) -> list[tuple[int, str]]:
    """(user id, session key) per stream."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

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
        self.opened = False
        self.refusal = ""

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
thread pool's, whatever the number of streams. The threads are Django's: under ASGI it
runs each request's synchronous middleware hooks (every `MiddlewareMixin` middleware:
sessions, CSRF, security headers, messages; whitenoise) on a thread of the request's own,
which stays, idle and without a database connection, while the stream is open.

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


def run_streams(args: argparse.Namespace) -> None:
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
    kept = REPORT.read_text() if REPORT.exists() else ""
    if READS_HEADING in kept:
        text = text.rstrip("\n") + "\n\n" + kept[kept.index(READS_HEADING) :]
    REPORT.write_text(text)
    print(text)


# ---------------------------------------------------------------------------------------
# --reads: the read API (gunicorn) beside the stream server (uvicorn).
# ---------------------------------------------------------------------------------------

READS_HEADING = "## Read endpoints beside the stream server"
READS_DB = "kensa_bench_events"
READS_ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{READS_DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "CACHE_KEY_PREFIX": "bench-events-reads",
    "RATELIMIT_ENABLE": "false",  # 120 reads a minute per user: wrk would measure 429s
    "TRUSTED_PROXY_COUNT": "0",  # compose's proxy is not here: clients reach the servers
    "SERVE_MEDIA": "true",
    "PYTHONUNBUFFERED": "1",
}
READ_PATHS = ("/api/v1/video/list", "/api/v1/credit/history")
READER_PASSWORD = "bench-reader-password-1234"  # noqa: S105 (a throwaway database)
CLK_TCK = os.sysconf("SC_CLK_TCK")
GIT = shutil.which("git") or "git"


def load_bench_run():
    """bench/run.py as a module, for its seeding helpers (it does nothing on import)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def seed_reads(args: argparse.Namespace) -> tuple[object, list[tuple[int, str]], dict]:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from credits.models import CreditTransaction
    from videos.models import Video

    bench_run = load_bench_run()
    recreate_database(READS_DB)
    cache.clear()  # Redis db 3: ours alone
    started = time.monotonic()
    reader = get_user_model().objects.create_user(
        "reader@bench.local", "reader@bench.local", READER_PASSWORD, first_name="Reader"
    )
    bench_run.seed_background()
    bench_run.seed_user_rows(reader.pk, 1, args.videos)
    bench_run.sync_kept_counts(reader.pk)
    users = signed_in_users(args.streams)
    bench_run.analyze()
    seeded = {
        "videos": Video.objects.count(),
        "reader_videos": Video.objects.filter(user=reader).count(),
        "ledger": CreditTransaction.objects.count(),
        "reader_ledger": CreditTransaction.objects.filter(user=reader).count(),
        "seconds": time.monotonic() - started,
    }
    return reader, users, seeded


def cpu_seconds(pid: int) -> float:
    """utime + stime of one live process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy (every CPU), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def cpu_snapshot(web_pid: int, events_pid: int) -> dict[str, float]:
    import resource

    web = [web_pid, *children(web_pid)]
    return {
        "web": sum(cpu_seconds(pid) for pid in web),
        "events": cpu_seconds(events_pid),
        "bench": cpu_seconds(os.getpid()),
        "wrk": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
        "machine": machine_busy_seconds(),
    }


def _duration_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, cookie: str, seconds: float, connections: int) -> dict:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
        "-H", f"Cookie: sessionid={cookie}", url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    distribution = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": _duration_ms(distribution["50"]),
        "p99_ms": _duration_ms(distribution["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "output": out,
    }


def publish_events(
    streams: list[Stream], rate: float, go: threading.Event, stop: threading.Event, published: dict
) -> None:
    """Commit ``rate`` events a second, each for a random open stream's user, from ``go``
    until ``stop``. Connects first: while the streams open, PostgreSQL may run out of
    connections (see the report)."""
    from django.db import connection, transaction

    from webhooks.outbox import record_event

    connection.ensure_connection()
    go.wait()
    opened = [stream for stream in streams if stream.opened]
    n, started = 0, time.monotonic()
    if rate <= 0:  # idle streams: heartbeats only
        stop.wait()
    while opened and rate > 0 and not stop.is_set():
        stream = random.choice(opened)  # noqa: S311
        with transaction.atomic():
            record_event(stream.user_id, "credits.changed", {"n": n})
        published[n] = stream
        n += 1
        time.sleep(max(0.0, started + n / rate - time.monotonic()))
    connection.close()


async def open_tolerant(stream: Stream, port: int) -> None:
    """Open, or record why not (a refused stream is part of the result, not a crash)."""
    try:
        await stream.open(port)
        stream.opened = True
    except (RuntimeError, OSError) as error:
        stream.opened = False
        head = stream.buffer.split(b"\r\n", 1)[0].decode(errors="replace") if stream.buffer else ""
        stream.refusal = head or type(error).__name__
        if hasattr(stream, "writer"):
            stream.writer.close()


def database_connections(monitor) -> int:
    with monitor.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [READS_DB])
        return cursor.fetchone()[0] - 1  # not the monitor's own


async def measure_reads(
    args: argparse.Namespace, label: str, ports: dict, pids: dict, cookie: str, into: dict
):
    for path in READ_PATHS:
        before = cpu_snapshot(pids["web"], pids["events"])
        result = await asyncio.to_thread(
            wrk, f"http://127.0.0.1:{ports['web']}{path}", cookie, args.seconds, args.connections
        )
        after = cpu_snapshot(pids["web"], pids["events"])
        result["cpu"] = {name: after[name] - before[name] for name in before}
        result["label"], result["path"] = label, path
        into.append(result)
        print(
            f"[{time.strftime('%H:%M:%S')}] {label:8} {path:24} {result['rps']:8.1f} req/s  "
            f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  non-2xx {result['non_2xx']}  "
            f"cpu web {result['cpu']['web']:.1f} s events {result['cpu']['events']:.1f} s",
            flush=True,
        )
        await asyncio.sleep(1)


async def streams_round(
    args: argparse.Namespace, ports: dict, pids: dict, cookie: str, users: list, monitor, runs: list
) -> dict:
    """Open the streams; measure both endpoints with the streams idle (heartbeats only), then
    while events are published to them; close them."""
    figures: dict = {}
    streams = [Stream(*pair) for pair in users]
    go, stop, published = threading.Event(), threading.Event(), {}
    publisher = asyncio.create_task(
        asyncio.to_thread(publish_events, streams, args.rate, go, stop, published)
    )
    await asyncio.sleep(1)  # the publisher's connection, before the streams take theirs
    started = time.monotonic()
    for first in range(0, len(streams), 50):
        await asyncio.gather(*(open_tolerant(s, ports["events"]) for s in streams[first : first + 50]))
    figures["connect_seconds"] = time.monotonic() - started
    opened = [s for s in streams if s.opened]
    figures["opened"] = len(opened)
    refusals: dict[str, int] = {}
    for stream in streams:
        if not stream.opened:
            refusals[stream.refusal] = refusals.get(stream.refusal, 0) + 1
    figures["refusals"] = refusals
    print(f"[{time.strftime('%H:%M:%S')}] streams open: {len(opened)}, refused: {refusals}", flush=True)
    readers = [asyncio.create_task(s.read()) for s in opened]
    await asyncio.sleep(3)  # every stream connected and reading
    figures["connections"] = database_connections(monitor)
    await measure_reads(args, "idle", ports, pids, cookie, runs)
    go.set()
    await asyncio.sleep(3)  # a few events before measuring
    t0 = time.monotonic()
    await measure_reads(args, "events", ports, pids, cookie, runs)
    stop.set()
    await publisher
    figures["publish_rate"] = len(published) / (time.monotonic() - t0 + 3)
    await asyncio.sleep(2)
    figures["published"] = len(published)
    figures["delivered"] = sum(1 for n, stream in published.items() if n in stream.arrivals)
    figures["still_open"] = sum(1 for task in readers if not task.done())
    for task in readers:
        task.cancel()
    for stream in opened:
        stream.writer.close()
    await asyncio.sleep(5)
    return figures


async def drive_reads(
    args: argparse.Namespace, ports: dict, pids: dict, cookie: str, users: list[tuple[int, str]]
) -> dict:
    import psycopg

    figures: dict = {"runs": [], "rounds": []}
    for path in READ_PATHS:  # every gunicorn worker imports, connects and warms its caches
        await asyncio.to_thread(
            wrk, f"http://127.0.0.1:{ports['web']}{path}", cookie, args.seconds, args.connections
        )
    warm = Stream(*users[0])
    await warm.open(ports["events"])
    warm.writer.close()
    await asyncio.sleep(1)
    monitor = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{READS_DB}", autocommit=True)
    figures["max_connections"] = monitor.execute("SHOW max_connections").fetchone()[0]
    figures["connections_idle"] = database_connections(monitor)
    # Without, with, without, ...: the machine's other work comes and goes, so each
    # condition is measured between two of the other and the medians compared.
    for _ in range(args.rounds):
        await measure_reads(args, "without", ports, pids, cookie, figures["runs"])
        figures["rounds"].append(
            await streams_round(args, ports, pids, cookie, users, monitor, figures["runs"])
        )
    await measure_reads(args, "without", ports, pids, cookie, figures["runs"])
    figures["connections_after"] = database_connections(monitor)
    monitor.close()
    return figures


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def sign_in(port: int, email: str) -> str:
    import requests

    response = requests.post(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        json={"email": email, "password": READER_PASSWORD},
        timeout=10,
    )
    response.raise_for_status()
    cookie = response.cookies["sessionid"]
    for path in READ_PATHS:
        check = requests.get(f"http://127.0.0.1:{port}{path}", cookies={"sessionid": cookie}, timeout=10)
        if check.status_code != 200:
            raise SystemExit(f"{path}: {check.status_code} {check.text[:300]}")
    return cookie


def working_tree_note() -> str:
    head = subprocess.run(  # noqa: S603 (git, fixed arguments)
        [GIT, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not head:
        return f"the code at `{ROOT}` (not a git checkout)"
    status = subprocess.run(  # noqa: S603 (git, fixed arguments)
        [GIT, "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.splitlines()
    others = sorted({line[3:] for line in status if not line[3:].startswith("bench/")})
    if not others:
        return f"commit {head}, clean working tree"
    return (
        f"commit {head} plus uncommitted changes (by others, in progress) to {len(others)} paths "
        f"outside bench/: {', '.join(f'`{path}`' for path in others)}"
    )


def reads_report(args: argparse.Namespace, figures: dict, seeded: dict, load: tuple, note: str) -> str:
    from django.conf import settings

    rows: list[str] = []
    ratios: dict[str, float] = {}
    fewest = min(r["opened"] for r in figures["rounds"])
    opened_label = f"{args.streams:,}" if fewest == args.streams else f"{fewest:,} of {args.streams:,}"
    condition = {
        "without": "no stream open",
        "idle": f"{opened_label} streams open, idle",
        "events": f"{opened_label} streams open, {args.rate:g} events/s",
    }

    def per_cpu(run: dict) -> float:  # requests per CPU-second of gunicorn's workers
        return run["requests"] / run["cpu"]["web"] if run["cpu"]["web"] else float("nan")

    for path in READ_PATHS:
        runs = [run for run in figures["runs"] if run["path"] == path]
        for number, run in enumerate(runs, 1):
            cpu = run["cpu"]
            ours = cpu["web"] + cpu["events"] + cpu["bench"] + cpu["wrk"]
            rows.append(
                f"| `GET {path}` | {number}. {condition[run['label']]} | {run['rps']:,.1f} | "
                f"{run['p50_ms']:.1f} ms | {run['p99_ms']:.1f} ms | "
                f"{run['non_2xx'] + run['socket_errors']} | "
                f"{cpu['web']:.1f} | {cpu['events']:.1f} | {cpu['bench']:.1f} | "
                f"{max(0.0, cpu['machine'] - ours):.1f} | {per_cpu(run):.0f} |"
            )
        medians = {}
        for label in condition:
            chosen = [run for run in runs if run["label"] == label]
            medians[label] = {
                "rps": statistics.median(run["rps"] for run in chosen),
                "p50": statistics.median(run["p50_ms"] for run in chosen),
                "p99": statistics.median(run["p99_ms"] for run in chosen),
                "per_cpu": statistics.median(per_cpu(run) for run in chosen),
            }
            m = medians[label]
            rows.append(
                f"| | **median, {condition[label]}** | **{m['rps']:,.1f}** | {m['p50']:.1f} ms | "
                f"{m['p99']:.1f} ms | | | | | | {m['per_cpu']:.0f} |"
            )
        for label in ("idle", "events"):
            ratio = medians[label]["rps"] / medians["without"]["rps"]
            efficiency = medians[label]["per_cpu"] / medians["without"]["per_cpu"]
            ratios[label] = min(ratios.get(label, ratio), ratio)
            rows.append(
                f"| | **ratio {label} ÷ without** | **{ratio:.2f}** | | | | | | | | **{efficiency:.2f}** |"
            )
    rounds = figures["rounds"]
    refusals: dict[str, int] = {}
    for r in rounds:
        for why, count in r["refusals"].items():
            refusals[why] = refusals.get(why, 0) + count
    refused = (
        "; refused: " + ", ".join(f"{count:,} × `{why}`" for why, count in refusals.items())
        if refusals
        else ""
    )
    if fewest < args.streams:
        verdict = (
            f"NOT measured: only {fewest:,} of {args.streams:,} streams opened in some round "
            f"(the rest were refused); the ratios above are for that many"
        )
    else:
        idle, busy = ratios["idle"], ratios["events"]
        verdict = (
            f"{'met' if idle >= 0.9 else 'NOT met'} with the streams open and idle (lowest "
            f"{idle:.2f}); with {args.rate:g} events/s delivered to them, lowest {busy:.2f}"
        )
    command = (
        f"`.venv/bin/python bench/events.py --reads --streams {args.streams} --rate {args.rate:g} "
        f"--seconds {args.seconds:g} --rounds {args.rounds}`"
    )
    table = "\n".join(rows)
    opened = ", ".join(f"{r['opened']:,} in {r['connect_seconds']:.1f} s" for r in rounds)
    delivered = ", ".join(f"{r['delivered']} of {r['published']}" for r in rounds)
    rates = ", ".join(f"{r['publish_rate']:.1f}" for r in rounds)
    still = ", ".join(f"{r['still_open']:,}" for r in rounds)
    connections = ", ".join(str(r["connections"]) for r in rounds)
    return f"""{READS_HEADING}

{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs, shared with other work (load
average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the start) · Python {sys.version.split()[0]} ·
{note}.{" " + args.note if args.note else ""} Command: {command}.

The two servers as docker-compose.yml starts them, on loopback ports: `web` (gunicorn
`kensa.wsgi:application`, gthread, 4 workers × 2 threads, keep-alive 75 s, access log on) and
`events` (one uvicorn process,
`kensa.asgi:application`), DJANGO_DEBUG=false, rate limits off, PostgreSQL and Redis on
this machine. Database `{READS_DB}`: the reader has {seeded["reader_videos"]:,} videos and
{seeded["reader_ledger"]:,} ledger entries ({seeded["videos"]:,} and {seeded["ledger"]:,} in
all, with other users' rows and one user per stream). wrk, 2 threads and {args.connections}
connections, {args.seconds:g} s per run, signed in as the reader (session cookie). In
order: no stream open; then {args.streams:,} streams opened on uvicorn (asyncio sockets in
the benchmark process), first idle (a heartbeat every {settings.EVENTS_HEARTBEAT_SECONDS:g} s each), then
while {args.rate:g} events a second are committed for random stream users; the streams
closed — {args.rounds} round(s) — and no stream open once more; medians compared.

Columns after the errors: CPU-seconds used during the run by gunicorn's workers, uvicorn,
the benchmark process (stream clients, event commits) and everything else (PostgreSQL,
Redis, the machine's other tenants; {os.cpu_count() * args.seconds:g} CPU-seconds is all
{os.cpu_count()} CPUs), and requests per gunicorn CPU-second.

| endpoint | run | requests/s | p50 | p99 | errors | gunicorn | uvicorn | bench | else | req/CPU-s |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{table}

Target: requests/s ratio ≥ 0.9 — {verdict}.

Streams opened per round: {opened}{refused}. Events a second while measuring: {rates};
delivered to their streams: {delivered}; streams still open at the end: {still}.
PostgreSQL connections to `{READS_DB}` (both servers, the publisher): {figures["connections_idle"]}
with no stream open, {connections} with the streams open, {figures["connections_after"]} at
the end (`max_connections` is {figures["max_connections"]}).
"""


def run_reads(args: argparse.Namespace) -> None:
    ENV.update(READS_ENV)
    load = os.getloadavg()
    setup_django()
    reader, users, seeded = seed_reads(args)
    print(f"[{time.strftime('%H:%M:%S')}] seeded {seeded}", flush=True)
    from django.db import connections

    connections.close_all()
    ports = {"web": free_port(), "events": free_port()}
    env = {**os.environ, **ENV}
    (ROOT / "var").mkdir(exist_ok=True)
    # docker-compose.yml's `web` and `events` commands, on loopback ports.
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "kensa.wsgi:application",
                "--bind", f"127.0.0.1:{ports['web']}", "--worker-class", "gthread", "--workers", "4",
                "--threads", "2", "--keep-alive", "75", "--access-logfile", "-"],
        "events": [sys.executable, "-m", "uvicorn", "kensa.asgi:application", "--host", "127.0.0.1",
                   "--port", str(ports["events"]), "--timeout-graceful-shutdown", "5"],
    }  # fmt: skip
    servers: dict[str, subprocess.Popen] = {}
    logs = []
    try:
        for name, command in commands.items():
            log = (ROOT / "var" / f"bench-events-reads-{name}.log").open("wb")
            logs.append(log)
            servers[name] = subprocess.Popen(  # noqa: S603 (our own interpreter)
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        for port in ports.values():
            wait_for_port(port)
        cookie = sign_in(ports["web"], reader.email)
        pids = {name: server.pid for name, server in servers.items()}
        figures = asyncio.run(drive_reads(args, ports, pids, cookie, users))
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        for log in logs:
            log.close()
    section = reads_report(args, figures, seeded, load, working_tree_note())
    text = REPORT.read_text() if REPORT.exists() else "# Live event stream benchmark\n"
    if READS_HEADING in text:
        text = text[: text.index(READS_HEADING)]
    REPORT.write_text(text.rstrip("\n") + "\n\n" + section)
    print(section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.02, help="Seconds between two events.")
    parser.add_argument(
        "--reads", action="store_true", help="Read endpoints' requests/s with and without open streams."
    )
    parser.add_argument("--rate", type=float, default=20, help="--reads: events a second while measuring.")
    parser.add_argument("--seconds", type=float, default=10, help="--reads: seconds per wrk run.")
    parser.add_argument("--connections", type=int, default=8, help="--reads: wrk's connections.")
    parser.add_argument("--videos", type=int, default=1000, help="--reads: the reader's videos.")
    parser.add_argument("--rounds", type=int, default=2, help="--reads: rounds with streams open.")
    parser.add_argument(
        "--note", default="", help="--reads: a sentence for the report (where the code came from)."
    )
    args = parser.parse_args()
    if args.reads:
        if not shutil.which("wrk"):
            raise SystemExit("--reads needs wrk (apt-get install -y wrk)")
        run_reads(args)
    else:
        run_streams(args)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
