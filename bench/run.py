"""Kensa's benchmark: one command, its own database, a markdown report.

    .venv/bin/python bench/run.py             # the full run: 1 k and 100 k rows (about 4 minutes on 2 cores)
    .venv/bin/python bench/run.py --million   # ... and 1 M rows of the measuring user (about 3 more)
    .venv/bin/python bench/run.py --quick     # 1 k and 10 k rows, 2 s per endpoint (a smoke run)

Needs PostgreSQL (127.0.0.1:5432, user postgres), Redis (127.0.0.1:6379) and wrk (installed
with apt-get when missing and running as root). It drops and recreates the database
``kensa_bench``, migrates it, seeds it with bulk SQL (``INSERT ... SELECT generate_series``),
starts the production server as docker-compose.yml runs it (gunicorn, gthread workers,
keep-alive, DJANGO_DEBUG=false, rate limits on with rates no run reaches, sessions cached on
Redis db 14) with the floor endpoint on, and drives load with wrk (8 connections, kept
alive). It reads the server processes' CPU time from /proc before and after each endpoint,
and writes ``bench/reports/latest.md``:

- requests/s, p50/p99 latency and requests per server CPU-second per endpoint, each as a
  ratio to the floor of the same run (``GET /api/v1/bench/floor``: a plain view behind every
  middleware, no database, no session; ``GET /api/v1/bench/server``, answered before any
  middleware, is reported for reference);
- the first and the last page of list, history and the staff list as the rows grow;
- SQL queries per request (in-process: the test client under CaptureQueriesContext, with
  the session cache warm) and CPU-time profiles of the list and generate requests;
- the server settings compared (sync vs gthread workers) on the floor and the list;
- generations completed per minute, end to end, by one ``db_worker`` and the demo provider;
- memory (RSS) of the server processes under load; the targets, from the same run.

The driver uses Django (the ORM and the models' table names) to seed, sign in, sign
callbacks, count queries and profile; the load comes from wrk, outside Python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "reports" / "latest.md"
WORK = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "kensa_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "bench-password-1234"  # noqa: S105 (a throwaway database)
CONCURRENCY = 8
# The production server (docker-compose.yml's `web`): chosen from this benchmark's
# comparison (README "Performance").
SERVER = {"worker_class": "gthread", "workers": 4, "threads": 2, "keep_alive": 75}
# Compared once per run on the floor and the list.
SERVER_CANDIDATES = (
    {"worker_class": "sync", "workers": 2, "threads": 1, "keep_alive": 2},
    {"worker_class": "gthread", "workers": 2, "threads": 4, "keep_alive": 5},
    {"worker_class": "gthread", "workers": 4, "threads": 2, "keep_alive": 5},
    {"worker_class": "gthread", "workers": 1, "threads": 8, "keep_alive": 5},
)
FLOOR = "GET /api/v1/bench/floor"
SERVER_FLOOR = "GET /api/v1/bench/server"
GENERATIONS = 20  # end-to-end generations timed through one worker
OTHER_USERS = 2000  # background users, each with a few videos and ledger entries
OTHER_ROWS_PER_USER = 5


# ---------------------------------------------------------------------------------------
# Load (wrk) and the server's CPU time (/proc).
# ---------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)  # noqa: S607
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)  # noqa: S607
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is needed (Debian: apt-get install wrk)")
    return found


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(requests_: list[dict], path: Path) -> None:
    """A wrk script sending ``requests_`` round-robin and reporting status counts."""
    entries = []
    for r in requests_:
        headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in r["headers"].items())
        body = _lua_string(r["body"]) if r.get("body") else "nil"
        entries.append(
            f"  wrk.format({_lua_string(r['method'])}, {_lua_string(r['path'])}, {{{headers}}}, {body}),"
        )
    path.write_text(
        "local reqs = {\n" + "\n".join(entries) + "\n}\n"
        "local i = math.random(#reqs)\n"
        "statuses = {}\n"
        "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n"
        "response = function(status, headers, body)\n"
        "  statuses[status] = (statuses[status] or 0) + 1\nend\n"
        "local threads = {}\n"
        "setup = function(thread) table.insert(threads, thread) end\n"
        "done = function(summary, latency, requests)\n"
        "  local total = {}\n"
        "  for _, t in ipairs(threads) do\n"
        "    local s = t:get('statuses')\n"
        "    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end\n"
        "  end\n"
        "  local parts = {}\n"
        "  for k, v in pairs(total) do table.insert(parts, k .. '=' .. v) end\n"
        "  io.write('STATUSES ' .. table.concat(parts, ',') .. '\\n')\n"
        "  io.write(string.format('RESULT %d %f %f %f %f\\n', summary.requests, summary.duration / 1e6,\n"
        "    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))\n"
        "end\n"
    )


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (gunicorn's master and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` (their threads included), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# ---------------------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    tiers: tuple[int, ...]
    duration: float


FULL = Plan(tiers=(1_000, 100_000), duration=5.0)
MILLION = Plan(tiers=(1_000, 100_000, 1_000_000), duration=5.0)
QUICK = Plan(tiers=(1_000, 10_000), duration=2.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kensa.settings",
        KENSA_READ_ENV_FILE="false",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="kensa-bench-" + "s" * 40,
        AI_CALLBACK_SECRET="kensa-bench-callback-secret",  # noqa: S106
        AI_CALLBACK_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX="kensa-bench",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # The limits are checked (their cost is measured) at rates no run reaches.
        RATELIMIT_ENABLE="true",
        **{
            f"RATELIMIT_{rule}": "100000000/m"
            for rule in ("GENERATE_USER", "GENERATE_IP", "READ_USER", "AUTH_IP", "LOGIN_EMAIL", "CALLBACK_IP")
        },
        BENCH_FLOOR_ENDPOINT="true",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        TASKS_BACKEND="database",
        DEFAULT_AI_PROVIDER="demo",
        # Callbacks address EvoLink videos; the refresh they queue would call this
        # unused port and fail quietly (the worker only runs for the generation timing).
        EVOLINK_API_KEY="bench-evolink-key",
        EVOLINK_BASE_URL=f"http://127.0.0.1:{free_port()}",
        MEDIA_ROOT=str(WORK / "media"),
        STATIC_ROOT=str(WORK / "static"),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


@contextmanager
def process(args: list[str], env: dict[str, str], name: str):
    log_file = (WORK / f"{name}.log").open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


def wait_for(url: str, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still starting
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {timeout} s; see {WORK}/web.log")


# --- seeding ---------------------------------------------------------------------------


def _column_expressions(model, expressions: dict[str, str]) -> tuple[list[str], list[str], list[Any]]:
    """Columns and SQL expressions for every concrete field of ``model``.

    Fields not given explicitly take NULL or their default, so a field added later does
    not break the seeding (a required field without a default does, loudly).
    """
    from django.db import connection
    from django.db.models import AutoField, BigAutoField

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.name in expressions:
            columns.append(field.column)
            values.append(expressions[field.name].replace("%", "%%"))  # SQL's modulo, not a placeholder
        elif isinstance(field, (AutoField, BigAutoField)):
            continue
        elif field.null:
            columns.append(field.column)
            values.append("NULL")
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(field.column)
            values.append("now()")
        elif field.has_default():
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise SystemExit(f"bench: no value for required field {model.__name__}.{field.name}")
    return columns, values, params


def insert_series(model, first: int, last: int, expressions: dict[str, str]) -> None:
    """INSERT INTO <model's table> SELECT ... FROM generate_series(first, last) AS g."""
    from django.db import connection

    if last < first:
        return
    columns, values, params = _column_expressions(model, expressions)
    # Table and column names come from the models; the series bounds are parameters.
    table = connection.ops.quote_name(model._meta.db_table)
    select = f"SELECT {', '.join(values)} FROM generate_series(%s, %s) AS g"  # noqa: S608
    sql = f"INSERT INTO {table} ({', '.join(columns)}) {select}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, first, last])


