"""Celery tasks: thin, they take an id (or nothing) and call a service."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from milestones import reminders
from projects import services as project_services

logger = logging.getLogger(__name__)

# What a mail server that is down or refusing raises.
SMTP_ERRORS = (smtplib.SMTPException, OSError)


@shared_task
def scan_reminders():
    dues = reminders.scan()
    logger.info("Reminder scan: %d due", len(dues))


@shared_task(bind=True)
def send_reminder(self, reminder_id):
    """Deliver one reminder; SMTP errors retry with exponential backoff, then mark it failed."""
    try:
        reminders.deliver(reminder_id)
    except SMTP_ERRORS as error:
        retries = self.request.retries
        final = retries >= settings.REMINDER_MAX_RETRIES
        reminders.record_failure(reminder_id, error, final=final)
        if final:
            logger.error("Reminder %s failed after %d attempts: %s", reminder_id, retries + 1, error)
            return
        countdown = min(
            settings.REMINDER_RETRY_BASE_SECONDS * 2**retries, settings.REMINDER_RETRY_MAX_SECONDS
        )
        raise self.retry(exc=error, countdown=countdown, max_retries=settings.REMINDER_MAX_RETRIES) from error
    except Exception as error:
        # Anything else will not get better by retrying: fail it where staff see it and can retry.
        logger.exception("Reminder %s failed", reminder_id)
        reminders.record_failure(reminder_id, error, final=True)


@shared_task
def top_up_checkins():
    planned = project_services.top_up_checkins()
    logger.info("Check-in top-up: %d planned", planned)
