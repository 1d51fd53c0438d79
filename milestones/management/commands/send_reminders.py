"""One reminder scan, run here and now: for cron users who run no Celery beat or worker."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from milestones import reminders
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
        if dry_run:
            self.dry_run(now)
            return
        dues = reminders.scan(now, enqueue=False)
        alone, failed = reminders.deliver_pending()
        sent = Reminder.objects.filter(state=Reminder.State.SENT, sent_at__gte=now).count()
        pending = Reminder.objects.filter(state=Reminder.State.PENDING).count()
        self.stdout.write(
            f"{len(dues)} reminder{'s' if len(dues) != 1 else ''} due. Sent {sent}: {alone} one by one, "
            f"{sent - alone} in daily digests. {pending} pending (for a later digest or another try)."
        )
        if failed:
            self.stderr.write(f"{failed} failed for good: see the failed reminders page to retry them.")

    def dry_run(self, now):
        dues, skipped = reminders.triage(reminders.due_now(now))
        dues = reminders.not_sent(dues)
        for due in dues:
            self.stdout.write(line(due))
        for due in skipped:
            self.stdout.write(f"skipped: {reminders.describe(due)}")
        self.stdout.write(
            f"{len(dues)} to send, {len(skipped)} skipped. Dry run: nothing was written or sent."
        )
