"""Reminder delivery: claim a row, send its email outside any transaction, mark it sent.

A worker claims a pending reminder with one conditional UPDATE (pending → sending,
with claimed_at) that commits at once; only one worker's UPDATE can match, so two
workers given the same id (a message enqueued twice, two beats) send it once. The
email is rendered and sent with no transaction open and no row locked: an SMTP
conversation that takes up to EMAIL_TIMEOUT holds nothing another writer waits for
(on SQLite a lock is the whole database's). Then the row is marked sent; or, when the
mail server refused, put back to pending with one more attempt counted, or failed
after the last try.

The crash window: a worker that dies after the mail server accepted the email and
before it marked the row sent leaves the row in "sending". Nobody can tell whether
that email went out, so sweep() returns claims older than any send can take to
pending, and the email is sent again: at-least-once for that window, exactly once
everywhere else. A claim left by a broken send (the worker killed, the database gone
between sending and marking) is the only way a reminder goes out twice.

The tasks that call this module, and everything that puts messages on the broker,
live in milestones.tasks; this module never imports it.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from milestones import emails
from milestones.models import Reminder, ReminderPreference
from milestones.scan import Readers, read_check

logger = logging.getLogger(__name__)
State = Reminder.State

# What a mail server that is down or refusing raises.
SMTP_ERRORS = (smtplib.SMTPException, OSError)


def sent_alone(reminders):
    """Leave out the rows that wait for their owner's daily digest (a freelancer's never do)."""
    digest_users = ReminderPreference.objects.filter(daily_digest=True).values("user_id")
    return reminders.exclude(user_id__in=digest_users)


def take_pending(now):
    """The ids of the pending rows to enqueue now (new ones, and ones whose message was lost:
    not enqueued within REMINDER_REQUEUE_MINUTES), marked as enqueued at `now`."""
    stale = now - datetime.timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES)
    pending = sent_alone(Reminder.objects.filter(state=State.PENDING)).exclude(enqueued_at__gte=stale)
    ids = list(pending.values_list("pk", flat=True))
    if ids:
        Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def forget_enqueued(ids):
    """The broker refused these: let the next scan enqueue them at once, not after the requeue delay."""
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=None)


def claim_stale_after():
    """How old a claim is when no send can still be running for it: the worker kills a task
    after CELERY_TASK_TIME_LIMIT, and one SMTP step gives up after EMAIL_TIMEOUT."""
    longest = max(settings.CELERY_TASK_TIME_LIMIT, settings.EMAIL_TIMEOUT)
    return datetime.timedelta(seconds=longest) + datetime.timedelta(minutes=1)


def sweep(now=None):
    """Return the claims nobody finished to pending, for the next scan (or digest) to send
    again; returns how many. See the crash window above."""
    now = now or timezone.now()
    stale = Reminder.objects.filter(state=State.SENDING, claimed_at__lt=now - claim_stale_after())
    count = stale.update(state=State.PENDING, enqueued_at=None)
    if count:
        logger.warning("%d reminder claims were never finished; they will be sent again", count)
    return count


def claim(reminder_id):
    """Claim a pending reminder for sending, committed at once (the caller must not be in a
    transaction of its own). Returns the claim's time, or None when it is not pending: sent
    already, failed, or another worker has it."""
    claimed_at = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, state=State.PENDING).update(
        state=State.SENDING, claimed_at=claimed_at
    )
    return claimed_at if claimed else None


def deliver(reminder_id, *, last_try=False):
    """Send one reminder unless it is sent already or another worker has it; returns whether
    this call sent it.

    An error while rendering or sending puts the claim back: to pending with the attempt
    counted when the mail server refused and it is not the `last_try`, otherwise failed;
    the error is raised again for the caller to retry or report."""
    claimed_at = claim(reminder_id)
    if claimed_at is None:
        return False
    reminder = Reminder.objects.select_related("project__freelancer", "user").get(pk=reminder_id)
    if not drop_orphans([reminder]):
        return False
    try:
        emails.reminder(reminder).send()
    except Exception as error:
        final = last_try or not isinstance(error, SMTP_ERRORS)
        release(Reminder.objects.filter(pk=reminder_id, claimed_at=claimed_at), error, final=final)
        raise
    mark_sent(Reminder.objects.filter(pk=reminder_id))
    return True


def mark_sent(claimed):
    """The email went out. Marked whatever happened to the claim meanwhile: a row swept back to
    pending by a send slower than any should be is not sent a second time."""
    claimed.update(state=State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1)


def release(claimed, error, *, final):
    """Count a failed attempt on the claimed rows; back to pending for another try, or failed
    (after the last one), which shows on the dashboard and the failed reminders page."""
    claimed.filter(state=State.SENDING).update(
        state=State.FAILED if final else State.PENDING,
        attempts=F("attempts") + 1,
        last_error=error_text(error),
    )


def error_text(error):
    return f"{error.__class__.__name__}: {error}"[:2000]


def drop_orphans(reminders):
    """Delete the reminders with nothing left to remind of: their subject was deleted since
    (a re-planned check-in, a removed milestone), the freelancer they were addressed to
    is no longer on the project, or their reader may no longer see what they are about.
    Returns the others."""
    readers = Readers()
    orphans = [
        reminder.pk
        for reminder in reminders
        if reminder.target is None or not still_addressed(reminder, readers)
    ]
    if orphans:
        logger.info("Reminders %s dropped: what or whom they were about is gone", orphans)
        Reminder.objects.filter(pk__in=orphans).delete()
    return [reminder for reminder in reminders if reminder.pk not in orphans]


def still_addressed(reminder, readers):
    """A freelancer's copy goes only to the project's current freelancer: their link is signed for
    them. A reminder about money or access grants goes only to someone who may still read it."""
    if reminder.user_id is not None:
        check = read_check(reminder.kind, reminder.due_slot)
        return check is None or readers.allowed(check, reminder.user)
    freelancer = reminder.project.freelancer if reminder.project else None
    return freelancer is not None and freelancer.email.lower() == reminder.recipient.lower()


def deliver_pending():
    """Deliver every pending reminder here and now, one by one, for cron users without a
    worker. A mail server error counts as an attempt; once there were as many as the
    worker would make, the reminder is failed. Returns how many were sent and failed."""
    pending = sent_alone(Reminder.objects.filter(state=State.PENDING)).order_by("created_at", "pk")
    sent = failed = 0
    for reminder_id, attempts in pending.values_list("pk", "attempts"):
        last_try = attempts >= settings.REMINDER_MAX_RETRIES
        try:
            sent += deliver(reminder_id, last_try=last_try)
        except SMTP_ERRORS:
            failed += last_try
    return sent, failed


def reopen_failed(reminders=None):
    """Put failed reminders, all of them unless given, back to pending, marked as enqueued now;
    returns their ids for the caller to enqueue. A reopened reminder goes out on its own,
    even to an owner who chose the digest."""
    failed = (Reminder.objects.all() if reminders is None else reminders).filter(state=State.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    if ids:
        # The state in the WHERE clause: a second click, or staff on two pages, reopens it once.
        Reminder.objects.filter(pk__in=ids, state=State.FAILED).update(
            state=State.PENDING, enqueued_at=timezone.now(), last_error=""
        )
    return ids
