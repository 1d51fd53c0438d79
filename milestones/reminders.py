"""Reminders: what is due, derived from the database alone, and its delivery.

The scan (run by Celery beat, or `manage.py send_reminders`) inserts one
Reminder row per reminder and ignores rows that exist already: the unique
constraint, not the broker, guarantees one email per reminder. After the
transaction commits it enqueues a send task per pending row, including rows
enqueued minutes ago whose message may have been lost with a broker or worker.
Delivery locks the row, returns if it was sent already, sends and marks it
sent in the same transaction.

An owner who chose the daily digest gets the same rows, but they are not
enqueued one by one: once a day the scan sends them in one email and marks them
sent together (see send_digests).
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from freelancers.models import AccessGrant
from milestones import emails
from milestones.models import CheckIn, Milestone, Reminder, ReminderPreference
from outsourcing.policy import can_see_access_grants, can_see_money
from outsourcing.roles import OWNER
from projects.models import Project

logger = logging.getLogger(__name__)
Kind = Reminder.Kind

# Spent as a share of the budget that triggers an alert; 100 is entering the contingency.
BUDGET_THRESHOLDS = (75, 90, 100)
# Reminders only those the policy allows may read; the others go to anyone who may.
READ_CHECKS = {Kind.BUDGET_ALERT: can_see_money, Kind.ACCESS_TO_REVOKE: can_see_access_grants}


@dataclass(frozen=True)
class Due:
    """One reminder the database says is due now."""

    kind: str
    target: object
    recipient: str
    due_slot: str
    project: Project | None
    user: object = None  # the owner, or None when it goes to the freelancer
    digest: bool = False  # waits for the owner's morning digest instead of going out alone


def owner_due(kind, target, project, due_slot):
    return Due(kind, target, project.owner.email, due_slot, project, user=project.owner)


class Readers:
    """Who may read a reminder about money or access grants (outsourcing.policy decides),
    each user asked once per scan, and the Owner role fetched once, when first needed."""

    def __init__(self):
        self.answers = {}
        self._owners = None

    def allowed(self, check, user):
        key = (check, user.pk)
        if key not in self.answers:
            self.answers[key] = check(user)
        return self.answers[key]

    def owners(self):
        if self._owners is None:
            self._owners = list(owner_role_users())
        return self._owners

    def dues(self, check, kind, target, project, due_slot):
        """To the project's owner when they may read it, otherwise to everyone in the
        Owner role who may: an Assistant who created a project is its owner, but hears
        nothing from the scan about its spending or the access given for it."""
        if project is not None and self.allowed(check, project.owner):
            yield owner_due(kind, target, project, due_slot)
            return
        for owner in self.owners():
            if owner.email and self.allowed(check, owner):
                yield Due(kind, target, owner.email, due_slot, project, user=owner)


def checkins_coming_up(now):
    lead = datetime.timedelta(hours=settings.REMINDER_LEAD_HOURS)
    checkins = current_checkins().filter(scheduled_for__gte=now, scheduled_for__lt=now + lead)
    for checkin in checkins.select_related("project__owner", "project__freelancer", "milestone"):
        slot = checkin.scheduled_for.isoformat()
        yield owner_due(Kind.CHECKIN_UPCOMING, checkin, checkin.project, slot)
        freelancer = checkin.project.freelancer
        if freelancer is not None:
            # Without an address this one is skipped, and said so, by triage().
            yield Due(Kind.CHECKIN_UPCOMING, checkin, freelancer.email, slot, checkin.project)


def current_checkins():
    """Planned check-ins of projects in progress: a completed or cancelled project's
    leftover check-ins and milestones are no longer anybody's to-do."""
    return CheckIn.objects.planned().filter(project__in=Project.objects.in_progress())


def checkins_missed(now):
    # A week back at most: older misses were reminded of when they happened.
    window = now - datetime.timedelta(days=7)
    checkins = current_checkins().filter(scheduled_for__lt=now, scheduled_for__gte=window)
    for checkin in checkins.select_related("project__owner"):
        yield owner_due(Kind.CHECKIN_MISSED, checkin, checkin.project, checkin.scheduled_for.isoformat())


