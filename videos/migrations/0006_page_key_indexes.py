"""Indexes that end on the primary key, so a page's keys come from an index-only scan
(kensa.api.pagination.page_rows): a user's videos of one status, and every visible video
(the staff list)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0005_idempotency_purge_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="video",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["user", "status", "-created_at", "-uuid"],
                name="video_user_status_recent_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="video",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["-created_at", "-uuid"],
                name="video_visible_recent_idx",
            ),
        ),
        # After its replacement exists: status-filtered lists always have an index.
        migrations.RemoveIndex(
            model_name="video",
            name="video_user_status_idx",
        ),
    ]
