from django.db import migrations
from django.db.models import Count


def backfill(apps, schema_editor):
    Video = apps.get_model("videos", "Video")
    VideoTally = apps.get_model("videos", "VideoTally")
    counts = Video.objects.filter(deleted_at__isnull=True).values("user_id").annotate(n=Count("uuid"))
    VideoTally.objects.bulk_create(
        [VideoTally(user_id=row["user_id"], visible=row["n"]) for row in counts],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["visible"],
    )


class Migration(migrations.Migration):
    dependencies = [("videos", "0002_video_tally")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
