"""Backups: one archive holding the database and every uploaded file, and putting one back.

An archive is a tar.gz holding:
    database.dump       pg_dump's custom format (PostgreSQL), or
    database.sqlite3    a copy made with SQLite's online backup API (SQLite)
    files/<name>        each file of the file storage, read through the storage API (local or S3)
    manifest.json       what is inside: the database kind, the migrations applied, each table's
                        row count and each file's size and SHA-256

A restore goes into a database fresh from `migrate` (same migrations, no rows but those migrate
writes) and an empty storage; it checks the whole archive before changing anything, and the
restored row counts against the manifest after.
"""

import datetime
import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files/"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Storage folders that are not uploads: archives put there by --to-storage (a backup holding
# the previous backups would double in size every day) and /healthz's short-lived probe files.
NOT_UPLOADS = {"backups", "healthz"}
STORAGE_FOLDER = "backups"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why a backup or restore cannot go on, in plain words."""


# Making a backup.


def archive_name(now=None):
    now = now or datetime.datetime.now(datetime.UTC)
    return f"helping-hands-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def create_backup(*, output=None, to_storage=False):
    """Write an archive of the database and the uploaded files; return (its path, its name in
    the storage or None).

    `output` is a folder (the archive gets a timestamped name there) or a file name; by default
    the folder BACKUP_DIR. The archive appears complete or not at all."""
    output = Path(output or settings.BACKUP_DIR)
    if output.is_dir() or not output.name.endswith(".tar.gz"):
        output = output / archive_name()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        dump, migrations, tables = dump_database(Path(work))
        partial = output.with_name(output.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
                archive.add(dump, arcname=dump.name)
                files = {name: add_stored_file(archive, name) for name in stored_files()}
                manifest = {
                    "format": FORMAT,
                    "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
                    "database": connection.vendor,
                    "dump": dump.name,
                    "migrations": migrations,
                    "tables": tables,
                    "files": files,
                }
                add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    stored = None
    if to_storage:
        with output.open("rb") as content:
            stored = default_storage.save(f"{STORAGE_FOLDER}/{output.name}", File(content))
    return output, stored


def dump_database(folder):
    """Dump the database into `folder`; return (the dump's path, the applied migrations, each
    table's row count), all three of the same moment."""
    if connection.vendor == "postgresql":
        return dump_postgresql(folder / DUMPS["postgresql"])
    if connection.vendor == "sqlite":
        return dump_sqlite(folder / DUMPS["sqlite"])
    raise BackupError(f"Backups know PostgreSQL and SQLite, not {connection.vendor}.")


def dump_postgresql(path):
    # pg_dump reads the snapshot this transaction exported, so the row counts and migrations
    # recorded in the manifest are exactly what the dump holds, even while the app writes.
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        migrations, tables = applied_migrations(), row_counts()
        run_postgres_program(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot}",
            "-f",
            path,
        )
    return path, migrations, tables


def dump_sqlite(path):
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)  # a consistent copy, even while others write
        tables = sqlite_row_counts(copy)
        migrations = sorted(
            f"{app}.{name}" for app, name in copy.execute("SELECT app, name FROM django_migrations")
        )
    finally:
        copy.close()
    return path, migrations, tables


def stored_files(storage=None, folder=""):
    """The name of every uploaded file in the storage, sorted."""
    storage = storage or default_storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local folder nothing was uploaded to yet
        return []
    names = [posixpath.join(folder, name) for name in files]
    for sub in folders:
        if folder or sub not in NOT_UPLOADS:
            names += stored_files(storage, posixpath.join(folder, sub))
    return sorted(names)


def add_stored_file(archive, name):
    """Copy one stored file into the archive; return its size and SHA-256."""
    digest = hashlib.sha256()
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as copy:
        with default_storage.open(name, "rb") as stored:
            while chunk := stored.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
        member = tarfile.TarInfo(FILES + name)
        member.size = copy.tell()
        member.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
        copy.seek(0)
        archive.addfile(member, copy)
    return {"size": member.size, "sha256": digest.hexdigest()}


def add_bytes(archive, name, content):
    member = tarfile.TarInfo(name)
    member.size = len(content)
    member.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    archive.addfile(member, io.BytesIO(content))


# What a database holds.


