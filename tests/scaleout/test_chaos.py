"""The chaos run (bench/chaos.py) in a short form: the same code, a few users, a short
duration; every invariant must hold at the end."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from django.db import connection

from tests.live import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def load_chaos():
    spec = importlib.util.spec_from_file_location("kensa_bench_chaos", ROOT / "bench" / "chaos.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_short_chaos_run_keeps_every_invariant(tmp_path):
    chaos = load_chaos()
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    figures = chaos.run(
        seed=3, duration=12, users=4, workdir=tmp_path, database_url=database_url, generation_timeout=15
    )

    print("\n" + json.dumps(figures, indent=2))
    assert figures["videos"]["COMPLETED"] > 0
    for fault in (
        "provider 5xx",
        "provider timeout",
        "worker SIGKILL",
        "redis restart",
        "storage write failure",
    ):
        assert figures["faults"].get(fault, 0) > 0, fault
    assert figures["credits_verify_clean"]
    assert figures["in_flight_past_timeout"] == 0
    assert figures["failed_videos_charged"] == 0
    assert figures["completed_files_missing"] == 0
    assert (figures["webhook_deliveries_pending"], figures["webhook_deliveries_failed"]) == (0, 0)
    assert chaos.ok(figures)
