"""Celery tasks, and the functions that put them on the broker.

Tasks are thin: they take an id (or nothing) and call a service of
projects or milestones.scan, milestones.delivery or
milestones.digest. This is the only module that enqueues reminders, and those modules
never import it: the scan, a retry and a deliverable sent back return the rows, and this
module enqueues them after their transaction commits.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from milestones import deliverables, delivery, digest, planning, scan
from milestones.delivery import SMTP_ERRORS
from milestones.models import Reminder

logger = logging.getLogger(__name__)


@shared_task
def scan_reminders():
    dues = scan_and_enqueue()
    logger.info("Reminder scan: %d due", len(dues))


@shared_task
def sweep_reminder_claims():
    delivery.sweep()


@shared_task(bind=True)
def send_reminder(self, reminder_id):
    """Deliver one reminder; SMTP errors retry with exponential backoff, then mark it failed."""
    retries = self.request.retries
    final = retries >= settings.REMINDER_MAX_RETRIES
    try:
        delivery.deliver(reminder_id, last_try=final)
    except SMTP_ERRORS as error:
        if final:
            logger.error("Reminder %s failed after %d attempts: %s", reminder_id, retries + 1, error)
            return
        countdown = min(
            settings.REMINDER_RETRY_BASE_SECONDS * 2**retries, settings.REMINDER_RETRY_MAX_SECONDS
        )
        raise self.retry(exc=error, countdown=countdown, max_retries=settings.REMINDER_MAX_RETRIES) from error
    except Exception:
        # Anything else will not get better by retrying: delivery failed it where staff see it and can retry.
        logger.exception("Reminder %s failed", reminder_id)


@shared_task
def top_up_checkins():
    planned = planning.top_up_checkins()
    logger.info("Check-in top-up: %d planned", planned)


def scan_and_enqueue(now=None):
    """The scan as beat runs it: create the rows that are due, enqueue every pending row not
    enqueued recently (new ones, and ones whose message was lost), send the morning
    digests that are due. Returns the dues."""
    now = now or timezone.now()
    dues = scan.scan(now)
    with transaction.atomic():
        enqueue_after_commit(delivery.take_pending(now))
    digest.send_digests(now)
    return dues


def enqueue_after_commit(ids):
    if ids:
        transaction.on_commit(lambda: enqueue(ids))


def enqueue(ids):
    for position, reminder_id in enumerate(ids):
        try:
            send_reminder.delay(reminder_id)
        except Exception:
            # The broker is down: the scan fails loudly, and the next one enqueues
            # what was not sent at once rather than after the requeue delay.
            delivery.forget_enqueued(ids[position:])
            raise


def send_back_deliverable(*, deliverable, note, by):
    """Send a deliverable back with the owner's note (milestones.deliverables) and email the note
    to the freelancer once the change is committed. Returns the email's Reminder, or None
    when there is nobody to email."""
    with transaction.atomic():
        notice = deliverables.send_back_deliverable(deliverable=deliverable, note=note, by=by)
        if notice is not None:
            # Robust: the decision is stored whatever the broker says. A message the broker
            # refused is forgotten (enqueue), so the next scan enqueues the row again.
            transaction.on_commit(lambda: enqueue([notice.pk]), robust=True)
    return notice


def retry(reminder):
    """Send a failed reminder again (the Retry button on the failed reminders page).
    Returns False when it was not failed (any more)."""
    return retry_failed(Reminder.objects.filter(pk=reminder.pk)) == 1


def retry_failed(reminders=None):
    """Send failed reminders, all of them unless given, again; returns how many."""
    with transaction.atomic():
        ids = delivery.reopen_failed(reminders)
        enqueue_after_commit(ids)
    return len(ids)


def scan_and_send(now=None):
    """The scan for cron, with no beat or worker (`manage.py send_reminders`): create the rows
    that are due and send them here, one by one and in the morning digests. Returns how
    many were sent one by one and how many failed for good."""
    now = now or timezone.now()
    # Without beat nobody else returns the claims a crashed run left behind.
    delivery.sweep(now)
    scan.scan(now)
    digest.send_digests(now)
    return delivery.deliver_pending()
