"""Deep pages: the same items as OFFSET gave, chosen on an index (kensa.api.pagination)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from credits import selectors as credit_selectors
from credits.models import CreditTransaction
from tests.factories import VideoFactory, give_credits
from videos import selectors
from videos.models import Video, VideoTally

pytestmark = pytest.mark.django_db

SIZE = 4


def _videos(user, count: int) -> None:
    now = timezone.now()
    made = VideoFactory.create_batch(count, user=user)
    # Two share each timestamp: the uuid decides their order, as the ordering says.
    for index, video in enumerate(made):
        Video.objects.filter(pk=video.pk).update(created_at=now - timedelta(minutes=index // 2))


def _page(client, path: str, key: str, page: int) -> list:
    response = client.get(path, {"page": page, "pageSize": SIZE})
    assert response.status_code == 200, response.content
    return response.json()["data"][key]


def _pages(total: int) -> range:
    return range(1, -(-total // SIZE) + 2)  # every page, and one past the end


def test_every_video_page_holds_what_the_offset_query_held(auth_client, user, other_user):
    _videos(user, 18)
    _videos(other_user, 5)
    expected = [str(v.uuid) for v in selectors.videos_of(user)]
    assert len(expected) == 18
    for page in _pages(18):
        got = [v["uuid"] for v in _page(auth_client, "/api/v1/video/list", "videos", page)]
        assert got == expected[(page - 1) * SIZE : page * SIZE], page


def test_every_status_filtered_page_holds_what_the_offset_query_held(auth_client, user):
    _videos(user, 11)
    failed = list(Video.objects.filter(user=user).order_by("prompt").values_list("pk", flat=True)[:3])
    Video.objects.filter(pk__in=failed).update(status="FAILED")
    expected = [str(v.uuid) for v in selectors.videos_of(user, status="COMPLETED")]
    assert len(expected) == 8
    for page in _pages(8):
        response = auth_client.get(
            "/api/v1/video/list", {"status": "COMPLETED", "page": page, "pageSize": SIZE}
        )
        got = [v["uuid"] for v in response.json()["data"]["videos"]]
        assert got == expected[(page - 1) * SIZE : page * SIZE], page


def test_every_staff_page_holds_what_the_offset_query_held(staff_client, user, other_user):
    _videos(user, 7)
    _videos(other_user, 6)
    expected = [str(v.uuid) for v in selectors.all_videos()]
    for page in _pages(13):
        response = staff_client.get("/api/v1/admin/videos", {"page": page, "pageSize": SIZE})
        assert response.status_code == 200, response.content
        assert response.json()["data"]["total"] == 13
        got = [v["uuid"] for v in response.json()["data"]["videos"]]
        assert got == expected[(page - 1) * SIZE : page * SIZE], page


def test_every_history_page_holds_what_the_offset_query_held(auth_client, user, other_user):
    for n in range(10):
        give_credits(user, 1 + n, order_no=f"deep-{n}")
        give_credits(other_user, 1 + n, order_no=f"deep-other-{n}")
    expected = [e.trans_no for e in credit_selectors.transactions_for(user)]
    assert len(expected) == 10
    for page in _pages(10):
        got = [e["transNo"] for e in _page(auth_client, "/api/v1/credit/history", "transactions", page)]
        assert got == expected[(page - 1) * SIZE : page * SIZE], page


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Tiny test tables are cheapest to read whole, or to sort; forbid both, so the plan
        # shows which index serves the query in its order (what keeps a deep page cheap on a
        # big table; without such an index the plan still reads the table or sorts).
        cursor.execute("ANALYZE videos_video, credits_credittransaction")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_sort")
        cursor.execute("RESET enable_incremental_sort")
    return plan


def _page_sql(client, path: str, table: str, **params) -> str:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    (sql,) = [
        q["sql"]
        for q in captured.captured_queries
        if f'FROM "{table}"' in q["sql"] and " IN (SELECT" in q["sql"]
    ]
    return sql


@pytest.mark.parametrize("page", [2, 5])  # from the front, and from the back
def test_a_deep_video_page_is_chosen_on_the_users_index(auth_client, user, other_user, page):
    # Other people's rows make reading any other index and filtering costly, as it is on a
    # real table (on the user's rows alone, any ordered index would do as well).
    _many_videos(other_user, 2000)
    _videos(user, 20)
    plan = _plan(_page_sql(auth_client, "/api/v1/video/list", "videos_video", page=page, pageSize=SIZE))
    assert "Index Only Scan" in plan or "Index Scan" in plan, plan
    assert "video_user_recent_idx" in plan, plan


def _many_videos(user, count: int) -> None:
    """Rows in bulk (and their tally): enough that the planner's choice of index means something."""
    now = timezone.now()
    Video.objects.bulk_create(
        Video(user=user, prompt=f"bulk {n}", model="sora-2", duration=10, aspect_ratio="16:9",
              quality="720p", credits_used=2, provider="demo", provider_model="sora-2",
              status="COMPLETED", credit_status="CONSUMED", created_at=now - timedelta(seconds=n))
        for n in range(count)
    )  # fmt: skip
    VideoTally.objects.update_or_create(user=user, defaults={"visible": count})


def test_a_deep_staff_page_is_chosen_on_the_visible_videos_index(staff_client, user):
    _many_videos(user, 2000)
    plan = _plan(_page_sql(staff_client, "/api/v1/admin/videos", "videos_video", page=2, pageSize=SIZE))
    assert "video_visible_recent_idx" in plan, plan


def _many_entries(user, count: int) -> None:
    """Ledger rows in bulk for ``user``: a plan's backdrop (their balances are not checked here)."""
    CreditTransaction.objects.bulk_create(
        CreditTransaction(trans_no=f"bulk-{user.pk}-{n}", user=user, sequence=n + 1, trans_type="ORDER_PAY",
                          credits=1, balance_after=n + 1, remark="bulk")
        for n in range(count)
    )  # fmt: skip


def test_a_deep_history_page_is_chosen_on_the_ledger_index(auth_client, user, other_user):
    _many_entries(other_user, 2000)
    for n in range(12):
        give_credits(user, 1 + n, order_no=f"plan-{n}")
    assert CreditTransaction.objects.filter(user=user).count() == 12
    sql = _page_sql(auth_client, "/api/v1/credit/history", "credits_credittransaction", page=2, pageSize=SIZE)
    plan = _plan(sql)
    assert "Index Only Scan" in plan or "Index Scan" in plan, plan
    assert "credit_tx_user_newest" in plan, plan