def applied_migrations():
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def row_counts():
    """{table: rows} for every table of the database, in one query."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        quote = connection.ops.quote_name
        # The table names come from the database itself, quoted; nothing typed reaches this query.
        counts = (f"SELECT %s, count(*) FROM {quote(table)}" for table in tables)  # noqa: S608
        cursor.execute(" UNION ALL ".join(counts), tables)
        return dict(cursor.fetchall())


def sqlite_row_counts(database):
    names = database.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    tables = sorted(name for (name,) in names)
    # The table names come from the database itself; nothing typed reaches these queries.
    count = 'SELECT count(*) FROM "{}"'
    return {table: database.execute(count.format(table)).fetchone()[0] for table in tables}


def tables_migrate_fills():
    """The tables `migrate` itself writes rows to: the migration record, the content types and
    permissions, and the two roles (common.roles.sync_roles). A fresh database has rows there."""
    return {
        MigrationRecorder.Migration._meta.db_table,
        ContentType._meta.db_table,
        Permission._meta.db_table,
        Group._meta.db_table,
        Group.permissions.through._meta.db_table,
    }


# Putting a backup back.


def read_manifest(path):
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = json.load(archive.extractfile(MANIFEST))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{path} is not a backup archive ({error}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is a backup of another format ({manifest.get('format')}), not {FORMAT}.")
    return manifest


def problems_restoring(manifest):
    """Why this database and storage cannot take the backup: [] when they can."""
    if manifest["database"] != connection.vendor:
        return [f"The backup holds a {manifest['database']} database; this one is {connection.vendor}."]
    problems = []
    applied = applied_migrations()
    if not applied:
        problems.append("The database has no tables yet: run `manage.py migrate` first.")
    elif applied != manifest["migrations"]:
        missing = sorted(set(manifest["migrations"]) - set(applied))
        extra = sorted(set(applied) - set(manifest["migrations"]))
        problems.append(
            "The database's migrations differ from the backup's (missing here: "
            f"{', '.join(missing) or 'none'}; not in the backup: {', '.join(extra) or 'none'}). "
            "Restore with the version of Helping Hands that made the backup, then migrate."
        )
    else:
        filled = {
            table: rows
            for table, rows in row_counts().items()
            if rows and table not in tables_migrate_fills()
        }
        if filled:
            some = ", ".join(f"{table} ({rows} rows)" for table, rows in sorted(filled.items())[:5])
            problems.append(f"The database is not empty: {some}. Restore into a freshly migrated database.")
    files = stored_files()
    if files:
        problems.append(f"The file storage is not empty ({len(files)} files, e.g. {files[0]}).")
    return problems


def restore_backup(path):
    """Put the archive at `path` back into this (fresh, empty) database and storage; return the
    manifest. Raises BackupError, having changed nothing, if the archive is damaged or the
    database or storage is not empty."""
    manifest = read_manifest(path)
    if problems := problems_restoring(manifest):
        raise BackupError(" ".join(problems))
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r:gz") as archive:
        dump = Path(work) / DUMPS[manifest["database"]]
        check_archive(archive, manifest, dump)
        if manifest["database"] == "postgresql":
            restore_postgresql(dump, Path(work))
        else:
            restore_sqlite(dump)
        ContentType.objects.clear_cache()  # the ids are the backup's now
        for member in archive:
            if member.name.startswith(FILES):
                restore_file(archive, member)
    verify_restored(manifest)
    return manifest


def verify_restored(manifest):
    """Read back what was restored: each table's row count and each file's checksum, from the
    database and the storage themselves, against the manifest."""
    restored = row_counts()
    differing = {table: rows for table, rows in manifest["tables"].items() if restored.get(table) != rows}
    if differing:
        raise BackupError(f"The restored database does not match the backup's row counts: {differing}.")
    for name, entry in manifest["files"].items():
        with default_storage.open(name, "rb") as stored:
            if checksum(stored) != entry["sha256"]:
                raise BackupError(f"The restored file {name} differs from the backup's.")


def check_archive(archive, manifest, dump):
    """Read the whole archive once before anything changes: every file the manifest lists is
    there with its checksum, nothing else is, and the database dump is copied out to `dump`."""
    found = {}
    for member in archive:
        if member.name == dump.name and member.isfile():
            with archive.extractfile(member) as source, dump.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
        elif member.name.startswith(FILES):
            name = member.name.removeprefix(FILES)
            if name not in manifest["files"] or not member.isfile() or not safe_name(name):
                raise BackupError(f"The archive holds a file its manifest does not list: {member.name}.")
            found[name] = checksum(archive.extractfile(member))
    if not dump.exists():
        raise BackupError("The archive holds no database dump.")
    expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    if found != expected:
        damaged = sorted(name for name in expected if found.get(name) != expected[name])
        raise BackupError(f"The archive's files are missing or damaged: {', '.join(damaged[:5])}.")


def safe_name(name):
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def checksum(source):
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def restore_file(archive, member):
    name = member.name.removeprefix(FILES)
    with archive.extractfile(member) as content:
        saved = default_storage.save(name, File(content, name=posixpath.basename(name)))
    if saved != name:  # the storage renamed it: a file of that name appeared meanwhile
        raise BackupError(f"The storage saved {name} as {saved}: it was not empty.")


def restore_postgresql(dump, work):
    """Empty the fresh database's tables and load the dump's rows, in one transaction: either
    everything is restored or nothing changed. The rows migrate wrote (content types,
    permissions, roles) are replaced by the backup's, whose ids the other rows refer to."""
    script = work / "data.sql"
    run_program("pg_restore", "--data-only", "--no-owner", "--no-privileges", "-f", script, dump)
    quote = connection.ops.quote_name
    tables = ", ".join(quote(table) for table in sorted(connection.introspection.table_names()))
    connection.close()  # holds no lock the load would wait for
    truncate = f"TRUNCATE {tables} RESTART IDENTITY CASCADE"
    psql_options = ("--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction")
    run_postgres_program("psql", *psql_options, "-c", truncate, "-f", script)


def restore_sqlite(dump):
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)  # replaces every page of the fresh database at once
    finally:
        source.close()


# PostgreSQL's programs.


def run_postgres_program(program, *arguments):
    """Run pg_dump or psql on this project's database (connection settings via PG* variables,
    so the password never shows in a process list)."""
    database = connection.settings_dict
    values = {
        "PGHOST": database["HOST"],
        "PGPORT": str(database["PORT"] or ""),
        "PGUSER": database["USER"],
        "PGPASSWORD": database["PASSWORD"],
        "PGDATABASE": database["NAME"],
        "PGSSLMODE": database.get("OPTIONS", {}).get("sslmode"),
    }
    run_program(program, *arguments, environment={key: value for key, value in values.items() if value})


def run_program(program, *arguments, environment=None):
    try:
        subprocess.run(  # noqa: S603 - PostgreSQL's own programs, with arguments built here
            [program, *map(str, arguments)],
            env={**os.environ, **(environment or {})},
            capture_output=True,
            text=True,
            check=True,
        )
    except FileNotFoundError:
        raise BackupError(
            f"{program} is not installed: it comes with PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client)."
        ) from None
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{program} failed: {error.stderr.strip()}") from None
