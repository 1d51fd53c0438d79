from django.core.management.base import BaseCommand, CommandError

from dashboard.backups import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write one archive (tar.gz) of the database and every uploaded file. Restore it with "
        "`manage.py restore PATH` into a freshly migrated, empty database and an empty storage."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="A folder (the archive gets a timestamped name there) or a file name ending in .tar.gz. "
            "Default: BACKUP_DIR.",
        )
        parser.add_argument(
            "--to-storage",
            action="store_true",
            help="Also keep the archive in the file storage, under backups/ (off this machine with S3).",
        )

    def handle(self, *args, output, to_storage, **options):
        try:
            path, stored = create_backup(output=output, to_storage=to_storage)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
        if stored:
            self.stdout.write(f"and kept in the file storage as {stored}")