def milestones_due(today):
    soon = today + datetime.timedelta(days=settings.MILESTONE_DUE_SOON_DAYS)
    open_milestones = Milestone.objects.filter(project__in=Project.objects.in_progress()).exclude(
        status__in=[Milestone.Status.APPROVED, Milestone.Status.CANCELLED]
    )
    for milestone in open_milestones.filter(due_on__lte=soon).select_related("project__owner"):
        kind = Kind.MILESTONE_OVERDUE if milestone.due_on < today else Kind.MILESTONE_DUE_SOON
        yield owner_due(kind, milestone, milestone.project, milestone.due_on.isoformat())


def projects_gone_quiet(projects, today):
    """Active projects with no check-in held for longer than their cadence plus a grace period."""
    grace = datetime.timedelta(days=settings.GONE_QUIET_GRACE_DAYS)
    # The latest held check-in of each project, one entry of checkin_last_held_idx each.
    latest = CheckIn.objects.held().filter(project=OuterRef("pk")).order_by("-held_on").values("held_on")[:1]
    in_scan = Project.objects.filter(pk__in=[project.pk for project in projects])
    last_held = dict(in_scan.values_list("pk", Subquery(latest)))
    for project in projects:
        if project.status != Project.Status.ACTIVE:
            continue
        since = last_held.get(project.pk) or project.start_on
        if today - since > datetime.timedelta(days=project.checkin_every_days) + grace:
            yield owner_due(Kind.GONE_QUIET, project, project, f"since {since.isoformat()}")


def budget_alerts(projects, readers):
    for project in projects:
        if not project.budget:
            continue
        used = project.spent * 100 / project.budget
        slots = [f"{threshold}%" for threshold in BUDGET_THRESHOLDS if used >= threshold]
        if project.spent > project.budget_with_contingency:
            slots.append("contingency exhausted")
        for slot in slots:
            yield from readers.dues(can_see_money, Kind.BUDGET_ALERT, project, project, slot)


def access_to_revoke(today, readers):
    """Open grants past revoke-by, or whose project has ended; repeated weekly until revoked."""
    year, week, _ = today.isocalendar()
    ended = [Project.Status.COMPLETED, Project.Status.CANCELLED]
    grants = AccessGrant.objects.open().filter(revoke_by__lt=today) | AccessGrant.objects.open().filter(
        project__status__in=ended
    )
    slot = f"{year}-W{week:02d}"
    readers.owners()  # fetched whether or not a grant needs them: the scan's queries stay the same
    for grant in grants.select_related("project__owner", "freelancer"):
        # Access given outside any project concerns everyone in the Owner role.
        yield from readers.dues(can_see_access_grants, Kind.ACCESS_TO_REVOKE, grant, grant.project, slot)


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
    # Spending comes summed by the database (with_health), not from every payment loaded.
    in_progress = list(Project.objects.in_progress().with_health(today).select_related("owner", "freelancer"))
    readers = Readers()
    yield from checkins_coming_up(now)
    yield from checkins_missed(now)
    yield from milestones_due(today)
    yield from projects_gone_quiet(in_progress, today)
    yield from budget_alerts(in_progress, readers)
    yield from access_to_revoke(today, readers)
    yield from reviews_owed(today)


def deciding_user_id(due):
    """Whose preferences apply: the owner it goes to, or for a freelancer's copy, the project's owner."""
    return due.user.pk if due.user else due.project.owner_id


def triage(dues):
    """Split the dues into those to send and those nobody can receive (no email address).
    What is muted on its project or switched off by its owner is dropped from both."""
    dues = [
        due
        for due in dues
        if due.project is None or not (due.project.reminders_muted or due.project.archived_at)
    ]
    preferences = {
        p.user_id: p
        for p in ReminderPreference.objects.filter(user_id__in={deciding_user_id(d) for d in dues})
    }
    kept, skipped = [], []
    for due in dues:
        preference = preferences.get(deciding_user_id(due))
        if preference and not preference.wants(due.kind):
            continue
        if not due.recipient:
            skipped.append(due)
        elif due.user is not None and preference and preference.daily_digest:
            # Only the owner's own copy waits for their digest; a freelancer's goes out alone.
            kept.append(dataclasses.replace(due, digest=True))
        else:
            kept.append(due)
    return kept, skipped


def wanted(dues):
    """The dues to send; those nobody can receive are logged and left out."""
    kept, skipped = triage(dues)
    for due in skipped:
        logger.warning("Reminder skipped: %s", describe(due))
    return kept


