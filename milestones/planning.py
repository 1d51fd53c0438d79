"""Planning a project's check-ins from its dates, its cadence and its milestones.

Check-ins are planned up to a horizon (planning_horizon) and topped up daily as time
passes, and re-planned by reconciling rather than replacing, so links already emailed
keep working and nothing written in a check-in is lost.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from common.history import attribute
from milestones.models import CheckIn, Milestone
from projects.models import Project


def drop_future_checkins(project, *, by=None):
    """Delete the check-ins still ahead of a project that ends or leaves the lists, except
    those with something written in them. A blank one goes even if its link was emailed:
    the link closes with the project anyway (milestones.links.reachable_checkins)."""
    blank = CheckIn.objects.filter(project=project).upcoming().exclude(pk__in=CheckIn.objects.with_writing())
    _delete_checkins(blank, by=by)


def _delete_checkins(checkins, *, by):
    # One by one, so the history records each deletion and who caused it.
    for checkin in checkins:
        attribute(checkin, by, "No longer planned").delete()


def checkin_dates(*, start, due, every_days, extra=(), today, until=None):
    """Every N days from the start to the due date, plus the `extra` dates
    (the day before each milestone); only today and later, up to `until` (the
    planning horizon) when given, each date once."""
    first = max(today, start)
    last = due if until is None else min(due, until)
    # Counted from the first day still ahead rather than walked from the start, so a
    # project started long ago costs no more than one started today.
    steps = range(max(1, -(-(first - start).days // every_days)), (last - start).days // every_days + 1)
    dates = {start + datetime.timedelta(days=every_days * step) for step in steps}
    dates.update(d for d in extra if d >= first and (until is None or d <= until))
    return sorted(dates)


def checkin_time(day):
    """Check-ins are at 10:00 in the owner's time zone, stored in UTC."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def planning_horizon(today):
    """The last day check-ins are planned for. Beyond it nothing is planned yet, so one
    request plans a bounded number of rows however far away the due date is;
    top_up_checkins() plans the days that come inside as time passes."""
    return today + datetime.timedelta(days=settings.PLANNING_HORIZON_DAYS)


def _planned_slots(project, milestones, *, now):
    """The days inside the planning window that get a check-in, each with the milestone it
    comes the day before (or None): {day: milestone}. `milestones` are the project's."""
    today = timezone.localdate(now)
    day_before = {m.due_on - datetime.timedelta(days=1): m for m in milestones if m.is_open}
    dates = checkin_dates(
        start=project.start_on,
        due=project.due_on,
        every_days=project.checkin_every_days,
        extra=day_before,
        today=today,
        until=planning_horizon(today),
    )
    return {day: day_before.get(day) for day in dates if checkin_time(day) >= now}


@transaction.atomic
def plan_checkins(*, project, now=None, by=None):
    """(Re)plan the project's future check-ins from its dates and its milestones as saved,
    up to the planning horizon (see planning_horizon).

    It reconciles rather than replaces, so links already emailed keep opening their
    check-in and nothing written in one is lost: a check-in already on a planned day
    stays (same row); one before a milestone follows the milestone to its new date;
    one whose day is no longer planned moves to a free planned day less than one
    cadence away (the same touch point, shifted). What is left over is deleted only
    if blank and never emailed; a check-in holding writing or whose link went out stays
    on its day, since deleting it would lose the writing or turn the link into a 403.
    Held and past check-ins are never touched."""
    now = now or timezone.now()
    # Waits for a top-up planning the same project, so the two never plan one day twice.
    Project.objects.select_for_update().filter(pk=project.pk).exists()
    # From the database, not the caller's copy: a project read with its milestones
    # prefetched still holds them as they were before the edit that calls this.
    checkins = CheckIn.objects.filter(project=project)
    # A check-in already held early keeps its day: no second one is planned on it.
    held_days = {timezone.localdate(c.scheduled_for) for c in checkins.held().filter(scheduled_for__gte=now)}
    planned = _planned_slots(project, Milestone.objects.filter(project=project), now=now)
    slots = {day: milestone for day, milestone in planned.items() if day not in held_days}
    # Check-ins past the horizon by a cadence or more cannot take a planned day; those still
    # there from before the horizon existed go a bounded number at a time (_trim_beyond).
    edge = checkin_time(planning_horizon(timezone.localdate(now))) + datetime.timedelta(
        days=project.checkin_every_days
    )
    upcoming = checkins.upcoming(now).filter(scheduled_for__lt=edge)
    future = list(upcoming.select_related("milestone"))
    kept = set(upcoming.with_writing().values_list("pk", flat=True))
    kept |= set(upcoming.announced().values_list("pk", flat=True))
    placed = _fit_to_slots(future, slots, kept=kept, reach=project.checkin_every_days)

    for checkin in future:
        day = placed.get(checkin.pk)
        if day is None:
            continue
        moved = timezone.localdate(checkin.scheduled_for) != day
        if moved or checkin.milestone_id != getattr(slots[day], "pk", None):
            if moved:
                checkin.scheduled_for = checkin_time(day)
            checkin.milestone = slots[day]
            attribute(checkin, by, "Re-planned").save(update_fields=["scheduled_for", "milestone"])
    _delete_checkins([c for c in future if c.pk not in placed and c.pk not in kept], by=by)
    _trim_beyond([project], after=edge, by=by)
    taken = set(placed.values())
    CheckIn.objects.bulk_create(
        CheckIn(project=project, milestone=milestone, scheduled_for=checkin_time(day))
        for day, milestone in slots.items()
        if day not in taken
    )


