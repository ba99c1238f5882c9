# EmailDelivery moves to the notifications app with its rows: the table is renamed here, while the model is
# still in checkins' state, and the model leaves checkins' state; notifications/0001 takes it over without
# touching the database (SeparateDatabaseAndState, Django ticket #24686). Reversible: backwards the table
# gets its old name and the model comes back to checkins' state.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0002_emaildelivery_claimed_until"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="emaildelivery", table="notifications_emaildelivery"),
            ],
            state_operations=[
                migrations.DeleteModel(name="EmailDelivery"),
            ],
        ),
    ]