def person_name(user):
    return user.get_full_name() or user.get_username()


def addressee(due):
    """Who a reminder is for, by name: the owner, or the project's freelancer."""
    return person_name(due.user) if due.user is not None else due.project.freelancer.name


def describe(due):
    """One line about a due reminder, for logs and the send_reminders command."""
    about = f"“{due.project.title}”" if due.project else "no project"
    to = due.recipient or f"{addressee(due)}, who has no email address,"
    return f"{due.kind} to {to} about {about}, slot {due.due_slot}"


def unreachable(project):
    """Who this project's reminders cannot reach for want of an email address, by name."""
    names = []
    if not project.owner.email:
        names.append(f"{person_name(project.owner)} (the owner)")
    if project.freelancer is not None and not project.freelancer.email:
        names.append(f"{project.freelancer.name} (the freelancer)")
    return names


def scan(now=None, *, dry_run=False, enqueue=True):
    """Create the Reminder rows that are due, enqueue their delivery and send the morning
    digests that are due. Returns the dues.

    A dry run writes and sends nothing and returns only what is still to send (no row
    yet, or a pending one). Without `enqueue` pending rows are left for deliver_pending(),
    for cron users who run no worker."""
    now = now or timezone.now()
    dues = wanted(due_now(now))
    if dry_run:
        return not_sent(dues)
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
        if enqueue:
            enqueue_pending(now)
    send_digests(now)
    return dues


def row_key(due):
    """The due's values of the fields the Reminder table is unique on."""
    target_type = ContentType.objects.get_for_model(due.target)
    return (due.kind, target_type.pk, due.target.pk, due.recipient, due.due_slot)


def not_sent(dues):
    """The dues with no Reminder row yet, or a pending one."""
    if not dues:
        return []
    done = set(
        Reminder.objects.exclude(state=Reminder.State.PENDING)
        .filter(target_id__in={due.target.pk for due in dues})
        .values_list("kind", "target_type", "target_id", "recipient", "due_slot")
    )
    return [due for due in dues if row_key(due) not in done]


def sent_alone(reminders):
    """Leave out the rows that wait for their owner's daily digest (a freelancer's never do)."""
    digest_users = ReminderPreference.objects.filter(daily_digest=True).values("user_id")
    return reminders.exclude(user_id__in=digest_users)


def enqueue_pending(now):
    """Enqueue every pending row not enqueued recently (new ones, and ones whose message was lost)."""
    stale = now - datetime.timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES)
    pending = sent_alone(Reminder.objects.filter(state=Reminder.State.PENDING)).exclude(
        enqueued_at__gte=stale
    )
    ids = list(pending.values_list("pk", flat=True))
    if not ids:
        return
    Reminder.objects.filter(pk__in=ids).update(enqueued_at=now)
    transaction.on_commit(lambda: send_all(ids))


def send_all(ids):
    from milestones.tasks import send_reminder

    for position, reminder_id in enumerate(ids):
        try:
            send_reminder.delay(reminder_id)
        except Exception:
            # The broker is down: the scan fails loudly, and the next one enqueues
            # what was not sent at once rather than after the requeue delay.
            Reminder.objects.filter(pk__in=ids[position:]).update(enqueued_at=None)
            raise


def smtp_errors():
    # The tasks module says what a mail server that is down or refusing raises; it imports this one.
    from milestones.tasks import SMTP_ERRORS

    return SMTP_ERRORS


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
        if reminder is None or not drop_orphans([reminder]):
            return False
        emails.reminder(reminder).send()
        reminder.state = Reminder.State.SENT
        reminder.sent_at = timezone.now()
        reminder.attempts += 1
        reminder.save(update_fields=["state", "sent_at", "attempts"])
    return True


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
        check = READ_CHECKS.get(reminder.kind)
        return check is None or readers.allowed(check, reminder.user)
    freelancer = reminder.project.freelancer if reminder.project else None
    return freelancer is not None and freelancer.email.lower() == reminder.recipient.lower()


def deliver_pending():
    """Deliver every pending reminder here and now, one by one, for cron users without a
    worker. A mail server error counts as an attempt; once there were as many as the
    worker would make, the reminder is failed. Returns how many were sent and failed."""
    pending = sent_alone(Reminder.objects.filter(state=Reminder.State.PENDING))
    sent = failed = 0
    for reminder_id in pending.order_by("created_at", "pk").values_list("pk", flat=True):
        try:
            sent += deliver(reminder_id)
        except smtp_errors() as error:
            attempts = Reminder.objects.values_list("attempts", flat=True).get(pk=reminder_id)
            final = attempts >= settings.REMINDER_MAX_RETRIES
            record_failure(reminder_id, error, final=final)
            failed += final
    return sent, failed


