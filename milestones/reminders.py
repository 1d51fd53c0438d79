"""Reminders: what is due, derived from the database alone, and its delivery.

The scan (run by Celery beat, or `manage.py send_reminders`) inserts one
Reminder row per reminder and ignores rows that exist already: the unique
constraint, not the broker, guarantees one email per reminder. After the
transaction commits it enqueues a send task per pending row, including rows
enqueued minutes ago whose message may have been lost with a broker or worker.
Delivery locks the row, returns if it was sent already, sends and marks it
sent in the same transaction.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from freelancers.models import AccessGrant
from milestones import emails
from milestones.models import CheckIn, Milestone, Reminder, ReminderPreference
from outsourcing.roles import OWNER
from projects.models import Project

logger = logging.getLogger(__name__)
Kind = Reminder.Kind

# Spent as a share of the budget that triggers an alert; 100 is entering the contingency.
BUDGET_THRESHOLDS = (75, 90, 100)


@dataclass(frozen=True)
class Due:
    """One reminder the database says is due now."""

    kind: str
    target: object
    recipient: str
    due_slot: str
    project: Project | None
    user: object = None  # the owner, or None when it goes to the freelancer


def owner_due(kind, target, project, due_slot):
    return Due(kind, target, project.owner.email, due_slot, project, user=project.owner)


def checkins_coming_up(now):
    lead = datetime.timedelta(hours=settings.REMINDER_LEAD_HOURS)
    checkins = CheckIn.objects.planned().filter(scheduled_for__gte=now, scheduled_for__lt=now + lead)
    for checkin in checkins.select_related("project__owner", "project__freelancer", "milestone"):
        slot = checkin.scheduled_for.isoformat()
        yield owner_due(Kind.CHECKIN_UPCOMING, checkin, checkin.project, slot)
        freelancer = checkin.project.freelancer
        if freelancer is not None and freelancer.email:
            yield Due(Kind.CHECKIN_UPCOMING, checkin, freelancer.email, slot, checkin.project)


def checkins_missed(now):
    # A week back at most: older misses were reminded of when they happened.
    window = now - datetime.timedelta(days=7)
    checkins = CheckIn.objects.planned().filter(scheduled_for__lt=now, scheduled_for__gte=window)
    for checkin in checkins.select_related("project__owner"):
        yield owner_due(Kind.CHECKIN_MISSED, checkin, checkin.project, checkin.scheduled_for.isoformat())


def milestones_due(today):
    soon = today + datetime.timedelta(days=settings.MILESTONE_DUE_SOON_DAYS)
    open_milestones = Milestone.objects.exclude(
        status__in=[Milestone.Status.APPROVED, Milestone.Status.CANCELLED]
    )
    for milestone in open_milestones.filter(due_on__lte=soon).select_related("project__owner"):
        kind = Kind.MILESTONE_OVERDUE if milestone.due_on < today else Kind.MILESTONE_DUE_SOON
        yield owner_due(kind, milestone, milestone.project, milestone.due_on.isoformat())


def projects_gone_quiet(projects, today):
    """Active projects with no check-in held for longer than their cadence plus a grace period."""
    grace = datetime.timedelta(days=settings.GONE_QUIET_GRACE_DAYS)
    last_held = dict(
        CheckIn.objects.held()
        .filter(project__in=projects)
        .values_list("project")
        .annotate(last=Max("held_on"))
    )
    for project in projects:
        if project.status != Project.Status.ACTIVE:
            continue
        since = last_held.get(project.pk) or project.start_on
        if today - since > datetime.timedelta(days=project.checkin_every_days) + grace:
            yield owner_due(Kind.GONE_QUIET, project, project, f"since {since.isoformat()}")


def budget_alerts(projects):
    for project in projects:
        if not project.budget:
            continue
        used = project.spent * 100 / project.budget
        for threshold in BUDGET_THRESHOLDS:
            if used >= threshold:
                yield owner_due(Kind.BUDGET_ALERT, project, project, f"{threshold}%")
        if project.spent > project.budget_with_contingency:
            yield owner_due(Kind.BUDGET_ALERT, project, project, "contingency exhausted")


def access_to_revoke(today):
    """Open grants past revoke-by, or whose project has ended; repeated weekly until revoked."""
    year, week, _ = today.isocalendar()
    ended = [Project.Status.COMPLETED, Project.Status.CANCELLED]
    grants = AccessGrant.objects.open().filter(revoke_by__lt=today) | AccessGrant.objects.open().filter(
        project__status__in=ended
    )
    slot = f"{year}-W{week:02d}"
    owners = list(owner_role_users())
    for grant in grants.select_related("project__owner", "freelancer"):
        if grant.project is not None:
            yield owner_due(Kind.ACCESS_TO_REVOKE, grant, grant.project, slot)
        else:
            # Access given outside any project concerns everyone in the Owner role.
            for owner in owners:
                yield Due(Kind.ACCESS_TO_REVOKE, grant, owner.email, slot, None, user=owner)


def owner_role_users():
    return get_user_model().objects.filter(groups__name=OWNER, is_active=True).distinct()


def reviews_owed(today):
    cutoff = today - datetime.timedelta(days=settings.REVIEW_OWED_AFTER_DAYS)
    for project in Project.objects.reviews_owed().filter(completed_on__lte=cutoff).select_related("owner"):
        yield owner_due(Kind.REVIEW_OWED, project, project, "once")


def due_now(now=None):
    """Everything due now, before preferences and mutes are applied."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    in_progress = list(Project.objects.in_progress().with_details().select_related("owner"))
    yield from checkins_coming_up(now)
    yield from checkins_missed(now)
    yield from milestones_due(today)
    yield from projects_gone_quiet(in_progress, today)
    yield from budget_alerts(in_progress)
    yield from access_to_revoke(today)
    yield from reviews_owed(today)


