"""Backup and restore: the demo data and uploaded files, backed up by `manage.py backup` and
restored by `manage.py restore` into a fresh database and an empty storage, come back whole.

The round trips run the commands as a deployment would, as processes with their own settings
(PostgreSQL and S3 with a real S3-compatible server; SQLite and a local folder), and compare
what arrived with what left using queries and reads of their own, not the code under test.
"""

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Max

from dashboard.tasks import back_up_daily
from freelancers.models import Skill, WorkSample
from freelancers.tests.factories import WorkSampleFactory
from milestones.tests.processes import database_url

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# Running the commands as processes.


def manage(*arguments, stdin=None, **environment):
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, arguments)],
        cwd=ROOT,
        env={**os.environ, **environment},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def succeeds(*arguments, **environment):
    result = manage(*arguments, **environment)
    assert result.returncode == 0, f"manage.py {' '.join(map(str, arguments))}:\n{result.stderr}"
    return result


# What a database and a storage hold, counted here.


def postgres_row_counts(name):
    database = connection.settings_dict
    with (
        psycopg2.connect(
            dbname=name,
            host=database["HOST"],
            port=database["PORT"],
            user=database["USER"],
            password=database["PASSWORD"],
        ) as server,
        server.cursor() as cursor,
    ):
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalog
            counts[table] = cursor.fetchone()[0]
    server.close()
    return counts