def video_expressions(user_expr: str, *, provider: str = "demo", status: str | None = None) -> dict:
    completed = "(g % 10 <> 0)"  # every tenth failed
    return {
        "uuid": "md5(random()::text || clock_timestamp()::text || g::text)::uuid",
        "user": user_expr,
        "status": f"'{status}'" if status else f"CASE WHEN {completed} THEN 'COMPLETED' ELSE 'FAILED' END",
        "progress": "100" if not status else "10",
        "prompt": "'a red fox in the snow, take ' || g",
        "model": "'sora-2'",
        "duration": "10",
        "aspect_ratio": "'16:9'",
        "quality": "'720p'",
        "start_image_url": "''",
        "credits_used": "2",
        "credit_status": "'HELD'" if status else f"CASE WHEN {completed} THEN 'CONSUMED' ELSE 'RELEASED' END",
        "provider": f"'{provider}'",
        "provider_model": "'sora-2'",
        "provider_task_id": "'bench-task-' || g",
        "video_file": "''"
        if status
        else f"CASE WHEN {completed} THEN 'videos/bench/' || g || '.mp4' ELSE '' END",
        "thumbnail_file": "''"
        if status
        else f"CASE WHEN {completed} THEN 'videos/bench/' || g || '.jpg' ELSE '' END",
        "error_message": "''" if status else f"CASE WHEN {completed} THEN '' ELSE 'The provider failed.' END",
        "failure_reason": f"CASE WHEN {completed} THEN '' ELSE 'provider' END" if not status else "''",
        "created_at": "now() - g * interval '1 minute'",
        "updated_at": "now() - g * interval '1 minute'",
        "heard_at": "now()" if status else "now() - g * interval '1 minute'",
        "completed_at": "NULL" if status else "now() - g * interval '1 minute'",
        "deleted_at": "CASE WHEN g % 100 = 50 THEN now() ELSE NULL END" if not status else "NULL",
    }


