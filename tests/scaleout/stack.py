"""A live Kensa of several processes for the scale-out tests: gunicorn, task workers (RQ on a
Redis of the test's own, or the database backend) and a loopback EvoLink."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.fakes.provider_server import FakeProviderServer
from tests.live import process_env, web_server
from tests.scaleout.processes import Proc, RedisServer, redis_server, rq_worker, started
from tests.webhooks.support import API_KEYS, EVOLINK

PASSWORD = "a-Strong-pass-123"


@dataclass
class Stack:
    base: str
    env: dict[str, str]  # the workers' environment
    provider: FakeProviderServer
    redis: RedisServer | None
    workers: list[Proc] = field(default_factory=list)
    log_dir: Path | None = None

    def signup(self, email: str) -> requests.Session:
        session = requests.Session()
        answer = session.post(
            f"{self.base}/api/v1/auth/signup", json={"email": email, "password": PASSWORD}, timeout=10
        )
        assert answer.status_code == 201, answer.text
        return session

    def generate(self, session: requests.Session, body: dict) -> str:
        answer = session.post(f"{self.base}/api/v1/video/generate", json=body, timeout=10)
        assert answer.status_code == 202, answer.text
        return answer.json()["data"]["uuid"]

    def task(self, session: requests.Session, uuid: str) -> dict:
        answer = session.get(f"{self.base}/api/v1/video/task", params={"uuid": uuid}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def wait_finished(self, session: requests.Session, uuid: str, timeout: float = 40) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            data = self.task(session, uuid)
            if data["status"] in ("COMPLETED", "FAILED"):
                return data
            if time.monotonic() > deadline:
                logs = "\n".join(w.output()[-3000:] for w in self.workers)
                raise AssertionError(f"video {uuid} unfinished after {timeout} s: {data}\n{logs}")
            time.sleep(0.2)

    def credits(self, session: requests.Session) -> tuple[int, int, int]:
        data = session.get(f"{self.base}/api/v1/auth/session", timeout=10).json()["data"]["credits"]
        return data["available"], data["frozen"], data["used"]


def base_env(tmp_path: Path, provider: FakeProviderServer, **overrides: str) -> dict[str, str]:
    settings = dict(
        MEDIA_ROOT=str(tmp_path / "media"),
        NEW_USER_CREDITS="100",
        DEFAULT_AI_PROVIDER="demo",
        EVOLINK_API_KEY=API_KEYS[EVOLINK],
        EVOLINK_BASE_URL=provider.base_url,
        REMOTE_ASSET_ALLOW_PRIVATE="true",
        RATELIMIT_ENABLE="false",
        PROVIDER_RETRY_BASE_DELAY="1",
        ACCOUNT_EMAIL_VERIFICATION="none",
        EMAIL_URL="consolemail://",
        PROMETHEUS_MULTIPROC_DIR=str(_fresh_dir(tmp_path / "prometheus")),
    )
    return process_env(**{**settings, **overrides})


def _fresh_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def rq_stack(tmp_path: Path, *, workers: int = 2, web_workers: int = 1, **overrides: str) -> Iterator[Stack]:
    """gunicorn + ``workers`` rqworker processes on a Redis of this test's own."""
    with ExitStack() as stack:
        provider = stack.enter_context(FakeProviderServer(api_key=API_KEYS[EVOLINK]))
        redis = stack.enter_context(redis_server(tmp_path))
        env = base_env(tmp_path, provider, TASKS_BACKEND="rq", RQ_REDIS_URL=redis.url, **overrides)
        base = stack.enter_context(web_server(env, tmp_path, workers=web_workers))
        worker_env = {**env, "AI_CALLBACK_URL": base}
        procs = [rq_worker(worker_env, tmp_path, f"rqworker-{n}") for n in range(1, workers + 1)]
        stack.enter_context(started(*procs))
        yield Stack(base, worker_env, provider, redis, procs, tmp_path)