def deciding_user_id(due):
    """Whose preferences apply: the owner it goes to, or for a freelancer's copy, the project's owner."""
    return due.user.pk if due.user else due.project.owner_id


def wanted(dues):
    """Drop what is muted on the project or switched off by its owner, and what has nobody to go to."""
    dues = [
        due
        for due in dues
        if due.project is None or not (due.project.reminders_muted or due.project.archived_at)
    ]
    preferences = {
        p.user_id: p
        for p in ReminderPreference.objects.filter(user_id__in={deciding_user_id(d) for d in dues})
    }
    kept = []
    for due in dues:
        preference = preferences.get(deciding_user_id(due))
        if preference and not preference.wants(due.kind):
            continue
        if not due.recipient:
            logger.warning("No email address for a %s reminder about %r", due.kind, due.target)
            continue
        kept.append(due)
    return kept


def scan(now=None, *, dry_run=False):
    """Create the Reminder rows that are due and enqueue their delivery. Returns the dues."""
    now = now or timezone.now()
    dues = wanted(due_now(now))
    if dry_run:
        return dues
    with transaction.atomic():
        Reminder.objects.bulk_create(
            [
                Reminder(
                    kind=due.kind,
                    target_type=ContentType.objects.get_for_model(due.target),
                    target_id=due.target.pk,
                    recipient=due.recipient,
                    due_slot=due.due_slot,
                    project=due.project,
                    user=due.user,
                    created_at=now,
                )
                for due in dues
            ],
            ignore_conflicts=True,
        )
        enqueue_pending(now)
    return dues


def enqueue_pending(now):
    """Enqueue every pending row not enqueued recently (new ones, and ones whose message was lost)."""
    stale = now - datetime.timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES)
    pending = Reminder.objects.filter(state=Reminder.State.PENDING).exclude(enqueued_at__gte=stale)
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
    transaction.on_commit(lambda: send_all(ids))


def send_all(ids):
    from milestones.tasks import send_reminder

    for reminder_id in ids:
        send_reminder.delay(reminder_id)


def deliver(reminder_id):
    """Send one reminder unless it is sent already or another worker holds it.

    The row stays locked while the email goes out and is marked sent in the same
    transaction: a second worker skips it, a sent one is never sent again."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(pk=reminder_id, state=Reminder.State.PENDING)
            .first()
        )
        if reminder is None:
            return False
        emails.reminder(reminder).send()
        reminder.state = Reminder.State.SENT
        reminder.sent_at = timezone.now()
        reminder.attempts += 1
        reminder.save(update_fields=["state", "sent_at", "attempts"])
    return True


def record_failure(reminder_id, error, *, final):
    """Count a failed attempt; after the last one the reminder is failed and shows on the dashboard."""
    reminder = Reminder.objects.get(pk=reminder_id)
    reminder.attempts += 1
    reminder.last_error = f"{error.__class__.__name__}: {error}"[:2000]
    if final:
        reminder.state = Reminder.State.FAILED
    reminder.save(update_fields=["attempts", "last_error", "state"])


def retry(reminder):
    """Put a failed reminder back in the queue (the retry button on the failed reminders page)."""
    with transaction.atomic():
        Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.FAILED).update(
            state=Reminder.State.PENDING, enqueued_at=timezone.now(), last_error=""
        )
        transaction.on_commit(lambda: send_all([reminder.pk]))
