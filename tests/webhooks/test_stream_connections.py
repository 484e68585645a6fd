"""Open streams must not each hold a PostgreSQL connection (uvicorn, real sessions)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from tests.webhooks.live_stack import asgi_server
from tests.webhooks.sse import SSEStream
from tests.webhooks.test_end_to_end import live_env, signed_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STREAMS = 12


def server_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_open_streams_do_not_each_hold_a_database_connection(tmp_path):
    # The session activity is recorded on each request's first visit, on the request's own
    # thread: that is the connection that must not stay open for the life of the stream.
    with asgi_server(live_env(tmp_path, RATELIMIT_ENABLE="false"), tmp_path) as base:
        sessions = [signed_in(base, f"streamer{n}@example.com") for n in range(STREAMS)]
        before = server_connections()
        streams = [SSEStream(session, f"{base}/api/v1/events", timeout=10) for session in sessions]
        try:
            assert all(stream.response.status_code == 200 for stream in streams)
            time.sleep(1.0)  # every stream past its first frame
            during = server_connections()
        finally:
            for stream in streams:
                stream.close()

    # The stream's own reads share a small thread pool (at most a handful of connections).
    assert during - before < STREAMS // 2, (before, during)
