"""A Server-Sent Events client over ``requests`` (what a browser's EventSource does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class SSEEvent:
    id: str
    type: str
    data: dict


class SSEStream:
    """Iterate over the events of ``GET url``; comments (heartbeats) are counted, not yielded."""

    def __init__(
        self, session: requests.Session, url: str, *, last_event_id: str | None = None, timeout: float = 30
    ) -> None:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.response = session.get(url, headers=headers, stream=True, timeout=timeout)
        self.comments: list[str] = []
        self.retry: int | None = None
        self._buffer = ""

    def _lines(self) -> Iterator[str]:
        raw = self.response.raw
        while True:
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                yield line.rstrip("\r")
            chunk = raw.read1(65536)
            if not chunk:
                return
            self._buffer += chunk.decode()

    def __iter__(self) -> Iterator[SSEEvent]:
        fields: dict[str, str] = {}
        for line in self._lines():
            if line == "":
                if "data" in fields:
                    yield SSEEvent(
                        fields.get("id", ""), fields.get("event", "message"), json.loads(fields["data"])
                    )
                fields = {}
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "retry":
                    self.retry = int(value)
                else:
                    fields[name] = fields[name] + "\n" + value if name in fields and name == "data" else value

    def close(self) -> None:
        self.response.close()