def transaction_expressions(user_expr: str, sequence_expr: str = "g", prefix: str = "BENCH") -> dict:
    # Odd entries buy 10 credits, even ones spend 2: balanceAfter stays a consistent chain.
    seq = sequence_expr
    return {
        "trans_no": f"'{prefix}-' || {user_expr} || '-' || {seq}",
        "user": user_expr,
        "sequence": seq,
        "trans_type": f"CASE WHEN {seq} % 2 = 1 THEN 'ORDER_PAY' ELSE 'VIDEO_CONSUME' END",
        "credits": f"CASE WHEN {seq} % 2 = 1 THEN 10 ELSE -2 END",
        "balance_after": f"({seq} / 2) * 8 + CASE WHEN {seq} % 2 = 1 THEN 10 ELSE 0 END",
        "reference": f"CASE WHEN {seq} % 2 = 0 THEN md5({seq}::text)::uuid::text ELSE NULL END",
        "remark": "'bench'",
        "created_at": f"now() - {seq} * interval '1 minute'",
    }


def seed_background() -> None:
    """Other users with a few videos and ledger entries each (the tables are not one user's)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from credits.models import CreditTransaction
    from videos.models import Video

    user_table = get_user_model()._meta.db_table
    insert_series(
        get_user_model(),
        1,
        OTHER_USERS,
        {
            "password": "'!'",
            "username": "'other-' || g || '@bench.local'",
            "email": "'other-' || g || '@bench.local'",
            "first_name": "'Other'",
            "last_name": "''",
            "is_superuser": "false",
            "is_staff": "false",
            "is_active": "true",
            "date_joined": "now()",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {user_table} WHERE username LIKE 'other-%%'")  # noqa: S608
        low, high = cursor.fetchone()
    rows = (high - low + 1) * OTHER_ROWS_PER_USER
    user_expr = f"({low} + (g - 1) / {OTHER_ROWS_PER_USER})"
    insert_series(Video, 1, rows, video_expressions(user_expr))
    sequence = f"(1 + (g - 1) % {OTHER_ROWS_PER_USER})"
    insert_series(CreditTransaction, 1, rows, transaction_expressions(user_expr, sequence, prefix="OTHER"))


def seed_user_rows(user_id: int, first: int, last: int) -> None:
    from credits.models import CreditTransaction
    from videos.models import Video

    insert_series(Video, first, last, video_expressions(str(user_id)))
    insert_series(CreditTransaction, first, last, transaction_expressions(str(user_id)))


def sync_all_tallies() -> None:
    """Every user's video tally from their rows (the staff list's total adds them up)."""
    from django.db import connection

    from videos.models import Video, VideoTally

    tally, video = VideoTally._meta.db_table, Video._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tally} (user_id, visible) SELECT user_id, count(*) FROM {video} "  # noqa: S608
            "WHERE deleted_at IS NULL GROUP BY user_id "
            "ON CONFLICT (user_id) DO UPDATE SET visible = EXCLUDED.visible"
        )


def sync_kept_counts(user_id: int) -> None:
    """Rows inserted in bulk skip the services: set the totals they keep (the list's video
    tally, the ledger's sequence) as the services would have."""
    from django.db.models import Max

    from credits.models import CreditAccount, CreditTransaction
    from videos.models import Video, VideoTally

    visible = Video.objects.filter(user_id=user_id, deleted_at__isnull=True).count()
    VideoTally.objects.update_or_create(user_id=user_id, defaults={"visible": visible})
    sequence = CreditTransaction.objects.filter(user_id=user_id).aggregate(n=Max("sequence"))["n"] or 0
    CreditAccount.objects.update_or_create(user_id=user_id, defaults={"sequence": sequence})


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- measuring -------------------------------------------------------------------------


def server_command(port: int, server: dict) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "kensa.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", server["worker_class"], "--workers", str(server["workers"]),
        "--threads", str(server["threads"]), "--keep-alive", str(server["keep_alive"]),
        "--graceful-timeout", "2",
    ]  # fmt: skip


def server_label(server: dict) -> str:
    if server["worker_class"] == "sync":
        return f"sync × {server['workers']} (no keep-alive)"
    return f"gthread {server['workers']} × {server['threads']} threads, keep-alive {server['keep_alive']} s"