TRIM_BATCH = 500


def _trim_beyond(projects, *, after, by=None):
    """Delete up to TRIM_BATCH blank, never emailed check-ins of `projects` planned for
    `after` or later, the nearest first. Only check-ins planned before there was a
    horizon are there: deleting them all at once could take minutes for a project
    planned day by day for a century, so each re-plan and each top-up takes a bounded
    share, well ahead of the horizon reaching the rest."""
    beyond = (
        CheckIn.objects.filter(project__in=projects, scheduled_for__gte=after)
        .planned()
        .exclude(pk__in=CheckIn.objects.with_writing())
        .exclude(pk__in=CheckIn.objects.announced())
        .order_by("scheduled_for", "pk")
    )
    _delete_checkins(beyond[:TRIM_BATCH], by=by)


def top_up_checkins(*, now=None, batch_size=50):
    """Plan the days that came inside the planning horizon since each active project was
    last planned; the periodic task calls this daily. Returns how many check-ins it planned.

    It only adds: a day that already has a check-in (held, written in or blank) keeps it
    as it is, so running it twice adds nothing, and nothing anyone wrote is moved; past the
    horizon it deletes blank check-ins planned before there was one (_trim_beyond). Every
    active project still ahead is looked at, not only those whose last check-in is near
    the horizon: one kept far ahead (it holds writing or its link went out) does not mean
    the days before it are planned. Projects go in batches of `batch_size`, each batch
    one transaction of a few queries, so no run holds many locks or rows at once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ahead = Project.objects.filter(
        Q(due_on__gte=today) | Exists(Milestone.objects.filter(project=OuterRef("pk"), due_on__gt=today)),
        status=Project.Status.ACTIVE,
        start_on__lte=planning_horizon(today),
    )
    planned, after = 0, 0
    while True:
        with transaction.atomic():
            # Locked like plan_checkins locks its project: an edit re-planning one of these waits.
            batch = list(ahead.filter(pk__gt=after).order_by("pk").select_for_update()[:batch_size])
            if not batch:
                return planned
            planned += _top_up(batch, now=now)
        after = batch[-1].pk


def _top_up(projects, *, now):
    today = timezone.localdate(now)
    until = planning_horizon(today)
    taken = {
        (project_id, timezone.localdate(scheduled_for))
        for project_id, scheduled_for in CheckIn.objects.filter(
            project__in=projects,
            scheduled_for__date__gte=today,
            scheduled_for__date__lte=until,
        ).values_list("project_id", "scheduled_for")
    }
    milestones = defaultdict(list)
    for milestone in Milestone.objects.filter(
        project__in=projects, due_on__gt=today, due_on__lte=until + datetime.timedelta(days=1)
    ):
        milestones[milestone.project_id].append(milestone)
    new = [
        CheckIn(project=project, milestone=milestone, scheduled_for=checkin_time(day))
        for project in projects
        for day, milestone in _planned_slots(project, milestones[project.pk], now=now).items()
        if (project.pk, day) not in taken
    ]
    CheckIn.objects.bulk_create(new, batch_size=1000)
    _trim_beyond(projects, after=checkin_time(until + datetime.timedelta(days=1)))
    return len(new)


def _fit_to_slots(checkins, slots, *, kept, reach):
    """Which planned day (a key of `slots`, day -> milestone or None) each existing check-in
    takes, as {check-in pk: day}; at most one check-in a day, some left without one.

    First a milestone's check-in takes the day before its milestone, wherever that moved;
    then a check-in already on a free planned day stays; then the closest pairs of a
    check-in and a free day less than `reach` days apart, one holding writing or a sent
    link first on a tie."""
    placed, free = {}, dict(slots)
    milestone_day = {milestone.pk: day for day, milestone in slots.items() if milestone is not None}

    def preference(checkin):
        on_its_day = timezone.localdate(checkin.scheduled_for) == milestone_day.get(checkin.milestone_id)
        return (not on_its_day, checkin.pk not in kept, checkin.scheduled_for, checkin.pk)

    for checkin in sorted(checkins, key=preference):
        day = milestone_day.get(checkin.milestone_id)
        if day in free:
            placed[checkin.pk] = day
            del free[day]
    for checkin in checkins:
        day = timezone.localdate(checkin.scheduled_for)
        if checkin.pk not in placed and day in free:
            placed[checkin.pk] = day
            del free[day]
    # Only check-ins less than `reach` from some free day can move; the others (say, far
    # beyond the horizon) are left out before pairing rather than paired with every day.
    near = []
    if free:
        span = datetime.timedelta(days=reach)
        lowest, highest = min(free) - span, max(free) + span
        near = [
            checkin
            for checkin in checkins
            if checkin.pk not in placed and lowest < timezone.localdate(checkin.scheduled_for) < highest
        ]
    pairs = sorted(
        (abs((day - timezone.localdate(checkin.scheduled_for)).days), checkin.pk not in kept, day, checkin.pk)
        for checkin in near
        for day in free
    )
    for distance, _, day, pk in pairs:
        if distance < reach and pk not in placed and day in free:
            placed[pk] = day
            del free[day]
    return placed
