# EmailDelivery arrives from checkins with its table and rows (renamed in checkins/0003): this migration only
# records the model in notifications' state, and moves its content type (and so its permissions and admin
# log entries) along. Reversible.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_move(app_from: str, app_to: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if not ContentType.objects.using(db).filter(app_label=app_to, model="emaildelivery").exists():
            ContentType.objects.using(db).filter(app_label=app_from, model="emaildelivery").update(
                app_label=app_to
            )

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("checkins", "0003_move_emaildelivery_to_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="EmailDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("checkin_reminder", "check-in reminder"),
                                    ("leader_digest", "leader digest"),
                                ],
                                max_length=32,
                                verbose_name="kind",
                            ),
                        ),
                        ("iso_year", models.PositiveSmallIntegerField(verbose_name="ISO year")),
                        ("iso_week", models.PositiveSmallIntegerField(verbose_name="ISO week")),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                        ),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                        (
                            "claimed_until",
                            models.DateTimeField(blank=True, null=True, verbose_name="claimed until"),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="email_deliveries",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "email delivery",
                        "verbose_name_plural": "email deliveries",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "kind", "iso_year", "iso_week"), name="email_delivery_once_per_week"
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            content_type_move("checkins", "notifications"), content_type_move("notifications", "checkins")
        ),
    ]
