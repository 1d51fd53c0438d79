from django.db import migrations


class Migration(migrations.Migration):
    """The heartbeat is the dashboard's now (dashboard 0001 takes over the state and
    keeps the table): forget it here without dropping anything."""

    dependencies = [
        ("outsourcing", "0001_initial"),
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Heartbeat")],
            database_operations=[],
        ),
    ]
