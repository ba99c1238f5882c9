"""EmailDelivery moves from checkins to notifications with its rows, and back (checkins/0003)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("checkins", "0002_emaildelivery_claimed_until")]  # notifications/0001 depends on checkins/0003
AFTER = [("checkins", "0003_move_emaildelivery_to_notifications"), ("notifications", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_rows_move_with_the_model_and_back():
    try:
        old = migrate(BEFORE)
        User = old.get_model("auth", "User")
        user = User.objects.create(username="moved", email="moved@example.org")
        old.get_model("checkins", "EmailDelivery").objects.create(
            user_id=user.pk, kind="checkin_reminder", iso_year=2027, iso_week=12, attempts=2
        )

        new = migrate(AFTER)
        assert "notifications_emaildelivery" in connection.introspection.table_names()
        assert "checkins_emaildelivery" not in connection.introspection.table_names()
        row = new.get_model("notifications", "EmailDelivery").objects.get()
        assert (row.user_id, row.iso_week, row.attempts) == (user.pk, 12, 2)

        back = migrate(BEFORE)
        assert back.get_model("checkins", "EmailDelivery").objects.get().attempts == 2
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
