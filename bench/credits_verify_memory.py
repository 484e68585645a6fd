"""Peak memory of the ledger check (``credits_verify``) as the ledger grows.

    .venv/bin/python bench/credits_verify_memory.py                      # 200 k and 1 M rows
    .venv/bin/python bench/credits_verify_memory.py --rows 10000 --batch-size 500

Needs PostgreSQL (127.0.0.1:5432, user postgres; ``--server`` to change). It drops and
recreates the database ``kensa_bench_credits``, migrates it, and for each size seeds a
consistent ledger with bulk SQL: 100 entries per user (one grant, then 99 spends), so
1 M rows are 10 000 users. Each check runs in a fresh process, which reports the Python
heap's peak during the check (tracemalloc) and the process's peak resident size
(``ru_maxrss``) before and after it. Flat memory means the peak does not follow the rows.

Measured on 2 cores, PostgreSQL 15, batches of 1000 accounts (the default):

    ledger rows   check    heap peak   process RSS peak
    200 000        7.1 s    2.3 MB      68 MB
    1 000 000     21.3 s    2.7 MB      69 MB

The check before batching (one pass over everything, DISTINCT ON) took 3.8 s / 101 MB heap /
307 MB RSS at 200 000 rows and 33 s / 518 MB heap / 1.3 GB RSS at 1 000 000.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kensa_bench_credits"
ENTRIES_PER_USER = 100
GRANT = 1000


def _environment(server: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kensa.settings",
        "KENSA_READ_ENV_FILE": "false",
        "DJANGO_DEBUG": "true",  # no secrets needed; the ORM and the check are the same
        "DATABASE_URL": f"{server}/{DATABASE}",
        "REDIS_URL": "",
        "TASKS_BACKEND": "dummy",
    }


def _run(args: list[str], env: dict[str, str], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, **options)  # noqa: S603


def _recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


SEED = """
TRUNCATE credits_credittransaction, credits_creditpackage, credits_creditaccount,
         auth_user RESTART IDENTITY CASCADE;
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', false, 'u' || u || '@bench.example', '', '', 'u' || u || '@bench.example',
       false, true, now()
FROM generate_series(1, %(users)s) AS u;
INSERT INTO credits_creditpackage (user_id, trans_type, order_no, amount, remaining, frozen,
                                   remark, created_at)
SELECT u, 'ORDER_PAY', 'bench-' || u, %(grant)s, %(grant)s - (%(per_user)s - 1), 0, '', now()
FROM generate_series(1, %(users)s) AS u;
INSERT INTO credits_creditaccount (user_id, available, frozen, used, total, sequence,
                                   created_at, updated_at)
SELECT u, %(grant)s - (%(per_user)s - 1), 0, %(per_user)s - 1, %(grant)s, %(per_user)s, now(), now()
FROM generate_series(1, %(users)s) AS u;
INSERT INTO credits_credittransaction (trans_no, user_id, sequence, trans_type, credits,
                                       balance_after, package_id, remark, created_at)
SELECT 'TX-' || u || '-' || s, u, s,
       CASE WHEN s = 1 THEN 'ORDER_PAY' ELSE 'VIDEO_CONSUME' END,
       CASE WHEN s = 1 THEN %(grant)s ELSE -1 END,
       %(grant)s - (s - 1),
       CASE WHEN s = 1 THEN u END, '', now()
FROM generate_series(1, %(users)s) AS u, generate_series(1, %(per_user)s) AS s;
ANALYZE;
"""


def seed(rows: int) -> None:
    """In this process (Django set up): a consistent ledger of ``rows`` entries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            SEED, {"users": rows // ENTRIES_PER_USER, "per_user": ENTRIES_PER_USER, "grant": GRANT}
        )


def measure(batch_size: int) -> dict:
    """In a fresh process: run the whole check, report its memory and time."""
    import django

    django.setup()
    from credits.selectors import ledger_batches

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    accounts = problems = 0
    for batch in ledger_batches(batch_size=batch_size):
        accounts += batch.accounts
        problems += len(batch.problems)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "accounts": accounts,
        "problems": problems,
        "seconds": round(seconds, 1),
        "heap_peak_mb": round(peak / 2**20, 1),
        "rss_before_mb": round(before / 1024, 1),  # ru_maxrss is in KiB on Linux
        "rss_peak_mb": round(after / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("step", nargs="?", choices=["run", "seed", "measure"], default="run")
    parser.add_argument("--rows", type=int, action="append", help="Ledger rows (repeatable).")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    if args.step == "seed":
        import django

        django.setup()
        seed(args.rows[0])
        return
    if args.step == "measure":
        print(json.dumps(measure(args.batch_size)))
        return

    env = _environment(args.server)
    _recreate_database(args.server)
    here = [sys.executable, str(Path(__file__).resolve())]
    _run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    print("| ledger rows | users | batch | check (s) | heap peak (MB) | RSS before → peak (MB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows or [200_000, 1_000_000]:
        _run([*here, "seed", "--rows", str(rows)], env)
        result = _run([*here, "measure", "--batch-size", str(args.batch_size)], env, capture_output=True)
        m = json.loads(result.stdout.strip().splitlines()[-1])
        assert m["problems"] == 0, m
        print(
            f"| {rows:,} | {m['accounts']:,} | {args.batch_size} | {m['seconds']} | "
            f"{m['heap_peak_mb']} | {m['rss_before_mb']} → {m['rss_peak_mb']} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
