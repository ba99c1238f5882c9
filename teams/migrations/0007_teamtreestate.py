import uuid

from django.db import migrations, models


def first_generation_and_positions(apps, schema_editor):
    from teams.tree import TeamTree  # the walk only (plain rows in, positions out)

    apps.get_model("teams", "TeamTreeState").objects.create(pk=1)
    Team = apps.get_model("teams", "Team")
    teams = list(Team.objects.only("id", "name", "parent_id"))
    for position, node in enumerate(TeamTree(teams).nodes()):
        node.team.tree_position = position
    Team.objects.bulk_update(teams, ["tree_position"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("teams", "0006_team_checkpoint_cadence"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.CreateModel(
            name="TeamTreeState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("generation", models.UUIDField(default=uuid.uuid4)),
            ],
        ),
        migrations.AddField(
            model_name="team",
            name="tree_position",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(first_generation_and_positions, migrations.RunPython.noop),
        # "Owner deactivated" on the dashboard starts from the few deactivated users (dashboards.selectors).
        migrations.RunSQL(
            "CREATE INDEX teams_inactive_user ON auth_user (id) WHERE NOT is_active",
            "DROP INDEX teams_inactive_user",
        ),
    ]
