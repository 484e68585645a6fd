"""A loopback HTTP server that speaks the EvoLink and Kie protocols.

Adapters are tested over real HTTP against it, and end-to-end tests point a live Kensa at
it (``EVOLINK_BASE_URL`` / ``KIE_BASE_URL`` = ``server.base_url``). It also serves result
files under ``/files/`` and can POST the providers' real callback bodies to Kensa.

    with FakeProviderServer(api_key="evo-key") as server:
        server.fail_next_create(http_status=503)
        ...
        task = server.wait_for_task()
        server.complete(task.task_id)   # sets the state and POSTs the callback, if any

Tasks have a neutral state (``pending``, ``queuing``, ``running``, ``succeeded``,
``failed``, ``cancelled``) rendered in each API's own vocabulary when queried.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import imageio_ffmpeg
import requests

EVOLINK = "evolink"
KIE_MARKET = "kie-market"
KIE_VEO = "kie-veo"

STATES = ("pending", "queuing", "running", "succeeded", "failed", "cancelled")
TERMINAL_STATES = ("succeeded", "failed", "cancelled")

EVOLINK_STATUS = {
    "pending": "pending",
    "queuing": "pending",
    "running": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}
KIE_MARKET_STATE = {
    "pending": "waiting",
    "queuing": "queuing",
    "running": "generating",
    "succeeded": "success",
    "failed": "fail",
    "cancelled": "fail",
}

# The head of an MP4 (an 'ftyp' box): huge test bodies start with it so that only their
# size, not their type, is what a download refuses.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
STREAM_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass(frozen=True)
class SentCallback:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    status_code: int | None  # None when the POST itself failed
    error: str | None = None


@dataclass
class FakeTask:
    task_id: str
    api: str  # EVOLINK, KIE_MARKET or KIE_VEO
    model: str
    payload: dict[str, Any]
    callback_url: str | None
    created: int
    state: str = "pending"
    progress: int = 0
    result_urls: list[str] = field(default_factory=list)
    error_message: str = ""
    veo_success_flag_on_failure: int = 2
    queries: int = 0

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class _Failure:
    http_status: int | None
    kie_code: int | None
    message: str


@dataclass(frozen=True)
class _HugeFile:
    size: int
    content_length: bool
    claimed_length: int | None


_sample_lock = threading.Lock()
_sample_mp4: bytes | None = None


def sample_mp4() -> bytes:
    """A small real MP4 (1 s, 320x180, H.264), rendered once per test process."""
    global _sample_mp4
    with _sample_lock:
        if _sample_mp4 is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "sample.mp4"
                command = [
                    imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=12", "-t", "1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path),
                ]  # fmt: skip
                subprocess.run(command, check=True, capture_output=True, timeout=60)
                _sample_mp4 = path.read_bytes()
        return _sample_mp4


def kie_signature(key: str, task_id: str, timestamp: str) -> str:
    """Kie's callback signature: base64(HMAC-SHA256(key, "<taskId>.<timestamp>"))."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class FakeProviderServer:
    """EvoLink + Kie on 127.0.0.1:<random port>, scriptable from tests. Thread-safe."""

    def __init__(
        self,
        api_key: str = "test-key",
        *,
        webhook_hmac_key: str | None = None,
        slow_seconds: float = 30.0,
    ) -> None:
        self.api_key = api_key
        # Kie signs callbacks with this key (when set) unless a call passes its own.
        self.webhook_hmac_key = webhook_hmac_key
        # How long /files/slow stalls (released early when the server stops).
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        self._task_created = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._callbacks: list[SentCallback] = []
        self._tasks: dict[str, FakeTask] = {}
        self._create_failures: deque[_Failure] = deque()
        self._query_failures: deque[_Failure] = deque()
        self._stalls: deque[float] = deque()
        self._files: dict[str, tuple[bytes, str, int]] = {}
        self._huge_files: dict[str, _HugeFile] = {}
        self._auto_after: int | None = None
        self._auto_fail_message: str | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------

    def start(self) -> FakeProviderServer:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake provider server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget tasks, recorded traffic and scripted behaviour (not the served files)."""
        with self._lock:
            self._requests.clear()
            self._callbacks.clear()
            self._tasks.clear()
            self._create_failures.clear()
            self._query_failures.clear()
            self._stalls.clear()
            self._auto_after = None
            self._auto_fail_message = None

    # --- what happened ----------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    @property
    def callbacks(self) -> list[SentCallback]:
        with self._lock:
            return list(self._callbacks)

    @property
    def tasks(self) -> list[FakeTask]:
        with self._lock:
            return list(self._tasks.values())

    def task(self, task_id: str) -> FakeTask:
        with self._lock:
            return self._tasks[task_id]

    def wait_for_task(self, count: int = 1, timeout: float = 10.0) -> FakeTask:
        """Block until ``count`` tasks were created; return the ``count``-th one."""
        with self._task_created:
            if not self._task_created.wait_for(lambda: len(self._tasks) >= count, timeout):
                raise TimeoutError(f"no task #{count} was created within {timeout} s")
            return list(self._tasks.values())[count - 1]

    # --- scripting the API ------------------------------------------------------

    def fail_next_create(
        self,
        *,
        http_status: int | None = None,
        kie_code: int | None = None,
        message: str = "Simulated provider error",
        times: int = 1,
    ) -> None:
        """The next create(s), on either protocol, fail.

        EvoLink answers ``http_status`` (default 500) with ``{"error": {...}}``. Kie answers
        ``http_status`` (default 200, as Kie does) with body ``code`` = ``kie_code``
        (default: ``http_status`` when it is an error, else 500).
        """
        with self._lock:
            self._create_failures.extend([_Failure(http_status, kie_code, message)] * times)

    def fail_next_query(
        self,
        *,
        http_status: int | None = None,
        kie_code: int | None = None,
        message: str = "Simulated provider error",
        times: int = 1,
    ) -> None:
        """Like ``fail_next_create``, for the next status queries."""
        with self._lock:
            self._query_failures.extend([_Failure(http_status, kie_code, message)] * times)

    def stall_next_request(self, seconds: float, times: int = 1) -> None:
        """The next API request(s) wait ``seconds`` before answering (client timeouts)."""
        with self._lock:
            self._stalls.extend([seconds] * times)

    def auto_complete(self, after_queries: int = 1, *, fail_message: str | None = None) -> None:
        """From now on a task finishes on its ``after_queries``-th status query.

        It succeeds, or fails with ``fail_message`` when one is given. No callback is sent:
        the query answer itself carries the verdict.
        """
        with self._lock:
            self._auto_after = after_queries
            self._auto_fail_message = fail_message

    # --- scripting tasks --------------------------------------------------------

    def set_state(self, task_id: str, state: str, *, progress: int | None = None) -> FakeTask:
        """Put a task in a non-final neutral state (``pending``, ``queuing``, ``running``)."""
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; one of {STATES}")
        with self._lock:
            task = self._tasks[task_id]
            task.state = state
            if progress is not None:
                task.progress = progress
            return task

    def complete(
        self,
        task_id: str,
        *,
        result_urls: list[str] | None = None,
        callback: bool = True,
        hmac_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SentCallback | None:
        """The task succeeds; POST the provider's callback to its callback URL if it has one.

        ``result_urls`` default to ``<base_url>/files/<task_id>.mp4`` (a real MP4).
        """
        with self._lock:
            task = self._tasks[task_id]
            task.state = "succeeded"
            task.progress = 100
            task.result_urls = list(result_urls or [self.file_url(f"{task_id}.mp4")])
        return self._send_callback(task, callback, hmac_key, extra_headers)

    def fail(
        self,
        task_id: str,
        message: str = "Content moderation rejected the prompt",
        *,
        callback: bool = True,
        hmac_key: str | None = None,
        veo_success_flag: int = 2,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SentCallback | None:
        """The task fails (Kie Veo reports ``veo_success_flag``: 2 failed, 3 created-but-failed)."""
        with self._lock:
            task = self._tasks[task_id]
            task.state = "failed"
            task.error_message = message
            task.veo_success_flag_on_failure = veo_success_flag
        return self._send_callback(task, callback, hmac_key, extra_headers)

    def cancel(
        self, task_id: str, *, callback: bool = True, hmac_key: str | None = None
    ) -> SentCallback | None:
        """The task is cancelled (EvoLink says ``cancelled``; Kie has no such state: fail)."""
        with self._lock:
            task = self._tasks[task_id]
            task.state = "cancelled"
            task.error_message = "The task was cancelled"
        return self._send_callback(task, callback, hmac_key, None)

    def callback_body(self, task_id: str) -> dict[str, Any]:
        """The body the provider would POST for the task in its current state."""
        with self._lock:
            return self._callback_body(self._tasks[task_id])

    def callback_headers(self, task_id: str, hmac_key: str, timestamp: int | None = None) -> dict[str, str]:
        """Kie's signature headers for a callback of ``task_id``."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Webhook-Timestamp": ts,
            "X-Webhook-Signature": kie_signature(hmac_key, task_id, ts),
        }

    # --- files ------------------------------------------------------------------

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    @property
    def slow_url(self) -> str:
        """Stalls before sending any header (for connect/read timeouts)."""
        return self.file_url("slow")

    @property
    def slow_body_url(self) -> str:
        """Sends headers and the start of an MP4, then stalls (a timeout mid-body)."""
        return self.file_url("slow-body")

    def redirect_url(self, to: str) -> str:
        """A 302 to ``to``."""
        return f"{self.file_url('redirect')}?{urlencode({'to': to})}"

    @property
    def redirect_loop_url(self) -> str:
        return self.file_url("loop")

    def set_file(self, name: str, data: bytes, content_type: str = "video/mp4", *, status: int = 200) -> str:
        """Serve ``data`` with ``status`` at /files/<name>; returns its URL."""
        with self._lock:
            self._files[name] = (data, content_type, status)
        return self.file_url(name)

    def set_huge_file(
        self,
        name: str,
        size: int,
        *,
        content_length: bool = True,
        claimed_length: int | None = None,
    ) -> str:
        """Serve ``size`` bytes (an MP4 head, then zeros) generated while sending.

        ``content_length=False`` sends no Content-Length (the body ends at close);
        ``claimed_length`` sends that Content-Length instead of the true one (a lying server).
        """
        with self._lock:
            self._huge_files[name] = _HugeFile(size, content_length, claimed_length)
        return self.file_url(name)

    # --- internals: called by the handler --------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_stall(self) -> float:
        with self._lock:
            return self._stalls.popleft() if self._stalls else 0.0

    def _stall(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _render(self, render: Callable[[FakeTask], dict[str, Any]], task: FakeTask) -> dict[str, Any]:
        # Tests mutate tasks from their own thread; render a consistent snapshot.
        with self._lock:
            return render(task)

    def _pop_failure(self, queue: deque[_Failure]) -> _Failure | None:
        with self._lock:
            return queue.popleft() if queue else None

    def _create_task(
        self, api: str, model: str, payload: dict[str, Any], callback_url: str | None
    ) -> FakeTask:
        if api == EVOLINK:
            task_id = f"task-unified-{int(time.time())}-{uuid.uuid4().hex[:8]}"
        elif api == KIE_VEO:
            task_id = f"veo_task_{uuid.uuid4().hex}"
        else:
            task_id = uuid.uuid4().hex
        task = FakeTask(task_id, api, model, payload, callback_url, created=int(time.time()))
        with self._task_created:
            self._tasks[task_id] = task
            self._task_created.notify_all()
        return task

    def _query_task(self, task_id: str) -> FakeTask | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return None
            task.queries += 1
            if self._auto_after is not None and not task.is_terminal and task.queries >= self._auto_after:
                if self._auto_fail_message is not None:
                    task.state, task.error_message = "failed", self._auto_fail_message
                else:
                    task.state, task.progress = "succeeded", 100
                    task.result_urls = [self.file_url(f"{task_id}.mp4")]
            return task

    def _send_callback(
        self,
        task: FakeTask,
        callback: bool,
        hmac_key: str | None,
        extra_headers: Mapping[str, str] | None,
    ) -> SentCallback | None:
        if not callback or not task.callback_url:
            return None
        with self._lock:
            body = self._callback_body(task)
        headers = {"Content-Type": "application/json"}
        key = hmac_key or self.webhook_hmac_key
        if key and task.api != EVOLINK:  # EvoLink does not sign callbacks
            headers.update(self.callback_headers(task.task_id, key))
        headers.update(extra_headers or {})
        try:
            response = requests.post(task.callback_url, data=json.dumps(body), headers=headers, timeout=15)
            sent = SentCallback(task.callback_url, headers, body, response.status_code)
        except requests.RequestException as error:
            sent = SentCallback(task.callback_url, headers, body, None, str(error))
        with self._lock:
            self._callbacks.append(sent)
        return sent

    def _callback_body(self, task: FakeTask) -> dict[str, Any]:
        if task.api == EVOLINK:
            return self._evolink_task(task)
        succeeded = task.state == "succeeded"
        code = 200 if succeeded else 501
        if task.api == KIE_MARKET:
            msg = "Playground task completed successfully." if succeeded else task.error_message
            return {"code": code, "msg": msg, "data": self._kie_record(task)}
        info = None
        if succeeded:
            info = {
                "resultUrls": task.result_urls,
                "originUrls": task.result_urls,
                "resolution": "1080p" if task.model == "veo3" else "720p",
            }
        msg = "Veo3 video generated successfully." if succeeded else task.error_message
        return {"code": code, "msg": msg, "data": {"taskId": task.task_id, "info": info}}

    # --- wire formats -----------------------------------------------------------

    def _evolink_task(self, task: FakeTask) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": task.task_id,
            "object": "video.generation.task",
            "created": task.created,
            "model": task.model,
            "status": EVOLINK_STATUS[task.state],
            "progress": task.progress,
            "type": "video",
            "task_info": {
                "can_cancel": not task.is_terminal,
                "estimated_time": 120,
                "video_duration": task.payload.get("duration"),
            },
            "usage": {"billing_rule": "per_call", "credits_reserved": 10, "user_group": "default"},
        }
        if task.state == "succeeded":
            answer["results"] = list(task.result_urls)
        elif task.state in ("failed", "cancelled"):
            answer["error"] = {"code": "generation_failed", "message": task.error_message}
        return answer

    def _kie_record(self, task: FakeTask) -> dict[str, Any]:
        succeeded = task.state == "succeeded"
        failed = task.state in ("failed", "cancelled")
        return {
            "taskId": task.task_id,
            "model": task.model,
            "state": KIE_MARKET_STATE[task.state],
            "param": json.dumps(task.payload),
            # A JSON *string*, as Kie sends it.
            "resultJson": json.dumps({"resultUrls": task.result_urls}) if succeeded else "",
            "failCode": "501" if failed else "",
            "failMsg": task.error_message if failed else "",
            "costTime": 42 if task.is_terminal else None,
            "completeTime": (task.created + 42) * 1000 if task.is_terminal else None,
            "createTime": task.created * 1000,
        }

    def _veo_record(self, task: FakeTask) -> dict[str, Any]:
        succeeded = task.state == "succeeded"
        failed = task.state in ("failed", "cancelled")
        if succeeded:
            flag = 1
        elif failed:
            flag = task.veo_success_flag_on_failure
        else:
            flag = 0
        return {
            "taskId": task.task_id,
            "paramJson": json.dumps(task.payload),
            "completeTime": (task.created + 42) * 1000 if task.is_terminal else None,
            "response": {
                "taskId": task.task_id,
                "resultUrls": task.result_urls,
                "originUrls": task.result_urls,
                "resolution": "1080p" if task.model == "veo3" else "720p",
            }
            if succeeded
            else None,
            "successFlag": flag,
            "errorCode": 501 if failed else None,
            "errorMessage": task.error_message if failed else "",
            "createTime": task.created * 1000,
            "fallbackFlag": False,
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviderServer  # bound per server by FakeProviderServer.start
    server_version = "FakeProvider/1.0"
    query: dict[str, str]
    payload: Any

    # --- plumbing ---------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the recorded requests are the log

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        self.query = dict(parse_qsl(parts.query))
        self.payload = payload
        self.fake._record(
            RecordedRequest(method, parts.path, self.query, dict(self.headers.items()), body, payload)
        )
        # The client may give up midway (a timeout or a size cap under test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(method, parts.path)

    def _route(self, method: str, path: str) -> None:
        if path.startswith("/files/") and method == "GET":
            self._serve_file(path.removeprefix("/files/"))
            return
        routes = {
            ("POST", "/v1/videos/generations"): self._evolink_create,
            ("POST", "/api/v1/jobs/createTask"): self._kie_market_create,
            ("GET", "/api/v1/jobs/recordInfo"): self._kie_market_query,
            ("POST", "/api/v1/veo/generate"): self._kie_veo_create,
            ("GET", "/api/v1/veo/record-info"): self._kie_veo_query,
        }
        if method == "GET" and path.startswith("/v1/tasks/"):
            handler = self._evolink_query
        elif (method, path) in routes:
            handler = routes[(method, path)]
        else:
            self._json(404, {"error": {"code": "not_found", "message": f"No route {method} {path}"}})
            return
        if stall := self.fake._next_stall():
            self.fake._stall(stall)
        handler()

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.fake.api_key}"

    # --- EvoLink ----------------------------------------------------------------

    def _evolink_error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": {"code": code, "message": message, "type": "invalid_request_error"}})

    def _evolink_create(self) -> None:
        if not self._authorized():
            self._evolink_error(401, "unauthorized", "Invalid API key")
            return
        if failure := self.fake._pop_failure(self.fake._create_failures):
            self._evolink_error(failure.http_status or 500, "simulated_error", failure.message)
            return
        payload = self.payload
        if not isinstance(payload, dict) or not payload.get("model") or not payload.get("prompt"):
            self._evolink_error(400, "invalid_request", "model and prompt are required")
            return
        task = self.fake._create_task(EVOLINK, payload["model"], payload, payload.get("callback_url"))
        self._json(200, self.fake._render(self.fake._evolink_task, task))

    def _evolink_query(self) -> None:
        if not self._authorized():
            self._evolink_error(401, "unauthorized", "Invalid API key")
            return
        if failure := self.fake._pop_failure(self.fake._query_failures):
            self._evolink_error(failure.http_status or 500, "simulated_error", failure.message)
            return
        task = self.fake._query_task(self.path.split("?")[0].removeprefix("/v1/tasks/"))
        if task is None or task.api != EVOLINK:
            self._evolink_error(404, "task_not_found", "Task not found")
            return
        self._json(200, self.fake._render(self.fake._evolink_task, task))

    # --- Kie ----------------------------------------------------------------------

    def _kie(self, code: int, msg: str, data: Any = None, http_status: int = 200) -> None:
        self._json(http_status, {"code": code, "msg": msg, "data": data})

    def _kie_refusal(self, failures: deque[_Failure]) -> bool:
        """Answer an auth failure or a scripted failure; True when an answer was sent."""
        if not self._authorized():
            self._kie(401, "You do not have access permissions")
            return True
        failure = self.fake._pop_failure(failures)
        if failure is None:
            return False
        http_status = failure.http_status or 200
        code = failure.kie_code or (http_status if http_status != 200 else 500)
        self._kie(code, failure.message, http_status=http_status)
        return True

    def _kie_market_create(self) -> None:
        if self._kie_refusal(self.fake._create_failures):
            return
        payload = self.payload
        task_input = payload.get("input") if isinstance(payload, dict) else None
        if not isinstance(task_input, dict) or not payload.get("model") or not task_input.get("prompt"):
            self._kie(422, "model and input.prompt are required")
            return
        task = self.fake._create_task(KIE_MARKET, payload["model"], payload, payload.get("callBackUrl"))
        self._kie(200, "success", {"taskId": task.task_id})

    def _kie_market_query(self) -> None:
        if self._kie_refusal(self.fake._query_failures):
            return
        task = self.fake._query_task(self.query.get("taskId", ""))
        if task is None or task.api != KIE_MARKET:
            self._kie(404, "recordInfo is null")
            return
        self._kie(200, "success", self.fake._render(self.fake._kie_record, task))

    def _kie_veo_create(self) -> None:
        if self._kie_refusal(self.fake._create_failures):
            return
        payload = self.payload
        if not isinstance(payload, dict) or not payload.get("prompt"):
            self._kie(422, "prompt is required")
            return
        if payload.get("generationType") not in (
            None,
            "TEXT_2_VIDEO",
            "REFERENCE_2_VIDEO",
            "FIRST_AND_LAST_FRAMES_2_VIDEO",
        ):
            self._kie(422, "generationType is invalid")
            return
        model = payload.get("model") or "veo3_fast"
        task = self.fake._create_task(KIE_VEO, model, payload, payload.get("callBackUrl"))
        self._kie(200, "success", {"taskId": task.task_id})

    def _kie_veo_query(self) -> None:
        if self._kie_refusal(self.fake._query_failures):
            return
        task = self.fake._query_task(self.query.get("taskId", ""))
        if task is None or task.api != KIE_VEO:
            self._kie(404, "record is null")
            return
        self._kie(200, "success", self.fake._render(self.fake._veo_record, task))

    # --- files ------------------------------------------------------------------

    def _serve_file(self, name: str) -> None:
        fake = self.fake
        if name == "slow":
            fake._stall(fake.slow_seconds)
            self._send_bytes(sample_mp4(), "video/mp4")
        elif name == "slow-body":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            self.wfile.write(MP4_HEAD)
            self.wfile.flush()
            fake._stall(fake.slow_seconds)
        elif name == "redirect":
            self._redirect(self.query.get("to", "/"))
        elif name == "loop":
            self._redirect("/files/loop")
        elif name in fake._huge_files:
            self._send_huge(fake._huge_files[name])
        elif name in fake._files:
            self._send_bytes(*fake._files[name])
        elif name.endswith(".mp4"):
            self._send_bytes(sample_mp4(), "video/mp4")
        else:
            self._json(404, {"error": {"code": "not_found", "message": "No such file"}})

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_bytes(self, data: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_huge(self, huge: _HugeFile) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if huge.content_length:
            self.send_header("Content-Length", str(huge.claimed_length or huge.size))
        # Without a length the body ends when the connection closes (HTTP/1.0 framing).
        self.end_headers()
        for chunk in _huge_chunks(huge.size):
            self.wfile.write(chunk)


def _huge_chunks(size: int) -> Iterator[bytes]:
    head = MP4_HEAD[:size]
    yield head
    remaining = size - len(head)
    zeros = bytes(STREAM_CHUNK)
    while remaining > 0:
        yield zeros[: min(STREAM_CHUNK, remaining)]
        remaining -= STREAM_CHUNK
