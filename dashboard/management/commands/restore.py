from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dashboard.backups import BackupError, problems_restoring, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup` into this database and file storage. "
        "The database must be freshly migrated (by the same version) and empty, the storage empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive (tar.gz) to restore.")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="Do not ask for confirmation."
        )

    def handle(self, *args, path, interactive, **options):
        try:
            manifest = read_manifest(path)
            if problems := problems_restoring(manifest):
                raise BackupError(" ".join(problems))
            database = connection.settings_dict["NAME"]
            self.stdout.write(
                f"The backup of {manifest['created_at']} holds {sum(manifest['tables'].values())} rows "
                f"and {len(manifest['files'])} files. They will be written into the database {database} "
                "and the file storage."
            )
            if interactive and not confirmed():
                raise CommandError("Restore cancelled; nothing was changed.")
            restore_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS("Restored: every table's row count and every file's checksum match.")
        )


def confirmed():
    try:
        return input("Type 'yes' to restore: ").strip().lower() == "yes"
    except EOFError:  # no one to answer (no terminal): not a yes
        return False