def sqlite_row_counts(path):
    database = sqlite3.connect(path)
    try:
        tables = [name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        count = 'SELECT count(*) FROM "{}"'  # names from the catalog
        return {table: database.execute(count.format(table)).fetchone()[0] for table in tables}
    finally:
        database.close()


def checksums(contents):
    return {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}


def folder_contents(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def the_archive(folder):
    (archive,) = folder.glob("helping-hands-*.tar.gz")
    return archive


# The data.


def demo_data_with_uploads():
    """The demo business, and work samples with files (a large one among them) in the storage."""
    call_command("seed_demo", stdout=io.StringIO())
    samples = [("brochure.pdf", PDF), ("logo.png", PNG), ("portfolio.pdf", PDF + bytes(range(256)) * 4096)]
    for name, content in samples:
        WorkSampleFactory(url="", file=ContentFile(content, name=name))


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def second_postgres_database(transactional_db):
    """An empty PostgreSQL database beside the test database; its URL. Dropped at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL round trip needs the tests to run on PostgreSQL (DATABASE_URL)")
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name, database_url({**connection.settings_dict, "NAME": name})
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The round trips.


@pytest.mark.slow
def test_the_demo_data_and_uploads_come_back_whole_in_a_fresh_postgresql_database_and_bucket(
    second_postgres_database, s3_server, s3_storage, tmp_path
):
    demo_data_with_uploads()
    source_rows = postgres_row_counts(connection.settings_dict["NAME"])
    source_files = checksums(s3_server.objects(s3_storage))
    assert source_rows["freelancers_freelancer"] > 20 and source_rows["projects_project"] > 20
    assert len(source_files) == 3

    call_command("backup", output=tmp_path, stdout=io.StringIO())
    target_name, target_url = second_postgres_database
    target_bucket = s3_server.new_bucket()
    target = {"DATABASE_URL": target_url, **s3_server.environment(target_bucket)}
    succeeds("migrate", "--no-input", **target)
    succeeds("restore", the_archive(tmp_path), "--no-input", **target)

    assert postgres_row_counts(target_name) == source_rows
    assert checksums(s3_server.objects(target_bucket)) == source_files
    # The restored database works as the app's: its sequences go on after the restored rows.
    new_skill = "from freelancers.models import Skill; print(Skill.objects.create(name='Restored').pk)"
    added = succeeds("shell", "--no-imports", "-c", new_skill, **target)
    assert int(added.stdout) > Skill.objects.aggregate(Max("pk"))["pk__max"]


@pytest.mark.slow
def test_the_demo_data_and_uploads_come_back_whole_in_a_fresh_sqlite_database_and_folder(tmp_path):
    source = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}",
        "MEDIA_ROOT": tmp_path / "source-media",
    }
    target = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'target.sqlite3'}",
        "MEDIA_ROOT": tmp_path / "target-media",
    }
    source, target = ({key: str(value) for key, value in side.items()} for side in (source, target))
    succeeds("migrate", "--no-input", **source)
    shutil.copy(tmp_path / "source.sqlite3", tmp_path / "target.sqlite3")  # as fresh as migrate left it
    succeeds("seed_demo", **source)
    uploads = tmp_path / "source-media" / "samples"
    uploads.mkdir(parents=True)
    (uploads / "brochure.pdf").write_bytes(PDF)
    (uploads / "logo.png").write_bytes(PNG)
    fresh_rows = sqlite_row_counts(tmp_path / "target.sqlite3")

    succeeds("backup", "--output", tmp_path / "backups", **source)
    archive = the_archive(tmp_path / "backups")
    declined = manage("restore", archive, stdin="no\n", **target)

    assert declined.returncode != 0
    assert "Restore cancelled; nothing was changed." in declined.stderr
    assert sqlite_row_counts(tmp_path / "target.sqlite3") == fresh_rows

    succeeds("restore", archive, "--no-input", **target)

    source_rows = sqlite_row_counts(tmp_path / "source.sqlite3")
    assert source_rows["freelancers_freelancer"] > 20
    assert sqlite_row_counts(tmp_path / "target.sqlite3") == source_rows
    assert checksums(folder_contents(tmp_path / "target-media")) == checksums(
        folder_contents(tmp_path / "source-media")
    )


# What a restore refuses.


def test_a_restore_refuses_a_database_that_is_not_empty(transactional_db, media_in_tmp, tmp_path):
    WorkSampleFactory(url="", file=ContentFile(PDF, name="brochure.pdf"))
    call_command("backup", output=tmp_path, stdout=io.StringIO())

    with pytest.raises(CommandError, match=r"The database is not empty: freelancers_freelancer \(1 rows\)"):
        call_command("restore", the_archive(tmp_path), interactive=False, stdout=io.StringIO())

    assert WorkSample.objects.count() == 1


def test_a_restore_refuses_a_storage_that_is_not_empty(transactional_db, media_in_tmp, tmp_path):
    WorkSampleFactory(url="", file=ContentFile(PDF, name="brochure.pdf"))
    call_command("backup", output=tmp_path, stdout=io.StringIO())
    call_command("flush", interactive=False)  # the database as migrate leaves it; the file stays

    with pytest.raises(CommandError, match=r"The file storage is not empty \(1 files, e.g. samples/"):
        call_command("restore", the_archive(tmp_path), interactive=False, stdout=io.StringIO())

    assert not get_user_model().objects.exists()


def test_a_damaged_archive_is_refused_before_anything_changes(transactional_db, media_in_tmp, tmp_path):
    WorkSampleFactory(url="", file=ContentFile(PDF, name="brochure.pdf"))
    call_command("backup", output=tmp_path / "made", stdout=io.StringIO())
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(the_archive(tmp_path / "made")) as original, tarfile.open(damaged, "w:gz") as copy:
        for member in original:
            content = original.extractfile(member).read()
            if member.name.startswith("files/"):
                content = content.replace(b"Catalog", b"Katalog")
            copy.addfile(member, io.BytesIO(content))
    call_command("flush", interactive=False)
    shutil.rmtree(media_in_tmp)

    with pytest.raises(CommandError, match="The archive's files are missing or damaged: samples/"):
        call_command("restore", damaged, interactive=False, stdout=io.StringIO())

    assert not WorkSample.objects.exists()
    assert not media_in_tmp.exists()


# Keeping archives in the storage, and the daily backup.


def test_an_archive_kept_in_the_storage_is_left_out_of_the_next_backup(
    transactional_db, s3_server, s3_storage, tmp_path
):
    sample = WorkSampleFactory(url="", file=ContentFile(PDF, name="brochure.pdf"))

    call_command("backup", output=tmp_path / "first", to_storage=True, stdout=io.StringIO())
    call_command("backup", output=tmp_path / "second", stdout=io.StringIO())

    first = the_archive(tmp_path / "first")
    assert s3_server.objects(s3_storage) == {
        sample.file.name: PDF,
        f"backups/{first.name}": first.read_bytes(),
    }
    with tarfile.open(the_archive(tmp_path / "second")) as second:
        assert [name for name in second.getnames() if name.startswith("files/")] == [
            f"files/{sample.file.name}"
        ]


def test_the_daily_backup_writes_an_archive_only_when_switched_on(
    transactional_db, media_in_tmp, settings, tmp_path
):
    settings.BACKUP_DIR = str(tmp_path / "daily")

    assert back_up_daily() is None
    assert not (tmp_path / "daily").exists()

    settings.BACKUP_DAILY = True
    written = Path(back_up_daily())

    assert written == the_archive(tmp_path / "daily")
    with tarfile.open(written) as archive:
        assert "manifest.json" in archive.getnames()
