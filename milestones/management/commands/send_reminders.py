"""One reminder scan, run here and now: for cron users who run no Celery beat or worker."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from milestones import scan, tasks
from milestones.models import Reminder


def line(due):
    project = due.project.title if due.project else "-"
    digest = "  (in the morning digest)" if due.digest else ""
    return f"{due.kind}  {due.recipient}  {project}  {due.due_slot}{digest}"


class Command(BaseCommand):
    help = (
        "Send the reminders due now without Celery: scan, then deliver each pending reminder "
        "in this process. With --dry-run, list what would be sent and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the reminders due now; write and send nothing."
        )

    def handle(self, *args, dry_run, **options):
        now = timezone.now()
        # Both runs open with the same sentence, counted the same way, so a dry run
        # says what the real run will.
        due, skipped = scan.triage(scan.due_now(now))
        to_send = scan.not_sent(due)
        summary = (
            f"{plural(len(due) + len(skipped), 'reminder')} due, {len(due) - len(to_send)} sent already: "
            f"{len(to_send)} to send, {len(skipped)} skipped (no email address)."
        )
        if dry_run:
            for due_one in to_send:
                self.stdout.write(line(due_one))
            for due_one in skipped:
                self.stdout.write(f"skipped: {scan.describe(due_one)}")
            self.stdout.write(f"{summary} Dry run: nothing was written or sent.")
            return
        alone, failed = tasks.scan_and_send(now)
        sent = Reminder.objects.filter(state=Reminder.State.SENT, sent_at__gte=now).count()
        pending = Reminder.objects.filter(state=Reminder.State.PENDING).count()
        self.stdout.write(
            f"{summary} Sent {sent}: {alone} one by one, {sent - alone} in daily digests. "
            f"{pending} pending (for a later digest or another try)."
        )
        if failed:
            self.stderr.write(f"{failed} failed for good: see the failed reminders page to retry them.")


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"
