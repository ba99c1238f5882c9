"""Fill the dashboard's rollups of an existing database (new databases fill them with every write).

It runs the application's own recomputation (``checkins.rollups``), the one ``verify_rollups --fix`` uses,
rather than a copy frozen here: the rollups are derived data, and a copy would drift from the read model.
Reversing drops nothing (the table goes with the previous migration)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from checkins import rollups

    rollups.refresh_all()


class Migration(migrations.Migration):
    dependencies = [("checkins", "0008_attention_span_order")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
