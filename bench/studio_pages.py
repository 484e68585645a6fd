"""Server time of the studio's pages at 1,000 videos per user.

    .venv/bin/python bench/studio_pages.py                 # 1,000 videos, 30 rounds
    .venv/bin/python bench/studio_pages.py --videos 5000 --rounds 50

Needs PostgreSQL (127.0.0.1:5432, user postgres; ``--server`` to change). It drops and
recreates the database ``kensa_bench_studio``, migrates it and gives one user ``--videos``
finished videos (a quarter failed, the rest completed with stored files) and as many
ledger entries (a grant and a spend per video), through the credits services.

A studio page is its HTML plus the API requests its scripts make on load, so each page is
measured as both: every request goes through Django's whole stack in this process (the
test client: middleware, session, view, template or serializer, PostgreSQL; no network).
A page's time is the sum of its requests' medians; the browser makes them in parallel
after the HTML, so this is the server work for one page view, not its wall time.
Writes ``bench/reports/studio_pages.md``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "kensa_bench_studio"
REPORT = ROOT / "bench" / "reports" / "studio_pages.md"


def _configure(server: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="kensa.settings",
        KENSA_READ_ENV_FILE="false",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnop",  # noqa: S106
        AI_CALLBACK_SECRET="bench-only",  # noqa: S106
        DATABASE_URL=f"{server}/{DATABASE}",
        REDIS_URL="",
        TASKS_BACKEND="dummy",
        RATELIMIT_ENABLE="false",  # hundreds of requests a minute from one user
        SECURE_SSL_REDIRECT="false",
        PUBLIC_BASE_URL="http://testserver",
        EMAIL_URL="consolemail://",
    )
    sys.path.insert(0, str(ROOT))


def _recreate_database(server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def _seed(videos: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from credits import services
    from videos.models import Video

    user = get_user_model().objects.create_user(username="bench@example.com", email="bench@example.com")
    services.grant(user, videos * 2, trans_type="ORDER_PAY", order_no="bench-grant", remark="bench")
    now = timezone.now()
    rows = []
    for n in range(videos):
        failed = n % 4 == 3
        rows.append(
            Video(
                user=user,
                status="FAILED" if failed else "COMPLETED",
                progress=None if failed else 100,
                prompt=f"Bench video {n}: a red fox trotting through fresh snow at dawn",
                model="sora-2",
                duration=10,
                aspect_ratio="16:9",
                quality="720p",
                credits_used=2,
                credit_status="RELEASED" if failed else "CONSUMED",
                provider="demo",
                provider_model="sora-2",
                video_file="" if failed else f"videos/bench-{n}.mp4",
                thumbnail_file="" if failed else f"thumbnails/bench-{n}.jpg",
                error_message="The provider refused the task." if failed else "",
                completed_at=None if failed else now,
            )
        )
    created = Video.objects.bulk_create(rows, batch_size=500)
    # One spend per video through the ledger's own module: hold, then settle.
    for video in created:
        services.hold(user, 1, str(video.uuid))
        services.settle(str(video.uuid))
    return user, created[0].uuid


def _measure(client, path: str, rounds: int) -> tuple[float, float]:
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    _configure(args.server)
    _recreate_database(args.server)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, some_video = _seed(args.videos)
    seeded = time.perf_counter() - started
    last_page = -(-args.videos // 12)

    pages = {
        "/ (signed out)": ["/"],
        "/login": ["/login"],
        "/studio": [
            "/studio",
            "/api/v1/auth/session",
            "/api/v1/config/models",
            "/api/v1/video/list?pageSize=5",
        ],
        "/videos": ["/videos", "/api/v1/auth/session", "/api/v1/video/list?page=1&pageSize=12"],
        f"/videos?page={last_page}": [
            f"/videos?page={last_page}",
            "/api/v1/auth/session",
            f"/api/v1/video/list?page={last_page}&pageSize=12",
        ],
        "/videos/<uuid>": [f"/videos/{some_video}", "/api/v1/auth/session", f"/api/v1/video/{some_video}"],
        "/credits": [
            "/credits",
            "/api/v1/auth/session",
            "/api/v1/credit/products",
            "/api/v1/credit/subscription",
            "/api/v1/credit/history?page=1&pageSize=20",
            "/api/v1/credit/orders?page=1&pageSize=10",
        ],
        "/settings/webhooks": ["/settings/webhooks", "/api/v1/auth/session", "/api/v1/webhooks/endpoints"],
    }
    anonymous, member = Client(), Client()
    member.force_login(user)
    lines = [
        f"# Studio pages at {args.videos:,} videos per user",
        "",
        f"`.venv/bin/python bench/studio_pages.py --videos {args.videos} --rounds {args.rounds}`"
        f" — seeded in {seeded:.1f} s; median and p95 of {args.rounds} rounds, in milliseconds,",
        "each request through Django's whole stack in one process on PostgreSQL.",
        "",
        "| page | request | median | p95 |",
        "|---|---|---:|---:|",
    ]
    totals = []
    for page, paths in pages.items():
        client = anonymous if page.startswith("/ (signed out)") or page == "/login" else member
        total = 0.0
        for path in paths:
            median, p95 = _measure(client, path, args.rounds)
            total += median
            lines.append(f"| {page} | `{path}` | {median:.1f} | {p95:.1f} |")
        totals.append((page, total, len(paths)))
    lines += ["", "| page | requests | server time (sum of medians) |", "|---|---:|---:|"]
    lines += [f"| {page} | {count} | {total:.1f} ms |" for page, total, count in totals]
    report = "\n".join(lines) + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
