from django.db import migrations


def mark_models_with_sound(apps, schema_editor):
    # Until has_audio existed, the catalogue said so only in words ("clips with sound").
    AIModel = apps.get_model("modelconfig", "AIModel")
    AIModel.objects.filter(description__icontains="sound").update(has_audio=True)


class Migration(migrations.Migration):
    dependencies = [("modelconfig", "0003_aimodel_has_audio")]

    operations = [migrations.RunPython(mark_models_with_sound, migrations.RunPython.noop)]
