from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_outbound_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="kind",
            field=models.CharField(
                choices=[("callback", "Video provider callback"), ("billing", "Payment event")],
                default="callback",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="event_id",
            field=models.CharField(blank=True, db_index=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("received", "Received, not processed yet"),
                    ("queued", "Status refresh queued"),
                    ("ignored", "Nothing to do (duplicate, late or finished video)"),
                    ("rejected", "Signature missing or invalid"),
                    ("invalid", "Malformed body"),
                    ("error", "Processing failed"),
                    ("applied", "Payment event applied"),
                    ("waiting", "Payment event waits for the payment it refers to"),
                ],
                default="received",
                max_length=16,
            ),
        ),
    ]
