"""Fill the dashboard's rollups of an existing database (new databases fill them with every write).

Every (cycle, team) that has an objective gets a rollup marked dirty; the worker's ``checkins.refresh_rollups``
(or the first read of those figures, or ``manage.py verify_rollups --fix``) computes it with the application's
own recomputation. Nothing of the application's code runs here: the historical models only, so a later change
to the read model cannot break this migration. Reversing drops nothing (the table goes with 0007)."""

from django.db import migrations


def backfill(apps, schema_editor):
    Objective = apps.get_model("objectives", "Objective")
    TeamRollup = apps.get_model("checkins", "TeamRollup")
    pairs = Objective.objects.values_list("cycle_id", "team_id").distinct().order_by()
    TeamRollup.objects.bulk_create(
        [TeamRollup(cycle_id=cycle_id, team_id=team_id, dirty=True) for cycle_id, team_id in pairs],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("checkins", "0008_attention_span_order")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
