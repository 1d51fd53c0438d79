"""The daily digest: an owner who chose it gets their reminders in one email each morning.

The digest of (owner, day) is "that owner's pending rows created up to the day's
digest time"; it needs no row or table of its own to be sent once, even with two
beats. Sending it claims those rows as milestones.delivery claims one reminder (pending →
sending, committed; a second scan finds none of them pending and passes that owner by),
sends the email outside any transaction, then marks the rows sent together. Rows that
become due after the digest time wait for the next morning's digest. A mail server
error counts an attempt on each row and puts them back to pending; the next scan tries
again, and after as many attempts as a single reminder gets the rows are failed and
can be retried one by one. The crash window is delivery's: claims a dead scan left
are returned to pending by its sweep, and that digest goes out again.
(SQLite has no row locks: there, as in development, run one beat.)
"""

import datetime
import logging

from django.conf import settings
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import transaction
from django.utils import timezone

from freelancers.models import AccessGrant
from milestones import emails
from milestones.delivery import SMTP_ERRORS, drop_orphans, mark_sent, release
from milestones.models import CheckIn, Milestone, Reminder
from projects.models import Project

logger = logging.getLogger(__name__)
State = Reminder.State


def digest_moment(now):
    """The latest digest time at or before `now`: REMINDER_DIGEST_HOUR o'clock, local time."""
    local = timezone.localtime(now)
    hour = settings.REMINDER_DIGEST_HOUR
    day = local.date() if local.hour >= hour else local.date() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def send_digests(now):
    """Send every digest that is due; returns how many reminders they listed."""
    moment = digest_moment(now)
    waiting = (
        Reminder.objects.filter(
            state=State.PENDING,
            created_at__lte=moment,
            user__reminder_preference__daily_digest=True,
        )
        .order_by("user_id", "recipient")
        .values_list("user_id", "recipient")
        .distinct()
    )
    return sum(send_digest(user_id, recipient, moment) for user_id, recipient in waiting)


def claim_digest(user_id, recipient, moment):
    """Claim the rows of one owner's digest, committed at once; returns their ids (none when
    another scan claimed them first)."""
    waiting = Reminder.objects.filter(
        user_id=user_id, recipient=recipient, state=State.PENDING, created_at__lte=moment
    )
    with transaction.atomic():
        # Locked for the two statements only: a second scan skips the rows rather than wait.
        ids = list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True))
        Reminder.objects.filter(pk__in=ids).update(state=State.SENDING, claimed_at=timezone.now())
    return ids


def send_digest(user_id, recipient, moment):
    """One owner's digest; returns how many reminders it listed (none when another scan is
    sending it or a mail server error stopped it)."""
    ids = claim_digest(user_id, recipient, moment)
    if not ids:
        return 0
    rows = (
        Reminder.objects.filter(pk__in=ids)
        .select_related("project", "user")
        .prefetch_related(GenericPrefetch("target", digest_targets()))
        .order_by("project__title", "project_id", "created_at", "pk")
    )
    rows = drop_orphans(list(rows))
    if not rows:
        return 0
    claimed = Reminder.objects.filter(pk__in=[row.pk for row in rows])
    try:
        emails.daily_digest(recipient, rows, day=timezone.localdate(moment)).send()
    except SMTP_ERRORS as error:
        logger.error("Daily digest to %s failed: %s", recipient, error)
        release(claimed, error, final=False)
        claimed.filter(state=State.PENDING, attempts__gt=settings.REMINDER_MAX_RETRIES).update(
            state=State.FAILED
        )
        return 0
    except Exception as error:
        release(claimed, error, final=True)
        raise
    mark_sent(claimed)
    return len(rows)


def digest_targets():
    """What the digest's lines read of each kind of subject, in one query per kind."""
    return [
        CheckIn.objects.select_related("milestone"),
        Milestone.objects.all(),
        Project.objects.select_related("freelancer"),
        AccessGrant.objects.select_related("freelancer"),
    ]