def record_failure(reminder_id, error, *, final):
    """Count a failed attempt; after the last one the reminder is failed and shows on the dashboard."""
    reminder = Reminder.objects.get(pk=reminder_id)
    reminder.attempts += 1
    reminder.last_error = error_text(error)
    if final:
        reminder.state = Reminder.State.FAILED
    reminder.save(update_fields=["attempts", "last_error", "state"])


def error_text(error):
    return f"{error.__class__.__name__}: {error}"[:2000]


def retry(reminder):
    """Put a failed reminder back in the queue (the Retry button on the failed reminders page).
    Returns False when it was not failed (any more)."""
    return retry_failed(Reminder.objects.filter(pk=reminder.pk)) == 1


def retry_failed(reminders=None):
    """Put failed reminders, all of them unless given, back in the queue; returns how many.
    A retried reminder goes out on its own, even to an owner who chose the digest."""
    failed = (Reminder.objects.all() if reminders is None else reminders).filter(state=Reminder.State.FAILED)
    with transaction.atomic():
        ids = list(failed.values_list("pk", flat=True))
        if ids:
            Reminder.objects.filter(pk__in=ids).update(
                state=Reminder.State.PENDING, enqueued_at=timezone.now(), last_error=""
            )
            transaction.on_commit(lambda: send_all(ids))
    return len(ids)


# The daily digest.
#
# Why it needs no row or table of its own to be sent once, even with two beats:
# the digest of (owner, day) is "that owner's pending rows created up to the day's
# digest time". Sending it locks the owner's ReminderPreference row with
# skip_locked (a second scan passes that owner by instead of waiting), then the
# rows, and marks the rows sent in the same transaction, so a later scan finds
# none of them pending. Rows that become due after the digest time wait for the
# next morning's digest. A mail server error rolls nothing back but counts an
# attempt on each row; the next scan tries again, and after as many attempts as
# a single reminder gets the rows are failed and can be retried one by one.
# (SQLite has no row locks: there, as in development, run one beat.)


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
            state=Reminder.State.PENDING,
            created_at__lte=moment,
            user__reminder_preference__daily_digest=True,
        )
        .order_by("user_id", "recipient")
        .values_list("user_id", "recipient")
        .distinct()
    )
    return sum(send_digest(user_id, recipient, moment) for user_id, recipient in waiting)


def send_digest(user_id, recipient, moment):
    """One owner's digest, in one transaction; returns how many reminders it listed
    (none when another scan is sending it or a mail server error stopped it)."""
    with transaction.atomic():
        owner_is_free = (
            ReminderPreference.objects.select_for_update(skip_locked=True)
            .filter(user_id=user_id, daily_digest=True)
            .first()
        )
        if owner_is_free is None:
            return 0
        rows = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                user_id=user_id, recipient=recipient, state=Reminder.State.PENDING, created_at__lte=moment
            )
            .select_related("project", "user")
            .prefetch_related(GenericPrefetch("target", digest_targets()))
            .order_by("project__title", "project_id", "created_at", "pk")
        )
        rows = drop_orphans(list(rows))
        if not rows:
            return 0
        ids = [row.pk for row in rows]
        try:
            emails.daily_digest(recipient, rows, day=timezone.localdate(moment)).send()
        except smtp_errors() as error:
            logger.error("Daily digest to %s failed: %s", recipient, error)
            Reminder.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, last_error=error_text(error)
            )
            Reminder.objects.filter(pk__in=ids, attempts__gt=settings.REMINDER_MAX_RETRIES).update(
                state=Reminder.State.FAILED
            )
            return 0
        Reminder.objects.filter(pk__in=ids).update(
            state=Reminder.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
    return len(rows)


def digest_targets():
    """What the digest's lines read of each kind of subject, in one query per kind."""
    return [
        CheckIn.objects.select_related("milestone"),
        Milestone.objects.all(),
        Project.objects.select_related("freelancer"),
        AccessGrant.objects.select_related("freelancer"),
    ]
