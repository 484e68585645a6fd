"""Kensa's chaos run: many users generating, deleting and buying at once while faults are
injected, then the invariants checked.

    .venv/bin/python bench/chaos.py --duration 300 --seed 7    # the long form, on demand
    bin/test tests/scaleout/test_chaos.py                      # the short form (CI)

Needs PostgreSQL (127.0.0.1:5432, user postgres) and redis-server on the PATH. It creates
the database ``kensa_chaos`` (dropped first), starts a Redis of its own on a free port
(never the shared one on 6379: it is restarted on purpose), gunicorn (2 workers), two RQ
workers, two schedulers, a loopback EvoLink (tests/fakes/provider_server.py) and a webhook
receiver per run. For ``--duration`` seconds, ``--users`` users each loop: generate, buy a
pack (demo checkout, then the signed demo event), delete a finished video. Meanwhile, from
``--seed``:

- the provider answers 5xx or stalls past PROVIDER_HTTP_TIMEOUT, on creates and queries;
- its callbacks are dropped, sent twice, sent late, or a stale one sent after the final;
- a worker is killed with SIGKILL and restarted; Redis is killed and restarted;
- storage writes fail (the media folder's ``videos`` is made unwritable for a moment);
- some tasks fail at the provider.

Then the faults stop and the run drains (the reconciler finishes or times out what is in
flight; GENERATION_TIMEOUT is short here) and checks: ``credits_verify`` clean, nothing in
flight past GENERATION_TIMEOUT, nobody charged for a FAILED video, every COMPLETED video's
file present, every webhook event delivered. The figures are read from GET /metrics (the
operators' view) and the database, printed, and returned by ``run()``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATION_TIMEOUT = 25  # seconds by default: short, so the drain can wait it out
PASSWORD = "chaos-password-1234"  # noqa: S105 (a throwaway database)
BODY = {"prompt": "a storm over the sea", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}


@dataclass
class Tally:
    actions: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def act(self, name: str) -> None:
        with self.lock:
            self.actions[name] += 1

    def fault(self, name: str) -> None:
        with self.lock:
            self.faults[name] += 1


def _django(database_url: str, redis_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    import django

    django.setup()


def _recreate_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


class User:
    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.session = requests.Session()
        answer = self.session.post(
            f"{base}/api/v1/auth/signup", json={"email": email, "password": PASSWORD}, timeout=15
        )
        answer.raise_for_status()
        self.videos: list[str] = []

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(f"{self.base}{path}", json=body, timeout=15)


class Chaos:
    def __init__(
        self,
        *,
        seed: int,
        duration: float,
        users: int,
        workdir: Path,
        database_url: str,
        generation_timeout: int = GENERATION_TIMEOUT,
    ) -> None:
        self.generation_timeout = generation_timeout
        self.rng = random.Random(seed)  # noqa: S311 (a reproducible run, not a secret)
        self.seed = seed
        self.duration = duration
        self.user_count = users
        self.workdir = workdir
        self.database_url = database_url
        self.tally = Tally()
        self.stop = threading.Event()

    # --- the run ------------------------------------------------------------------

    def run(self) -> dict:
        from contextlib import ExitStack

        from tests.fakes.provider_server import FakeProviderServer
        from tests.fakes.webhook_receiver import WebhookReceiver
        from tests.live import free_port, wait_for_http
        from tests.scaleout.processes import gunicorn, redis_server, rq_worker, scheduler, started

        with ExitStack() as stack:
            provider = stack.enter_context(FakeProviderServer(api_key="chaos-key", slow_seconds=5))
            receiver = stack.enter_context(WebhookReceiver())
            redis = stack.enter_context(redis_server(self.workdir))
            metrics_dir = self.workdir / "prometheus"
            metrics_dir.mkdir(parents=True, exist_ok=True)
            self.media = self.workdir / "media"
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": redis.url,
                "CACHE_KEY_PREFIX": f"chaos-{self.seed}",
                "TASKS_BACKEND": "rq",
                "MEDIA_ROOT": str(self.media),
                "DEFAULT_AI_PROVIDER": "evolink",
                "EVOLINK_API_KEY": "chaos-key",
                "EVOLINK_BASE_URL": provider.base_url,
                "AI_CALLBACK_URL": base,
                "REMOTE_ASSET_ALLOW_PRIVATE": "true",
                "WEBHOOKS_ALLOW_HTTP": "true",
                "WEBHOOKS_RETRY_SCHEDULE": "1,1,2,2,3,3,5,5,5",
                "RATELIMIT_ENABLE": "false",
                "NEW_USER_CREDITS": "20",
                "BILLING_PROVIDER": "demo",
                "ACCOUNT_EMAIL_VERIFICATION": "none",
                "EMAIL_URL": "consolemail://",
                "PROVIDER_HTTP_TIMEOUT": "2",
                "PROVIDER_RETRY_BASE_DELAY": "0.5",
                "UPLOAD_LEASE_SECONDS": "5",
                "VIDEO_QUIET_AFTER": "3",
                "GENERATION_TIMEOUT": str(self.generation_timeout),
                "SCHEDULER_LEASE_SECONDS": "5",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                "PYTHONUNBUFFERED": "1",
            }
            self.workers = [rq_worker(env, self.workdir, f"rqworker-{n}") for n in (1, 2)]
            schedulers = [scheduler(env, self.workdir, f"scheduler-{n}", interval=1) for n in (1, 2)]
            stack.enter_context(started(gunicorn(env, self.workdir, "web", port), *self.workers, *schedulers))
            wait_for_http(f"{base}/healthz", timeout=30)
            self.base, self.provider, self.redis, self.receiver = base, provider, redis, receiver

            users = [User(base, f"chaos-{self.seed}-{n}@example.com") for n in range(self.user_count)]
            for user in users:
                answer = user.post("/api/v1/webhooks/endpoints", {"url": receiver.url})  # every event
                answer.raise_for_status()

            started_at = time.monotonic()
            threads = [
                threading.Thread(target=self._user_loop, args=(u, n), daemon=True)
                for n, u in enumerate(users)
            ]
            threads += [
                threading.Thread(target=self._provider_brain, daemon=True),
                threading.Thread(target=self._fault_loop, daemon=True),
                threading.Thread(target=self._supervise, daemon=True),
            ]
            for thread in threads:
                thread.start()
            self.stop.wait(self.duration)
            self.stop.set()
            for thread in threads:
                thread.join(timeout=30)
            self._restore_storage()
            for worker in self.workers:
                if not worker.alive:
                    worker.start()
            self._finish_open_tasks()
            drained = self._drain()
            figures = self._figures(drained, time.monotonic() - started_at)
        return figures

    # --- users ----------------------------------------------------------------------

    def _user_loop(self, user: User, n: int) -> None:
        rng = random.Random(self.seed * 1000 + n)  # noqa: S311
        while not self.stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.6:
                    answer = user.post("/api/v1/video/generate", BODY)
                    if answer.status_code == 202:
                        user.videos.append(answer.json()["data"]["uuid"])
                    self.tally.act(f"generate {answer.status_code}")
                elif roll < 0.8:
                    self._buy(user)
                elif user.videos:
                    uuid = rng.choice(user.videos)
                    answer = user.session.delete(f"{self.base}/api/v1/video/{uuid}", timeout=15)
                    if answer.status_code == 200:
                        user.videos.remove(uuid)
                    self.tally.act(f"delete {answer.status_code}")
            except requests.RequestException as error:
                self.tally.act(f"client error {type(error).__name__}")
            time.sleep(rng.uniform(0.2, 1.0))

    def _buy(self, user: User) -> None:
        from credits.billing.models import Order
        from credits.billing.providers import billing_provider

        answer = user.post("/api/v1/credit/checkout", {"productId": "starter-pack"})
        self.tally.act(f"checkout {answer.status_code}")
        if answer.status_code != 201:
            return
        order = Order.objects.get(order_no=answer.json()["data"]["orderNo"])
        body, headers = billing_provider("demo").signed_event(
            "checkout.completed",
            {
                "order_no": order.order_no,
                "customer_ref": f"demo_cus_{order.user_id}",
                "payment_ref": f"demo_pay_{order.order_no}",
                "amount": order.amount,
                "currency": order.currency,
            },
        )
        for _ in range(2 if self.rng.random() < 0.3 else 1):  # sometimes delivered twice
            paid = requests.post(
                f"{self.base}/api/v1/billing/webhook/demo",
                data=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=15,
            )
            self.tally.act(f"payment event {paid.status_code}")

    # --- the provider's side: verdicts and their callbacks --------------------------

    def _provider_brain(self) -> None:
        seen: set[str] = set()
        while not self.stop.is_set():
            for task in self.provider.tasks:
                if task.task_id in seen:
                    continue
                seen.add(task.task_id)
                delay = self.rng.uniform(0.2, 2.0)
                threading.Timer(delay, self._verdict, args=(task.task_id,)).start()
            time.sleep(0.1)

    def _verdict(self, task_id: str) -> None:
        try:
            stale = self.provider.callback_body(task_id)  # the "still running" callback
            roll = self.rng.random()
            send = roll >= 0.15  # dropped: only the reconciler will find out
            if not send:
                self.tally.fault("callback dropped")
            if self.rng.random() < 0.1:
                self.provider.fail(task_id, "The provider could not render this video", callback=send)
            else:
                self.provider.complete(task_id, callback=send)
            task = self.provider.task(task_id)
            if send and task.callback_url and roll > 0.85:
                self.tally.fault("callback duplicated")
                self._post_callback(task.callback_url, self.provider.callback_body(task_id))
            if send and task.callback_url and 0.15 <= roll < 0.3:
                self.tally.fault("stale callback after the final one")
                self._post_callback(task.callback_url, stale)
            if send and task.callback_url and 0.3 <= roll < 0.4:
                self.tally.fault("callback late")
                threading.Timer(
                    5, self._post_callback, args=(task.callback_url, self.provider.callback_body(task_id))
                ).start()
        except Exception as error:  # the fake's state is the test's; never kill the run
            self.tally.fault(f"brain error {type(error).__name__}")

    @staticmethod
    def _post_callback(url: str, body: dict) -> None:
        with contextlib.suppress(requests.RequestException):
            requests.post(url, json=body, timeout=10)

    def _finish_open_tasks(self) -> None:
        """After the faults: every task the provider holds gets its verdict (as a real one would)."""
        for task in self.provider.tasks:
            if not task.is_terminal:
                self.provider.complete(task.task_id, callback=True)

    # --- faults ----------------------------------------------------------------------

    def _supervise(self) -> None:
        """What docker's restart policy does: an RQ worker exits when Redis goes away."""
        while not self.stop.wait(0.5):
            for worker in self.workers:
                if not worker.alive and not getattr(worker, "held_down", False):
                    self.tally.fault("worker exited, restarted by the supervisor")
                    worker.start()

    def _fault_loop(self) -> None:
        faults = [
            self._provider_5xx,
            self._provider_timeout,
            self._kill_worker,
            self._restart_redis,
            self._storage_failure,
        ]
        # Each kind in turn, in an order the seed shuffles: even a short run sees them all.
        order: list = []
        while not self.stop.wait(self.rng.uniform(0.6, 2.0)):
            if not order:
                order = self.rng.sample(faults, len(faults))
            fault = order.pop()
            try:
                fault()
            except Exception as error:
                self.tally.fault(f"fault error {type(error).__name__}: {error}")

    def _provider_5xx(self) -> None:
        self.tally.fault("provider 5xx")
        self.provider.fail_next_create(http_status=503, times=self.rng.randint(1, 3))
        self.provider.fail_next_query(http_status=502, times=self.rng.randint(0, 2))

    def _provider_timeout(self) -> None:
        self.tally.fault("provider timeout")
        self.provider.stall_next_request(3.0, times=self.rng.randint(1, 2))

    def _kill_worker(self) -> None:
        worker = self.rng.choice(self.workers)
        if getattr(worker, "held_down", False):
            return  # already down
        self.tally.fault("worker SIGKILL")
        worker.held_down = True
        worker.kill()

        def restart() -> None:
            worker.start()
            worker.held_down = False

        threading.Timer(self.rng.uniform(0.5, 2.0), restart).start()

    def _restart_redis(self) -> None:
        self.tally.fault("redis restart")
        self.redis.restart(down_seconds=self.rng.uniform(0.2, 1.0))

    def _storage_failure(self) -> None:
        if (self.media / "videos.held").exists():
            return  # already failing
        self.tally.fault("storage write failure")
        videos = self.media / "videos"
        videos.mkdir(parents=True, exist_ok=True)
        held = self.media / "videos.held"
        # A file where the folder was: every save under videos/ fails (even as root).
        videos.rename(held)
        videos.write_bytes(b"")
        threading.Timer(self.rng.uniform(0.5, 2.0), self._restore_storage).start()

    def _restore_storage(self) -> None:
        videos, held = self.media / "videos", self.media / "videos.held"
        with self.tally.lock:
            if not held.exists():
                return
            if videos.is_file():
                videos.unlink()
            held.rename(videos)

    # --- the end ---------------------------------------------------------------------

    def _drain(self) -> float:
        """Wait until nothing is in flight and every delivery settled.

        GENERATION_TIMEOUT bounds the videos. The deliveries' backlog (every video change is
        an event for its owner's endpoint, at most 2 in flight per endpoint) may take longer:
        past that bound the wait goes on, up to 5 more minutes, while the backlog shrinks.
        """
        from videos.models import Video
        from webhooks.models import DeliveryStatus, EventDelivery

        started = time.monotonic()
        limit = self.generation_timeout + 60
        backlog: list[int] = []
        while time.monotonic() - started < limit + 300:
            in_flight = Video.objects.filter(status__in=("PENDING", "GENERATING", "UPLOADING")).count()
            pending = EventDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
            if not in_flight and not pending:
                break
            backlog.append(pending)
            # The scheduler queues lost deliveries every round: give the backlog 40 s to move.
            shrinking = len(backlog) <= 40 or pending < backlog[-41]
            if time.monotonic() - started >= limit and not shrinking:
                break
            time.sleep(1)
        return time.monotonic() - started

    def _metrics(self) -> str:
        return requests.get(f"{self.base}/metrics", timeout=15).text

    def _figures(self, drained: float, seconds: float) -> dict:
        from io import StringIO

        from django.core.management import call_command
        from django.db.models import Q

        from credits.models import CreditTransaction
        from tests.scaleout.test_metrics import sample
        from videos.models import Video

        text = self._metrics()
        statuses = ("PENDING", "GENERATING", "UPLOADING", "COMPLETED", "FAILED")
        videos = {status: int(sample(text, "kensa_videos", status=status) or 0) for status in statuses}
        provider_calls = Counter()
        for line in text.splitlines():
            if line.startswith("kensa_provider_calls_total{"):
                outcome = line.split('outcome="')[1].split('"')[0]
                provider_calls[outcome] += int(float(line.rsplit(" ", 1)[1]))
        verify = StringIO()
        try:
            call_command("credits_verify", stdout=verify, stderr=verify)
            verify_clean = True
        except BaseException:
            verify_clean = False
        failed = Video.objects.filter(status="FAILED").values_list("uuid", flat=True)
        failures = Counter(
            f"{reason}: {message[:70]}"
            for reason, message in Video.objects.filter(status="FAILED").values_list(
                "failure_reason", "error_message"
            )
        )
        charged_failed = CreditTransaction.objects.filter(
            trans_type="VIDEO_CONSUME", reference__in=[str(u) for u in failed]
        ).count()
        completed = Video.objects.filter(status="COMPLETED", deleted_at__isnull=True)
        # The workers' storage (MEDIA_ROOT of this run), read directly.
        missing = [v.uuid for v in completed if not v.video_file or not (self.media / v.video_file).is_file()]
        deleted_with_files = Video.objects.filter(deleted_at__isnull=False).exclude(
            Q(video_file="") & Q(thumbnail_file="")
        )
        lingering = [
            v.video_file for v in deleted_with_files if v.video_file and (self.media / v.video_file).exists()
        ]
        figures = {
            "seed": self.seed,
            "seconds": round(seconds, 1),
            "drain_seconds": round(drained, 1),
            "users": self.user_count,
            "actions": dict(sorted(self.tally.actions.items())),
            "faults": dict(sorted(self.tally.faults.items())),
            "videos": videos,
            "failures": dict(failures.most_common()),
            "in_flight_past_timeout": int(
                round(sample(text, "kensa_videos_in_flight_oldest_age_seconds") or 0)
                > self.generation_timeout
            ),
            "credits_held": int(sample(text, "kensa_credits_held") or 0),
            "provider_calls": dict(sorted(provider_calls.items())),
            "credits_verify_clean": verify_clean,
            "failed_videos_charged": charged_failed,
            "completed_files_missing": len(missing),
            # Deletes that ran while storage was failing: logged, the file stays (no sweeper).
            "deleted_files_left": len(lingering),
            "webhook_deliveries_pending": int(sample(text, "kensa_webhook_deliveries_pending") or 0),
            "webhook_deliveries_failing": int(sample(text, "kensa_webhook_deliveries_failing") or 0),
            "webhook_deliveries_failed": int(sample(text, "kensa_webhook_deliveries_failed") or 0),
            "webhook_requests_received": len(self.receiver.requests),
            "worker_restarts": sum(w.starts - 1 for w in self.workers),
            "redis_restarts": self.redis.proc.starts - 1,
        }
        return figures


def ok(figures: dict) -> bool:
    return (
        figures["credits_verify_clean"]
        and figures["in_flight_past_timeout"] == 0
        and figures["failed_videos_charged"] == 0
        and figures["completed_files_missing"] == 0
        and figures["webhook_deliveries_pending"] == 0
        and figures["webhook_deliveries_failed"] == 0
    )


def run(**options) -> dict:
    """Drive one chaos run against an already migrated database (the slow test's entry point)."""
    return Chaos(**options).run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60, help="seconds of faults (default 60)")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--database", default="kensa_chaos", help="recreated for the run")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    args = parser.parse_args()
    database_url = _recreate_database(args.postgres, args.database)
    _django(database_url, "redis://127.0.0.1:6379/13")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="kensa-chaos-"))
    try:
        figures = run(
            seed=args.seed,
            duration=args.duration,
            users=args.users,
            workdir=workdir,
            database_url=database_url,
        )
    finally:
        from django.db import connections

        connections.close_all()
    print(json.dumps(figures, indent=2))
    verdict = ok(figures)
    print("chaos run:", "CLEAN" if verdict else "INVARIANT BROKEN", f"(logs in {workdir})")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
