"""What operators watch: Prometheus metrics at GET /metrics.

Two kinds, chosen for many processes (gunicorn workers, task workers, several machines):

- Counters and histograms (requests, provider calls) live in the process that sees the
  event. With ``PROMETHEUS_MULTIPROC_DIR`` set (to an empty directory shared by every
  Kensa process on the machine), prometheus_client's multiprocess mode adds them up
  across processes at scrape time; without it, each process reports its own.
- Gauges of state (videos by status, credits held, task queues, webhook deliveries) are
  computed from the database and the queue at scrape time: they are the same whichever
  process answers, and nothing has to keep them in step.

Kensa's own plumbing, so the domain tables are named by app label, not imported.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "kensa_http_requests_total", "HTTP requests answered, by route and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "kensa_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PROVIDER_CALLS = Counter(
    "kensa_provider_calls_total",
    "Calls to AI providers' APIs, by provider and outcome.",
    ["provider", "outcome"],
)


def record_provider_call(base_url: str, outcome: str) -> None:
    """Count one provider API call; ``outcome`` is ok, http_4xx, http_5xx or the failure's code."""
    PROVIDER_CALLS.labels(provider=_provider_name(base_url), outcome=outcome).inc()


def _provider_name(base_url: str) -> str:
    configured = {"evolink": settings.EVOLINK_BASE_URL, "kie": settings.KIE_BASE_URL}
    for name, url in configured.items():
        if url and base_url.rstrip("/") == url.rstrip("/"):
            return name
    return "other"


class RequestMetricsMiddleware:
    """Counts every request by its URL pattern (not its path: uuids would explode labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match is not None and match.route else "unmatched"
        if route == "/metrics":
            return response  # scrapes would swamp the figures operators look at
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        REQUEST_SECONDS.labels(route=route, method=method).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _age(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


class StateCollector(Collector):
    """Gauges read from the database (and RQ's Redis) at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        try:
            yield from self._videos()
            yield from self._credits()
            yield from self._deliveries(now)
            yield from self._queues(now)
        except Exception:
            # A scrape must answer with what it has; the failure shows in the log.
            logger.exception("metrics: state collection failed")

    def _videos(self) -> Iterator[GaugeMetricFamily]:
        video = apps.get_model("videos", "Video")
        family = GaugeMetricFamily("kensa_videos", "Videos (not deleted) by status.", labels=["status"])
        rows = video.objects.filter(deleted_at__isnull=True).values("status").annotate(n=Count("pk"))
        counts = {row["status"]: row["n"] for row in rows}
        for status in video._meta.get_field("status").choices:
            family.add_metric([status[0]], counts.get(status[0], 0))
        yield family
        in_flight = video.objects.filter(status__in=("PENDING", "GENERATING", "UPLOADING")).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "kensa_videos_in_flight_oldest_age_seconds",
            "Age of the oldest video still PENDING, GENERATING or UPLOADING.",
            value=_age(in_flight, timezone.now()),
        )

    def _credits(self) -> Iterator[GaugeMetricFamily]:
        account = apps.get_model("credits", "CreditAccount")
        held = account.objects.aggregate(total=Sum("frozen"))["total"] or 0
        yield GaugeMetricFamily("kensa_credits_held", "Credits frozen by running generations.", value=held)

    def _deliveries(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        delivery = apps.get_model("webhooks", "EventDelivery")
        pending = Q(status="pending")
        stats = delivery.objects.filter(status__in=("pending", "failed")).aggregate(
            pending=Count("pk", filter=pending),
            failing=Count("pk", filter=pending & Q(attempts__gt=0)),
            failed=Count("pk", filter=Q(status="failed")),
            oldest=Min("created_at", filter=pending),
        )
        yield GaugeMetricFamily(
            "kensa_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered.",
            value=stats["pending"],
        )
        yield GaugeMetricFamily(
            "kensa_webhook_deliveries_failing",
            "Pending webhook deliveries whose last attempt failed.",
            value=stats["failing"],
        )
        yield GaugeMetricFamily(
            "kensa_webhook_deliveries_failed", "Webhook deliveries given up on.", value=stats["failed"]
        )
        yield GaugeMetricFamily(
            "kensa_webhook_deliveries_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery.",
            value=_age(stats["oldest"], now),
        )

    def _queues(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "kensa_task_queue_depth", "Tasks waiting in a queue (due or deferred).", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "kensa_task_queue_oldest_age_seconds",
            "Age of the oldest task due and not started.",
            labels=["queue"],
        )
        for queue, (count, first) in queue_stats(now).items():
            depth.add_metric([queue], count)
            oldest.add_metric([queue], _age(first, now))
        yield depth
        yield oldest


def queue_stats(now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Per queue: tasks waiting, and when the oldest of those due now was enqueued."""
    backend = settings.TASKS["default"]["BACKEND"]
    queues = settings.TASKS["default"].get("QUEUES", ["default"])
    stats: dict[str, tuple[int, datetime | None]] = {}
    if backend == "django_tasks_db.DatabaseBackend":
        result = apps.get_model("django_tasks_db", "DBTaskResult")
        for queue in queues:
            ready = result.objects.filter(queue_name=queue, status="READY")
            first = ready.filter(run_after__lte=now).aggregate(first=Min("enqueued_at"))["first"]
            stats[queue] = (ready.count(), first)
    elif backend == "django_tasks_rq.RQBackend":
        import django_rq  # only installed with the rq backend

        for queue in queues:
            rq_queue = django_rq.get_queue(queue)
            first_job = rq_queue.get_jobs(0, 1)
            first = first_job[0].enqueued_at if first_job else None
            if first is not None and timezone.is_naive(first):
                first = timezone.make_aware(first, timezone.utc)
            stats[queue] = (rq_queue.count + rq_queue.scheduled_job_registry.count, first)
    return stats


_state_registered = False


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's counters, plus the state gauges."""
    global _state_registered
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scrape = CollectorRegistry()
        multiprocess.MultiProcessCollector(scrape)
        scrape.register(StateCollector())
        return scrape
    if not _state_registered:
        REGISTRY.register(StateCollector())
        _state_registered = True
    return REGISTRY


def _internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a bearer of METRICS_TOKEN or an internal address."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    authorised = bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    # REMOTE_ADDR, not X-Forwarded-For: a request relayed by a proxy from outside is not internal.
    if not authorised and not (
        settings.METRICS_ALLOW_INTERNAL
        and not request.headers.get("X-Forwarded-For")
        and _internal(request.META.get("REMOTE_ADDR", ""))
    ):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
