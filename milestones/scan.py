"""The reminder scan: what is due now, derived from the database alone, as Reminder rows.

The scan (milestones.tasks runs it for Celery beat, `manage.py send_reminders` for
cron) inserts one Reminder row per reminder and ignores rows that exist already: the
unique constraint, not the broker, guarantees one email per reminder. Sending the
rows is milestones.delivery's work, and the owners' morning digests milestones.digest's.
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from common.policy import can_see_access_grants, can_see_money
from common.roles import OWNER
from freelancers.models import AccessGrant
from milestones.models import CheckIn, Milestone, Reminder, ReminderPreference
from projects import forecast, selectors
from projects.models import Project

logger = logging.getLogger(__name__)
Kind = Reminder.Kind

# Spent as a share of the budget that triggers an alert; 100 is entering the contingency.
BUDGET_THRESHOLDS = (75, 90, 100)
# Reminders only those the policy allows may read; the others go to anyone who may.
READ_CHECKS = {Kind.BUDGET_ALERT: can_see_money, Kind.ACCESS_TO_REVOKE: can_see_access_grants}


def read_check(kind, due_slot):
    """Whom the policy lets read a reminder (a check of common.policy), or None for anyone it
    is for. A forecast overrun's contingency crossing comes from the payments, so it is about
    money; its finish crossing is about the schedule."""
    if kind == Kind.FORECAST_OVERRUN:
        return can_see_money if due_slot.startswith(forecast.CONTINGENCY) else None
    return READ_CHECKS.get(kind)


def forecast_slot(crossing, project):
    """The due slot of a forecast crossing, with the date it is measured against: once per
    project and crossing, and again only if the due date (or leeway) moves."""
    if crossing == forecast.CONTINGENCY:
        return f"{forecast.CONTINGENCY} before {project.due_on.isoformat()}"
    return f"{forecast.FINISH} after {project.latest_acceptable_due_on.isoformat()}"


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
    """Who may read a reminder about money or access grants (common.policy decides),
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


def forecast_overruns(projects, today, readers):
    """Active projects forecast to cross a threshold (projects.forecast): to spend the
    contingency before the due date, told to whoever may read money as budget alerts are;
    or to finish beyond the due date plus leeway, told to the owner. One query, for the
    milestones of all of them."""
    active = [project for project in projects if project.status == Project.Status.ACTIVE]
    forecasts = selectors.forecasts(active, today)
    for project in active:
        for crossing in forecasts[project.pk].crossings:
            slot = forecast_slot(crossing, project)
            check = read_check(Kind.FORECAST_OVERRUN, slot)
            if check is None:
                yield owner_due(Kind.FORECAST_OVERRUN, project, project, slot)
            else:
                yield from readers.dues(check, Kind.FORECAST_OVERRUN, project, project, slot)


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
    # Spending comes summed by the database (with_health, with_spending), not from every payment loaded.
    in_progress = list(
        Project.objects.in_progress()
        .with_health(today)
        .with_spending(today)
        .select_related("owner", "freelancer")
    )
    readers = Readers()
    yield from checkins_coming_up(now)
    yield from checkins_missed(now)
    yield from milestones_due(today)
    yield from projects_gone_quiet(in_progress, today)
    yield from budget_alerts(in_progress, readers)
    yield from forecast_overruns(in_progress, today, readers)
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


def scan(now=None, *, dry_run=False):
    """Create the Reminder rows that are due now; returns the dues.

    A dry run writes nothing and returns only what is still to send (no row yet, or
    a pending one)."""
    now = now or timezone.now()
    dues = wanted(due_now(now))
    if dry_run:
        return not_sent(dues)
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
