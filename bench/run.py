"""Kensa's benchmark: one command, its own database, a markdown report.

    .venv/bin/python bench/run.py             # the full run (about 5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick     # 1 k and 10 k rows, 2 s per endpoint (a smoke run)

Needs PostgreSQL (127.0.0.1:5432, user postgres) and Redis (127.0.0.1:6379). It drops and
recreates the database ``kensa_bench``, migrates it, seeds it with bulk SQL
(``INSERT ... SELECT generate_series``), starts the production server (gunicorn, 2 sync
workers, DJANGO_DEBUG=false, rate limits off, cache on Redis db 14), and drives load from
a separate process (``bench/run.py load``: threads, keep-alive where the server allows
it). It writes ``bench/reports/latest.md``:

- requests/s and p50/p99 latency per endpoint, side by side, at 1 k rows per user;
- the list and history endpoints again at 100 k and 1 M rows of the measuring user;
- SQL queries per request (in-process: the test client under CaptureQueriesContext);
- generations completed per minute, end to end, by one ``db_worker`` and the demo provider;
- the targets as ratios from the same run, and EXPLAIN ANALYZE of the list and history
  queries at the largest size (the profile behind the latency ratio).

The load generator imports nothing from Kensa; the driver uses Django (the ORM and
the models' table names) to seed, sign in, sign callbacks and count queries.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
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
SERVER_WORKERS = 2
GENERATIONS = 20  # end-to-end generations timed through one worker
OTHER_USERS = 2000  # background users, each with a few videos and ledger entries
OTHER_ROWS_PER_USER = 5


# ---------------------------------------------------------------------------------------
# The load generator (a separate process: `bench/run.py load < job.json`).
# ---------------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def run_load(job: dict) -> dict:
    """Send ``job["requests"]`` round-robin from ``concurrency`` threads for ``duration`` s."""
    host, port = job["host"], job["port"]
    requests_, duration, warmup = job["requests"], job["duration"], job.get("warmup", 0.5)
    expected = set(job["expected"])
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration
    latencies: list[list[float]] = [[] for _ in range(job["concurrency"])]
    statuses: list[dict[int, int]] = [{} for _ in range(job["concurrency"])]
    counter = iter(range(10**12))  # next() on a shared iterator is atomic under the GIL

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            request = requests_[next(counter) % len(requests_)]
            body = request.get("body")
            t0 = time.perf_counter()
            try:
                conn.request(request["method"], request["path"], body=body, headers=request["headers"])
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                status = 0
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= stop_at:
                latencies[slot].append(t1 - t0)
                statuses[slot][status] = statuses[slot].get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(job["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = sorted(value for values in latencies for value in values)
    status_counts: dict[int, int] = {}
    for counts in statuses:
        for status, count in counts.items():
            status_counts[status] = status_counts.get(status, 0) + count
    return {
        "requests": len(merged),
        "rps": len(merged) / duration,
        "p50_ms": _percentile(merged, 0.50) * 1000,
        "p99_ms": _percentile(merged, 0.99) * 1000,
        "mean_ms": (statistics.fmean(merged) * 1000) if merged else float("nan"),
        "errors": sum(count for status, count in status_counts.items() if status not in expected),
        "statuses": {str(k): v for k, v in sorted(status_counts.items())},
    }


# ---------------------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    tiers: tuple[int, ...]
    duration: float


FULL = Plan(tiers=(1_000, 100_000, 1_000_000), duration=5.0)
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
        RATELIMIT_ENABLE="false",
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
        except requests.ConnectionError:
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


class Driver:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.port = free_port()
        self.env = server_env(self.port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.throughput: list[dict] = []
        self.tiers: dict[str, dict[int, dict]] = {}
        self.queries: dict[str, tuple[int, list[str]]] = {}
        self.explain: dict[tuple[str, str], tuple[float, str]] = {}
        self.load_average = os.getloadavg()
        self.costs: dict[str, dict[int, dict]] = {}
        self.generation: dict = {}

    def load(self, name: str, requests_: list[dict], expected: tuple[int, ...], **extra: Any) -> dict:
        job = {
            "host": "127.0.0.1",
            "port": self.port,
            "requests": requests_,
            "duration": self.plan.duration,
            "concurrency": CONCURRENCY,
            "expected": list(expected),
        }
        out = subprocess.run(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), "load"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
        )
        result = {"name": name, **json.loads(out.stdout), **extra}
        log(
            f"{name:<34} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
            f"p99 {result['p99_ms']:7.1f} ms  statuses {result['statuses']}"
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

    def count_queries(
        self, name: str, user, method: str, path: str, body: str | None, status: int, *, rows: int = 0
    ) -> None:
        """SQL per request, in-process (test client); for GETs also the in-process cost split
        into time in the database driver and time in Python (``self.costs[name][rows]``)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        if user is not None:
            client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.generic(method, path, data=body or "", content_type="application/json")
        assert response.status_code == status, (name, response.status_code, response.content[:300])
        self.queries[name] = (len(captured.captured_queries), [q["sql"] for q in captured.captured_queries])
        if method != "GET":
            return
        sql_seconds = [0.0]

        def timed(execute, sql, params, many, context):
            t0 = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_seconds[0] += time.perf_counter() - t0

        repeat = 100
        with connection.execute_wrapper(timed):
            t0 = time.perf_counter()
            for _ in range(repeat):
                client.get(path)
            total = time.perf_counter() - t0
        self.costs.setdefault(name, {})[rows] = {
            "total_ms": total / repeat * 1000,
            "sql_ms": sql_seconds[0] / repeat * 1000,
        }

    def explain_reads(self, user) -> None:
        """EXPLAIN ANALYZE the SQL of the list and history requests (page 1)."""
        from django.db import connection

        from credits.models import CreditTransaction
        from videos.models import Video

        tables = (Video._meta.db_table, CreditTransaction._meta.db_table)
        for name in ("GET /api/v1/video/list", "GET /api/v1/credit/history"):
            for sql in self.queries[name][1]:
                if not any(f'"{table}"' in sql for table in tables):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                executed = plan.rsplit("Execution Time:", 1)[-1].split("ms")[0].strip()
                kind = "count (total)" if "COUNT(*)" in sql else "page of 20"
                self.explain[(name, kind)] = (float(executed), plan)

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
        credit_services.grant(maker, 10_000_000, trans_type="ORDER_PAY", order_no="bench-maker-credits")
        t0 = time.monotonic()
        seed_background()
        seed_user_rows(reader.pk, 1, self.plan.tiers[0])
        sync_kept_counts(reader.pk)
        # Videos waiting on EvoLink, for the callbacks (each delivery names its own video).
        insert_series(
            Video, 1, 2000, video_expressions(str(maker.pk), provider="evolink", status="GENERATING")
        )
        analyze()
        log(f"seeded {Video.objects.count()} videos, {CreditTransaction.objects.count()} ledger entries "
            f"in {time.monotonic() - t0:.1f} s")  # fmt: skip

        server = [
            sys.executable, "-m", "gunicorn", "kensa.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(SERVER_WORKERS), "--graceful-timeout", "2",
        ]  # fmt: skip
        with process(server, self.env, "web"):
            wait_for(f"{self.base}/healthz")
            reader_headers = self.sign_in(reader.email)
            maker_headers = self.sign_in(maker.email)
            self.measure_generations(maker, maker_headers)
            self.measure_endpoints(reader, maker, reader_headers, maker_headers)
            seeded = self.plan.tiers[0]
            for rows in self.plan.tiers[1:]:
                t0 = time.monotonic()
                seed_user_rows(reader.pk, seeded + 1, rows)
                sync_kept_counts(reader.pk)
                seeded = rows
                analyze()
                log(f"seeded the reader up to {rows} rows per table in {time.monotonic() - t0:.1f} s")
                self.measure_tier(rows, reader, reader_headers)
            self.explain_reads(reader)
        self.elapsed = time.monotonic() - started
        write_report(self)
        log(f"report written to {REPORT.relative_to(ROOT)} ({self.elapsed:.0f} s in all)")

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

        def get(path: str, headers: dict[str, str] | None = None) -> dict:
            return {"method": "GET", "path": path, "headers": headers or {}}

        cases = [
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
                name, user, first["method"], first["path"], first.get("body", body), expected[0], rows=rows
            )
            if name in ("GET /api/v1/video/list", "GET /api/v1/credit/history"):
                self.tiers.setdefault(name, {})[rows] = self.throughput[-1]

    def measure_tier(self, rows: int, reader, reader_headers: dict[str, str]) -> None:
        for name, path in (
            ("GET /api/v1/video/list", "/api/v1/video/list"),
            ("GET /api/v1/credit/history", "/api/v1/credit/history"),
        ):
            request = {"method": "GET", "path": path, "headers": reader_headers}
            self.tiers[name][rows] = self.load(f"{name} @ {rows:,} rows", [request], (200,), rows=rows)
            self.count_queries(name, reader, "GET", path, None, 200, rows=rows)


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
    health = by_name["GET /healthz"]["rps"]
    small, large = driver.plan.tiers[0], driver.plan.tiers[-1]
    lines = [
        "# Kensa benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `.venv/bin/python bench/run.py"
        f"{' --quick' if driver.plan is QUICK else ''}` ({driver.elapsed:.0f} s in all).",
        "",
        f"Machine: {os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}, Django "
        f"{django.get_version()}, PostgreSQL {pg_version}. Server: gunicorn, {SERVER_WORKERS} sync workers, "
        f"DJANGO_DEBUG=false, rate limits off, cache on Redis. Load: {CONCURRENCY} concurrent clients from a "
        f"separate process, {driver.plan.duration:g} s per endpoint after a 0.5 s warm-up. Server, database, "
        "Redis and load generator share the machine (load average "
        f"{' / '.join(f'{v:.2f}' for v in driver.load_average)} when the run started).",
        "",
        f"## Endpoints side by side ({small:,} videos and {small:,} ledger entries for the measuring user)",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | × /healthz req/s | SQL queries | unexpected statuses |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in driver.throughput:
        queries = driver.queries.get(r["name"], (0, []))[0]
        lines.append(
            f"| {r['name']} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | "
            f"{r['rps'] / health:.2f} | {queries} | {r['errors']} |"
        )
    lines += [
        "",
        "SQL queries are counted in-process (Django's test client under `CaptureQueriesContext`, same "
        "database), session and user lookups included. Generate and callback queue background work: their "
        "counts include the task row inserted. Not counted there: with `CONN_HEALTH_CHECKS` on (production "
        "settings) the server also sends one `SELECT 1` per request before its first query.",
        "",
        "In-process cost per request (test client, no HTTP server; mean of 100): time inside the database "
        "driver and the rest (Python: middleware, DRF, serialization).",
        "",
        "| endpoint | rows | total ms | SQL ms | Python ms |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {rows:,} | {c['total_ms']:.2f} | {c['sql_ms']:.2f} | "
            f"{c['total_ms'] - c['sql_ms']:.2f} |"
            for name, by_rows in driver.costs.items()
            for rows, c in sorted(by_rows.items())
        ),
        "",
        "## List and history as the measuring user's rows grow",
        "",
        f"| endpoint | rows | req/s | p50 ms | p99 ms | p50 / p50 at {small:,} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, tiers in driver.tiers.items():
        base = tiers[small]["p50_ms"]
        for rows, r in sorted(tiers.items()):
            lines.append(
                f"| {name} | {rows:,} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p99_ms'])} | "
                f"{r['p50_ms'] / base:.2f} |"
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
    for name in ("GET /api/v1/video/list", "GET /api/v1/credit/history"):
        ratio = by_name[name]["rps"] / health
        lines.append(f"| {name} ≥ 0.5 × /healthz req/s | {ratio:.2f} | {_verdict(ratio >= 0.5)} |")
    for name, tiers in driver.tiers.items():
        ratio = tiers[large]["p50_ms"] / tiers[small]["p50_ms"]
        target = f"{name}: p50 at {large:,} rows ≤ 1.5 × p50 at {small:,}"
        lines.append(f"| {target} | {ratio:.2f} | {_verdict(ratio <= 1.5)} |")
    for name, (count, _) in driver.queries.items():
        if name.startswith("GET /api/"):
            lines.append(f"| {name}: ≤ 4 SQL queries | {count} | {_verdict(count <= 4)} |")
    lines += [
        "",
        f"## Profile: the list and history queries at {large:,} rows",
        "",
        "| request | query | execution ms (EXPLAIN ANALYZE) |",
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
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "load"], help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1 k and 10 k rows, 2 s per endpoint")
    args = parser.parse_args()
    if args.mode == "load":
        json.dump(run_load(json.load(sys.stdin)), sys.stdout)
        return
    sys.path.insert(0, str(ROOT))
    Driver(QUICK if args.quick else FULL).run()


if __name__ == "__main__":
    main()