class Driver:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.port = free_port()
        self.env = server_env(self.port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.wrk = ensure_wrk()
        self.server_pid = 0
        self.throughput: list[dict] = []
        self.tiers: dict[str, dict[int, dict]] = {}
        self.queries: dict[str, tuple[int, list[str]]] = {}
        self.explain: dict[tuple[str, str], tuple[float, str]] = {}
        self.load_average = os.getloadavg()
        self.generation: dict = {}
        self.servers: list[dict] = []
        self.profiles: dict[str, tuple[int, str]] = {}
        self.peak_rss = 0.0

    def load(self, name: str, requests_: list[dict], expected: tuple[int, ...], duration: float | None = None,
             connections: int = CONCURRENCY, **extra: Any) -> dict:  # fmt: skip
        """wrk against the running server; the server's CPU time read around it."""
        script = WORK / "load.lua"
        wrk_script(requests_, script)
        duration = duration or self.plan.duration
        # A short warm-up: connections opened, caches filled, not measured.
        subprocess.run(  # noqa: S603
            [self.wrk, f"-t{min(2, connections)}", f"-c{connections}", "-d1s", "-s", str(script), self.base],
            capture_output=True, check=True,
        )  # fmt: skip
        pids = process_tree(self.server_pid)
        cpu_before = cpu_seconds(pids)
        seconds = max(1, round(duration))  # wrk takes whole seconds
        out = subprocess.run(  # noqa: S603
            [self.wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
             self.base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cpu = cpu_seconds(pids) - cpu_before
        rss = rss_mib(pids)
        self.peak_rss = max(self.peak_rss, rss)
        statuses: dict[str, int] = {}
        requests_done, seconds, p50, p99, mean = 0, duration, float("nan"), float("nan"), float("nan")
        for line in out.stdout.splitlines():
            if line.startswith("STATUSES "):
                for part in filter(None, line.split(" ", 1)[1].split(",")):
                    status, count = part.split("=")
                    statuses[status] = int(count)
            elif line.startswith("RESULT "):
                fields = line.split()[1:]
                requests_done, seconds = int(fields[0]), float(fields[1])
                p50, p99, mean = (float(v) for v in fields[2:5])
        errors = sum(count for status, count in statuses.items() if int(status) not in expected)
        errors += sum(int(w) for w in _socket_errors(out.stdout))
        result = {
            "name": name,
            "requests": requests_done,
            "rps": requests_done / seconds,
            "p50_ms": p50,
            "p99_ms": p99,
            "mean_ms": mean,
            "cpu_s": cpu,
            "per_cpu_s": requests_done / cpu if cpu else float("nan"),
            "cpu_ms": cpu / requests_done * 1000 if requests_done else float("nan"),
            "rss_mib": rss,
            "errors": errors,
            "statuses": statuses,
            **extra,
        }
        log(
            f"{name:<44} {result['rps']:8.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"{result['per_cpu_s']:7.0f} req/CPU-s  statuses {statuses}"
        )
        return result

    def sign_in(self, email: str) -> dict[str, str]:
        import requests

        session = requests.Session()
        response = session.post(
            f"{self.base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10
        )
        response.raise_for_status()
        return {"Cookie": f"sessionid={session.cookies['sessionid']}"}

    def count_queries(self, name: str, user, method: str, path: str, body: str | None, status: int) -> None:
        """SQL per request, in-process (test client), with the session and user caches warm:
        one request first, then the counted one (a GET's second look at the same page)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        if user is not None:
            client.force_login(user)
        if method == "GET":
            client.get(path)
        with CaptureQueriesContext(connection) as captured:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.generic(method, path, data=body or "", content_type="application/json")
        assert response.status_code == status, (name, response.status_code, response.content[:300])
        self.queries[name] = (len(captured.captured_queries), [q["sql"] for q in captured.captured_queries])

    def profile(self, name: str, user, send, times: int) -> None:
        """A CPU-time cProfile (thread_time: waiting on PostgreSQL or Redis is not counted) of
        one request in-process (test client, warm caches): the top items."""
        import cProfile
        import io
        import pstats

        from django.test import Client

        client = Client()
        client.force_login(user)
        for _ in range(20):
            send(client)
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for _ in range(times):
            send(client)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        out.write("\n--- by cumulative time ---\n")
        stats.sort_stats("cumulative").print_stats(45)
        text = out.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
        self.profiles[name] = (times, text)

    def profile_requests(self, reader, maker) -> None:
        body = json.dumps(
            {"prompt": "a paper boat on a lake", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
        )
        self.profile("GET /api/v1/video/list", reader, lambda client: client.get("/api/v1/video/list"), 300)
        self.profile(
            "POST /api/v1/video/generate",
            maker,
            lambda client: client.post("/api/v1/video/generate", body, content_type="application/json"),
            150,
        )

    def explain_pages(self, user, rows: int) -> None:
        """EXPLAIN ANALYZE the page query of list and history, first and last page."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        client.force_login(user)
        for name, path, table in (
            ("GET /api/v1/video/list", "/api/v1/video/list", "videos_video"),
            ("GET /api/v1/credit/history", "/api/v1/credit/history", "credits_credittransaction"),
        ):
            for label, page in (("page 1", 1), ("last page", self.last_page(rows))):
                with CaptureQueriesContext(connection) as captured:
                    client.get(f"{path}?page={page}")
                sql = next(q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"])
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                executed = plan.rsplit("Execution Time:", 1)[-1].split("ms")[0].strip()
                self.explain[(name, f"{label} at {rows:,} rows")] = (float(executed), plan)

    @staticmethod
    def last_page(rows: int) -> int:
        """The measuring user's last list page: ~1 % of the seeded videos are deleted."""
        visible = rows - (rows + 50) // 100
        return max(1, -(-visible // 20))

    def run(self) -> None:
        started = time.monotonic()
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "static").mkdir(exist_ok=True)
        shutil.rmtree(WORK / "media", ignore_errors=True)
        os.environ.update(self.env)
        log(f"recreating database {DB_NAME}")
        recreate_database()
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.core.management import call_command

        from credits import services as credit_services
        from credits.models import CreditTransaction
        from videos.models import Video

        call_command("migrate", verbosity=0)
        cache.clear()
        users = get_user_model().objects
        reader = users.create_user("reader@bench.local", "reader@bench.local", PASSWORD, first_name="Reader")
        maker = users.create_user("maker@bench.local", "maker@bench.local", PASSWORD, first_name="Maker")
        staff = users.create_user(
            "staff@bench.local", "staff@bench.local", PASSWORD, first_name="Staff", is_staff=True
        )
        credit_services.grant(maker, 10_000_000, trans_type="ORDER_PAY", order_no="bench-maker-credits")
        t0 = time.monotonic()
        seed_background()
        seed_user_rows(reader.pk, 1, self.plan.tiers[0])
        sync_kept_counts(reader.pk)
        # Videos waiting on EvoLink, for the callbacks (each delivery names its own video).
        insert_series(
            Video, 1, 2000, video_expressions(str(maker.pk), provider="evolink", status="GENERATING")
        )
        sync_all_tallies()
        analyze()
        log(f"seeded {Video.objects.count()} videos, {CreditTransaction.objects.count()} ledger entries "
            f"in {time.monotonic() - t0:.1f} s")  # fmt: skip

        self.compare_servers(reader)
        with process(server_command(self.port, SERVER), self.env, "web") as server:
            self.server_pid = server.pid
            wait_for(f"{self.base}/healthz")
            reader_headers = self.sign_in(reader.email)
            maker_headers = self.sign_in(maker.email)
            staff_headers = self.sign_in(staff.email)
            self.measure_generations(maker, maker_headers)
            self.measure_endpoints(reader, maker, reader_headers, maker_headers)
            self.measure_tier(self.plan.tiers[0], reader, staff, reader_headers, staff_headers)
            seeded = self.plan.tiers[0]
            for rows in self.plan.tiers[1:]:
                t0 = time.monotonic()
                seed_user_rows(reader.pk, seeded + 1, rows)
                sync_kept_counts(reader.pk)
                sync_all_tallies()
                seeded = rows
                analyze()
                cache.clear()  # the seeded user's cached session and user stay valid; nothing else is cached
                log(f"seeded the reader up to {rows} rows per table in {time.monotonic() - t0:.1f} s")
                self.measure_tier(rows, reader, staff, reader_headers, staff_headers)
            self.explain_pages(reader, self.plan.tiers[-1])
            self.profile_requests(reader, maker)
        self.elapsed = time.monotonic() - started
        write_report(self)
        log(f"report written to {REPORT.relative_to(ROOT)} ({self.elapsed:.0f} s in all)")

    def compare_servers(self, reader) -> None:
        """The floor and the list under each candidate server setting (shorter runs)."""
        duration = float(max(2, round(self.plan.duration * 0.6)))
        for server in SERVER_CANDIDATES:
            with process(server_command(self.port, server), self.env, "web-compare") as proc:
                self.server_pid = proc.pid
                wait_for(f"{self.base}/healthz")
                headers = self.sign_in(reader.email)
                label = server_label(server)
                floor = self.load(f"[{label}] floor", [self._get("/api/v1/bench/floor")], (200,),
                                  duration=duration)  # fmt: skip
                listed = self.load(f"[{label}] list", [self._get("/api/v1/video/list", headers)],
                                   (200,), duration=duration)  # fmt: skip
                self.servers.append({"server": server, "floor": floor, "list": listed})

    @staticmethod
    def _get(path: str, headers: dict[str, str] | None = None) -> dict:
        return {"method": "GET", "path": path, "headers": headers or {}}

    def measure_generations(self, maker, headers: dict[str, str]) -> None:
        """Enqueue GENERATIONS through the API, then time one worker finishing them all."""
        import requests

        from videos.models import Video, VideoStatus

        body = {"prompt": "a paper boat on a lake", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
        uuids = []
        for _ in range(GENERATIONS):
            response = requests.post(
                f"{self.base}/api/v1/video/generate", json=body, headers=headers, timeout=10
            )
            assert response.status_code == 202, response.text
            uuids.append(response.json()["data"]["uuid"])
        worker = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
        ]
        t0 = time.monotonic()
        with process(worker, self.env, "worker"):
            deadline = t0 + 300
            while time.monotonic() < deadline:
                statuses = list(Video.objects.filter(uuid__in=uuids).values_list("status", flat=True))
                if all(s in (VideoStatus.COMPLETED, VideoStatus.FAILED) for s in statuses):
                    break
                time.sleep(0.1)
            elapsed = time.monotonic() - t0
        completed = Video.objects.filter(uuid__in=uuids, status=VideoStatus.COMPLETED).count()
        self.generation = {"enqueued": GENERATIONS, "completed": completed, "seconds": elapsed}
        log(f"generations: {completed}/{GENERATIONS} completed in {elapsed:.1f} s by one worker")

    def measure_endpoints(self, reader, maker, reader_headers, maker_headers) -> None:
        from videos.callbacks import callback_url
        from videos.models import Video

        rows = self.plan.tiers[0]
        detail_uuids = [
            str(u)
            for u in Video.objects.filter(user=reader, deleted_at=None).values_list("uuid", flat=True)[:200]
        ]
        json_headers = {"Content-Type": "application/json"}
        generate_body = json.dumps(
            {"prompt": "a paper boat on a lake", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
        )
        callbacks = []
        for video in Video.objects.filter(user=maker, provider="evolink").only("uuid", "provider_task_id")[
            :2000
        ]:
            url = callback_url("evolink", str(video.uuid))
            body = {
                "id": video.provider_task_id,
                "status": "completed",
                "progress": 100,
                "object": "video.generation.task",
            }
            callbacks.append(
                {
                    "method": "POST",
                    "path": url.removeprefix(self.base),
                    "headers": json_headers,
                    "body": json.dumps(body),
                }
            )

        get = self._get
        cases = [
            (FLOOR, [get("/api/v1/bench/floor")], (200,), None, None),
            (SERVER_FLOOR, [get("/api/v1/bench/server")], (200,), None, None),
            ("GET /healthz", [get("/healthz")], (200,), None, None),
            ("GET /api/v1/video/list", [get("/api/v1/video/list", reader_headers)], (200,), reader, None),
            (
                "GET /api/v1/video/{uuid}",
                [get(f"/api/v1/video/{u}", reader_headers) for u in detail_uuids],
                (200,),
                reader,
                None,
            ),
            (
                "GET /api/v1/video/task",
                [get(f"/api/v1/video/task?uuid={u}", reader_headers) for u in detail_uuids],
                (200,),
                reader,
                None,
            ),
            (
                "GET /api/v1/credit/history",
                [get("/api/v1/credit/history", reader_headers)],
                (200,),
                reader,
                None,
            ),
            (
                "POST /api/v1/video/generate",
                [
                    {
                        "method": "POST",
                        "path": "/api/v1/video/generate",
                        "headers": {**maker_headers, **json_headers},
                        "body": generate_body,
                    }
                ],
                (202,),
                maker,
                generate_body,
            ),
            ("POST /api/v1/video/callback/evolink", callbacks, (200,), None, None),
        ]
        for name, requests_, expected, user, body in cases:
            self.throughput.append(self.load(name, requests_, expected, rows=rows))
            first = requests_[0]
            self.count_queries(
                name, user, first["method"], first["path"], first.get("body", body), expected[0]
            )

    def measure_tier(self, rows: int, reader, staff, reader_headers, staff_headers) -> None:
        """First and last page of list, history and (staff) all videos, at ``rows`` rows.

        One connection: the p50 is the request's own time. With several, which gthread
        worker each kept-alive connection lands on decides how much of the two CPUs a run
        gets, and that, not the page, moved the p50 between runs by up to 2×."""
        from videos.models import VideoTally

        last = self.last_page(rows)
        staff_total = sum(VideoTally.objects.values_list("visible", flat=True))
        staff_last = max(1, -(-staff_total // 20))
        for name, path, headers, last_page in (
            ("GET /api/v1/video/list", "/api/v1/video/list", reader_headers, last),
            ("GET /api/v1/credit/history", "/api/v1/credit/history", reader_headers, max(1, -(-rows // 20))),
            ("GET /api/v1/admin/videos", "/api/v1/admin/videos", staff_headers, staff_last),
        ):
            tier = self.tiers.setdefault(name, {})
            for label, page in (("first", 1), ("last", last_page)):
                request = self._get(f"{path}?page={page}", headers)
                result = self.load(f"{name} @ {rows:,} rows, {label} page ({page:,})", [request], (200,),
                                   connections=1, rows=rows, page=page)  # fmt: skip
                tier[(rows, label)] = result
        self.count_queries(
            f"GET /api/v1/admin/videos (page {staff_last:,})", staff, "GET",
            f"/api/v1/admin/videos?page={staff_last}", None, 200,
        )  # fmt: skip


def _socket_errors(output: str) -> list[str]:
    """wrk's "Socket errors: connect 0, read 0, write 0, timeout 0" counts."""
    for line in output.splitlines():
        if "Socket errors:" in line:
            return [part.split()[-1] for part in line.split(":", 1)[1].split(",")]
    return []


# --- the report ------------------------------------------------------------------------


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_report(driver: Driver) -> None:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    by_name = {r["name"]: r for r in driver.throughput}
    floor = by_name[FLOOR]
    small, large = driver.plan.tiers[0], driver.plan.tiers[-1]
    flag = {QUICK: " --quick", MILLION: " --million"}.get(driver.plan, "")
    lines = [
        "# Kensa benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `.venv/bin/python bench/run.py{flag}` "
        f"({driver.elapsed:.0f} s in all).",
        "",
        f"Machine: {os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}, Django "
        f"{django.get_version()}, PostgreSQL {pg_version}. Server: gunicorn, {server_label(SERVER)}, "
        "DJANGO_DEBUG=false, rate limits on (rates no run reaches), sessions and users cached on Redis. "
        f"Load: wrk, {CONCURRENCY} connections kept alive, {driver.plan.duration:g} s per endpoint after "
        "a 1 s warm-up. Server, database, Redis and wrk share the machine (load average "
        f"{' / '.join(f'{v:.2f}' for v in driver.load_average)} when the run started). "
        "CPU time is the server processes' (gunicorn's master and workers, from /proc): requests per "
        "server CPU-second do not depend on what else the machine runs. The floor is "
        "`GET /api/v1/bench/floor`, a plain view reached through every middleware and the URL "
        "resolver that reads no database and no session; `GET /api/v1/bench/server` is answered "
        "before any middleware (gunicorn and Django's handler alone), for reference.",
        "",
        f"## Endpoints side by side ({small:,} videos and {small:,} ledger entries for the measuring user)",
        "",
        "| endpoint | req/s | × floor | p50 ms | p99 ms | req / server CPU-s | × floor | server CPU ms / req "
        "| SQL queries | unexpected statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in driver.throughput:
        queries = driver.queries.get(r["name"], (0, []))[0]
        lines.append(
            f"| {r['name']} | {_fmt(r['rps'])} | {r['rps'] / floor['rps']:.2f} | {_fmt(r['p50_ms'])} | "
            f"{_fmt(r['p99_ms'])} | {_fmt(r['per_cpu_s'], 0)} | {r['per_cpu_s'] / floor['per_cpu_s']:.2f} | "
            f"{r['cpu_ms']:.2f} | {queries} | {r['errors']} |"
        )
    lines += [
        "",
        "SQL queries are counted in-process (Django's test client under `CaptureQueriesContext`, same "
        "database) on a second request, when the session and user caches are warm. Generate and callback "
        "queue background work: their counts include the task row inserted. Not counted: with "
        "`CONN_HEALTH_CHECKS` on, a persistent connection is checked with one `SELECT 1` per request before "
        "its first query.",
        "",
        f"Memory: the server processes (master and {SERVER['workers']} workers) held at most "
        f"**{driver.peak_rss:.0f} MiB** RSS under load.",
        "",
        "## Server settings compared (the floor and the list, same data)",
        "",
        "| server | floor req/s | floor req / CPU-s | list req/s | list req / CPU-s | list p50 ms "
        "| list × floor req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in driver.servers:
        f, li = entry["floor"], entry["list"]
        lines.append(
            f"| {server_label(entry['server'])} | {_fmt(f['rps'])} | {_fmt(f['per_cpu_s'], 0)} | "
            f"{_fmt(li['rps'])} | {_fmt(li['per_cpu_s'], 0)} | {_fmt(li['p50_ms'])} | "
            f"{li['rps'] / f['rps']:.2f} |"
        )
    lines += [
        "",
        "## First and last page as the rows grow",
        "",
        "List and history: the measuring user's rows. Staff list: every visible video (all users). "
        "wrk with one connection: the p50 is the request's own time, not a queue's.",
        "",
        "| endpoint | rows | page | req/s | p50 ms | p99 ms | req / CPU-s | p50 / first page's p50 |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, tiers in driver.tiers.items():
        for (rows, label), r in sorted(tiers.items(), key=lambda item: (item[0][0], item[0][1] != "first")):
            base = tiers[(rows, "first")]["p50_ms"]
            lines.append(
                f"| {name} | {rows:,} | {label} ({r['page']:,}) | {_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | "
                f"{_fmt(r['p99_ms'])} | {_fmt(r['per_cpu_s'], 0)} | {r['p50_ms'] / base:.2f} |"
            )
    gen = driver.generation
    per_minute = gen["completed"] / gen["seconds"] * 60 if gen.get("seconds") else 0.0
    lines += [
        "",
        "## Generation end to end",
        "",
        f"{gen['enqueued']} generations (sora-2, 10 s, demo provider) accepted through the API, then one "
        f"`db_worker` started: {gen['completed']} COMPLETED in {gen['seconds']:.1f} s = "
        f"**{per_minute:.1f} generations per minute** (submit, render an MP4, store, settle).",
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    for name in ("GET /api/v1/video/list", "GET /api/v1/video/{uuid}", "GET /api/v1/video/task",
                 "GET /api/v1/credit/history"):  # fmt: skip
        ratio = by_name[name]["rps"] / floor["rps"]
        per_cpu = by_name[name]["per_cpu_s"] / floor["per_cpu_s"]
        lines.append(
            f"| {name} ≥ 0.5 × the floor's req/s | {ratio:.2f} (per CPU-s: {per_cpu:.2f}) | "
            f"{_verdict(ratio >= 0.5)} |"
        )
    deep = next((rows for rows in driver.plan.tiers if rows >= 100_000), large)
    for name, tiers in driver.tiers.items():
        if (deep, "last") not in tiers:
            continue
        ratio = tiers[(deep, "last")]["p50_ms"] / tiers[(deep, "first")]["p50_ms"]
        target = f"{name}: last page's p50 at {deep:,} rows ≤ 1.5 × the first page's"
        lines.append(f"| {target} | {ratio:.2f} | {_verdict(ratio <= 1.5)} |")
    for name, (count, _) in driver.queries.items():
        if name.startswith("GET /api/") and "/bench/" not in name:
            lines.append(
                f"| {name}: ≤ 2 SQL queries (warm session cache) | {count} | {_verdict(count <= 2)} |"
            )
    gen_cpu = by_name["POST /api/v1/video/generate"]["cpu_ms"]
    read_cpu = by_name["GET /api/v1/video/list"]["cpu_ms"]
    lines.append(
        f"| POST generate's server CPU per request ≤ 2 × the list's | {gen_cpu:.2f} vs {read_cpu:.2f} ms = "
        f"{gen_cpu / read_cpu:.2f}× | {_verdict(gen_cpu <= 2 * read_cpu)} |"
    )
    for name, (times, text) in driver.profiles.items():
        lines += [
            "",
            f"## Profile: {name} in-process (cProfile of CPU time, {times} requests, warm caches)",
            "",
            "<details><summary>top functions by own time, then by cumulative time</summary>",
            "",
            "```",
            text.strip(),
            "```",
            "</details>",
        ]
    lines += [
        "",
        "## Query plans: first and last page",
        "",
        "| request | page | execution ms (EXPLAIN ANALYZE) |",
        "|---|---|---:|",
        *(f"| {name} | {kind} | {ms:.2f} |" for (name, kind), (ms, _) in driver.explain.items()),
        "",
    ]
    for (name, kind), (_, plan) in driver.explain.items():
        lines += [f"<details><summary>{name}: {kind}</summary>", "", "```", plan, "```", "</details>", ""]
    lines += ["## SQL per request", ""]
    for name, (count, sqls) in driver.queries.items():
        lines += [
            f"<details><summary>{name}: {count} queries</summary>",
            "",
            "```sql",
            *sqls,
            "```",
            "</details>",
            "",
        ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 k and 10 k rows, 2 s per endpoint")
    parser.add_argument("--million", action="store_true", help="also 1 M rows of the measuring user")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    Driver(QUICK if args.quick else MILLION if args.million else FULL).run()


if __name__ == "__main__":
    main()
