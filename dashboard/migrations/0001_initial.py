from django.db import migrations, models


def move_content_type(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    # Where `migrate` has already made the new one, the old one stays a stale leftover.
    if not types.filter(app_label=new, model="heartbeat").exists():
        types.filter(app_label=old, model="heartbeat").update(app_label=new)


def content_type_follows(apps, schema_editor):
    # A database migrated before the move has the heartbeat's content type (and the
    # permissions on it) under "outsourcing": hand it over rather than leave a stale one.
    move_content_type(apps, schema_editor, "outsourcing", "dashboard")


def content_type_goes_back(apps, schema_editor):
    move_content_type(apps, schema_editor, "dashboard", "outsourcing")


class Migration(migrations.Migration):
    """The heartbeat moved here from the settings package; its table stays where it is
    (outsourcing_heartbeat, created by outsourcing 0001), so only the state moves."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("outsourcing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Heartbeat",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=50, unique=True)),
                        ("seen_at", models.DateTimeField()),
                    ],
                    options={"db_table": "outsourcing_heartbeat"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_goes_back),
    ]
