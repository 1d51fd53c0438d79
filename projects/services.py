"""Writes to projects that follow business rules, each in one transaction.

Views, admin actions and commands call these; each refuses with a
ValidationError in plain words, keyed by the form field it concerns.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from common.money import format_money
from common.policy import can_see_money
from freelancers import services as freelancer_services
from milestones.models import CheckIn, Milestone
from projects.models import Assignment, Backup, Payment, Project, Review


def _by(instance, user, reason=""):
    # django-simple-history records who made the change and, when given, why.
    instance._history_user = user
    if reason:
        instance._change_reason = reason[:100]
    return instance


def trial_budget_limit():
    return Decimal(str(settings.TRIAL_BUDGET_LIMIT))


def trust_problem(*, freelancer, budget, currency, by=None):
    """Why this freelancer should not get a project of this size yet, or None. The limit is
    named in money only to `by` if they may see money (common.policy)."""
    if freelancer is None or budget is None or freelancer.trial_done:
        return None
    limit = trial_budget_limit()
    if budget <= limit:
        return None
    above = f"the trial limit of {format_money(limit, currency)}" if can_see_money(by) else "the trial limit"
    return (
        f"{freelancer.name} has no finished trial project, and this budget is above {above}. "
        "Start with a small trial job, or tick the override and say why."
    )


def hiring_problem(freelancer):
    """Why this freelancer may not be put on any project, or None."""
    if freelancer is not None and freelancer.do_not_hire:
        return f"{freelancer.name} is marked do-not-hire: {freelancer.do_not_hire_reason}"
    return None


def check_assignment(*, project, freelancer, override_reason, by=None):
    """Refuse a do-not-hire freelancer; refuse an untested one on a big budget unless overridden."""
    problem = hiring_problem(freelancer)
    if problem:
        raise ValidationError({"freelancer": problem})
    problem = trust_problem(freelancer=freelancer, budget=project.budget, currency=project.currency, by=by)
    if problem and not override_reason.strip():
        raise ValidationError({"freelancer": problem})
    return bool(problem)


def _start_assignment(*, project, freelancer, override_reason, by):
    overridden = check_assignment(
        project=project, freelancer=freelancer, override_reason=override_reason, by=by
    )
    project.freelancer = freelancer
    # An override belongs to the freelancer it was given for.
    project.trust_override_reason = override_reason.strip() if overridden else ""
    project.trust_override_by = by if overridden else None
    _by(Assignment(project=project, freelancer=freelancer, started_on=timezone.localdate()), by).save()


@transaction.atomic
def create_project(*, project, milestones=(), skills=None, by, override_reason="", confirm_over_budget=False):
    """Save a new project, its milestones and, if it has one, its freelancer's assignment."""
    freelancer = project.freelancer
    project.owner = project.owner if project.owner_id else by
    project.full_clean()
    if freelancer:
        check_assignment(project=project, freelancer=freelancer, override_reason=override_reason, by=by)
    _check_milestones(project=project, milestones=milestones, confirm_over_budget=confirm_over_budget, by=by)
    _by(project, by).save()
    if skills is not None:
        project.skills.set(skills)
    for milestone in milestones:
        milestone.project = project
        _by(milestone, by).save()
    if freelancer:
        _start_assignment(project=project, freelancer=freelancer, override_reason=override_reason, by=by)
        project.save()
    if project.status == Project.Status.ACTIVE:
        plan_checkins(project=project, by=by)
    return project


@transaction.atomic
def update_project(
    *, project, by, milestones=(), removed=(), skills=None, override_reason="", confirm_over_budget=False
):
    """Save edits and milestone changes; a new freelancer goes through the same checks,
    the milestones as they will be keep the plan's rules (check_plan), and new dates,
    cadence or milestones re-plan the future check-ins."""
    stored = Project.objects.select_for_update().get(pk=project.pk)
    project.full_clean()
    _check_milestones(
        project=project,
        milestones=milestones,
        removed=removed,
        confirm_over_budget=confirm_over_budget,
        by=by,
    )
    if project.freelancer_id != stored.freelancer_id and project.freelancer:
        _end_current_assignment(project=project, reason="Changed on the project form", by=by)
        _start_assignment(
            project=project, freelancer=project.freelancer, override_reason=override_reason, by=by
        )
    elif (
        project.freelancer
        and project.budget != stored.budget
        and check_assignment(
            project=project, freelancer=project.freelancer, override_reason=override_reason, by=by
        )
    ):
        # A bigger budget for the same untested freelancer needs the same override.
        project.trust_override_reason = override_reason.strip()
        project.trust_override_by = by
    _by(project, by).save()
    if skills is not None:
        project.skills.set(skills)
    for milestone in removed:
        _remove_milestone(milestone, by=by)
    for milestone in milestones:
        milestone.project = project
        _by(milestone, by).save()
    schedule = ("start_on", "due_on", "checkin_every_days", "status")
    schedule_changed = any(getattr(stored, name) != getattr(project, name) for name in schedule)
    if project.status == Project.Status.ACTIVE and (schedule_changed or milestones or removed):
        plan_checkins(project=project, by=by)
    return project


def plan_after(*, project, milestones=(), removed=()):
    """The project's milestones as they will be: those stored, with `milestones` (new or
    edited copies) in place of their stored rows and `removed` left out."""
    edited = {milestone.pk: milestone for milestone in milestones if milestone.pk}
    gone = {milestone.pk for milestone in removed}
    stored = Milestone.objects.filter(project=project).exclude(pk__in=gone) if project.pk else []
    kept = [edited.pop(milestone.pk, milestone) for milestone in stored]
    return kept + [milestone for milestone in milestones if milestone.pk is None or milestone.pk in edited]


def check_plan(*, project, milestones, confirm_over_budget=False, by):
    """The rules a project's milestones keep together, for `project` with its new values and
    `milestones`, all of them as they will be (see plan_after). Raises a ValidationError
    keyed by the project form's fields; the project form, the admin and the services ask here.

    A milestone's own due date is checked by the milestone (Milestone.clean_fields); here,
    those left as they were must still fit when the project's dates move. Milestones that
    add up to more than the budget plus contingency need `confirm_over_budget` when the
    change raises their total or lowers that limit.
    """
    stored = Project.objects.filter(pk=project.pk).first() if project.pk else None
    before = {m.pk: m for m in Milestone.objects.filter(project=stored)} if stored else {}
    errors = {}
    dates = ("due_on", "schedule_buffer_days")
    if stored and any(getattr(stored, name) != getattr(project, name) for name in dates):
        latest = project.latest_acceptable_due_on
        errors["due_on"] = [
            f"“{milestone.title}” is due {milestone.due_on:%d %b %Y}, after this date plus the leeway "
            f"({latest:%d %b %Y}). Move the milestone first."
            for milestone in milestones
            if milestone.pk in before
            and before[milestone.pk].due_on == milestone.due_on
            and project.milestone_due_problem(milestone.due_on)
        ]
    total, limit = _committed(milestones), project.budget_with_contingency
    raised = stored is None or total > _committed(before.values()) or limit < stored.budget_with_contingency
    if total > limit and raised and not confirm_over_budget:
        if can_see_money(by):
            over = (
                f"The milestones add up to {format_money(total, project.currency)}, more than the budget "
                f"plus contingency ({format_money(limit, project.currency)})."
            )
        else:
            over = "The milestones add up to more than the budget plus contingency."
        errors["confirm_over_budget"] = f"{over} Tick this box to save anyway."
    errors = {field: problems for field, problems in errors.items() if problems}
    if errors:
        raise ValidationError(errors)


def _committed(milestones):
    return sum((m.amount or 0 for m in milestones if m.status != Milestone.Status.CANCELLED), Decimal(0))


def _check_milestones(*, project, milestones, removed=(), confirm_over_budget, by):
    """Each new or edited milestone is valid on its own, then the plan as it will be."""
    problems = []
    for milestone in milestones:
        milestone.project = project
        try:
            # The project itself is validated by the caller, and may not be saved yet.
            milestone.full_clean(exclude=["project"])
        except ValidationError as error:
            named = (
                f"“{milestone.title}” (due {milestone.due_on:%d %b %Y})"
                if milestone.due_on
                else f"“{milestone.title}”"
            )
            problems.extend(f"{named}: {message}" for message in error.messages)
    if problems:
        raise ValidationError({"milestones": problems})
    check_plan(
        project=project,
        milestones=plan_after(project=project, milestones=milestones, removed=removed),
        confirm_over_budget=confirm_over_budget,
        by=by,
    )


@transaction.atomic
def save_milestones(*, project, by, milestones=(), removed=(), confirm_over_budget=False):
    """Save new and edited milestones of a saved project and delete `removed`, after the same
    checks as update_project; the check-ins of an active project follow them (re-planned),
    and so do those of a project a milestone moved away from."""
    Project.objects.select_for_update().get(pk=project.pk)
    left = Project.objects.filter(
        pk__in=Milestone.objects.filter(pk__in=[m.pk for m in milestones if m.pk]).values("project")
    ).exclude(pk=project.pk)
    left = list(left)
    _check_milestones(
        project=project,
        milestones=milestones,
        removed=removed,
        confirm_over_budget=confirm_over_budget,
        by=by,
    )
    for milestone in removed:
        _remove_milestone(milestone, by=by)
    for milestone in milestones:
        _by(milestone, by).save()
    for planned in [project, *left]:
        if (milestones or removed) and planned.status == Project.Status.ACTIVE:
            plan_checkins(project=planned, by=by)
    return project


def _remove_milestone(milestone, *, by):
    """Delete a milestone the owner removed. Its payments stay, counted as before, and so do
    its check-ins, no longer tied to it (on_delete=SET_NULL); the payments are untied here,
    one by one, so their history says who removed which milestone."""
    reason = f"Milestone “{milestone.title}” removed"
    for payment in milestone.payments.all():
        payment.milestone = None
        _by(payment, by, reason).save(update_fields=["milestone"])
    _by(milestone, by).delete()


def _end_current_assignment(*, project, reason, by):
    current = Assignment.objects.filter(project=project, ended_on__isnull=True).first()
    if current:
        current.ended_on = max(timezone.localdate(), current.started_on)
        current.end_reason = reason
        _by(current, by).save(update_fields=["ended_on", "end_reason"])


@transaction.atomic
def replace_freelancer(*, project, new, reason, by, override_reason=""):
    """End the current freelancer's assignment and start the new one; milestones and payments stay."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the freelancer is being replaced."})
    # Lock the row and compare with it as it is now, not with a copy read
    # before someone else changed the freelancer.
    Project.objects.select_for_update().get(pk=project.pk)
    project.refresh_from_db()
    if new is None or new.pk == project.freelancer_id:
        raise ValidationError({"freelancer": "Choose a different freelancer."})
    _end_current_assignment(project=project, reason=reason, by=by)
    _start_assignment(project=project, freelancer=new, override_reason=override_reason, by=by)
    _by(project, by, f"Freelancer replaced: {reason}").save()
    # Nobody backs up their own project, so the new freelancer leaves the backups; the
    # row's history keeps its note and says who took them off and why.
    for backup in project.backups.filter(freelancer=new):
        _by(backup, by, "Now the project's freelancer").delete()
    return project


@transaction.atomic
def change_status(*, project, status, by):
    """Move a project between statuses. Completing here leaves its review owed;
    complete_project() completes and reviews in one step."""
    project.status = status
    if status == Project.Status.COMPLETED and project.completed_on is None:
        project.completed_on = timezone.localdate()
    _by(project, by).save(update_fields=["status", "completed_on", "updated_at"])
    if status == Project.Status.ACTIVE:
        plan_checkins(project=project, by=by)
    elif status in {Project.Status.COMPLETED, Project.Status.CANCELLED}:
        _drop_future_checkins(project, by=by)
    return project


def _drop_future_checkins(project, *, by=None):
    """Delete the check-ins still ahead of a project that ends or leaves the lists, except
    those with something written in them. A blank one goes even if its link was emailed:
    the link closes with the project anyway (milestones.links.reachable_checkins)."""
    blank = CheckIn.objects.filter(project=project).upcoming().exclude(pk__in=CheckIn.objects.with_writing())
    _delete_checkins(blank, by=by)


def _delete_checkins(checkins, *, by):
    # One by one, so the history records each deletion and who caused it.
    for checkin in checkins:
        _by(checkin, by, "No longer planned").delete()


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
            _by(checkin, by, "Re-planned").save(update_fields=["scheduled_for", "milestone"])
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


@transaction.atomic
def set_milestone_status(*, milestone, status, by):
    """Move a milestone along; one that opens or finishes moves the check-in planned the
    day before it, so an active project's check-ins are re-planned."""
    # As stored, not as the caller's copy says: a form may have set the new status on it already.
    was_open = Milestone.objects.select_for_update().get(pk=milestone.pk).is_open
    milestone.status = status
    milestone.full_clean(exclude=["due_on"])
    _by(milestone, by).save(update_fields=["status"])
    project = milestone.project
    if milestone.is_open != was_open and project.status == Project.Status.ACTIVE:
        plan_checkins(project=project, by=by)
    return milestone


def record_payment(*, project, amount, paid_on, milestone=None, note="", by):
    """Record money paid on a project, by whom; more than zero, against one of its own milestones."""
    payment = Payment(project=project, amount=amount, paid_on=paid_on, milestone=milestone, note=note)
    return save_payment(payment=payment, by=by)


@transaction.atomic
def save_payment(*, payment, by):
    """Save a new or edited payment under the same rules (Payment's constraint and clean);
    a new one records who recorded it, the history keeps an edited one's earlier values."""
    if payment.pk is None:
        payment.recorded_by = by
    payment.full_clean()
    _by(payment, by).save()
    return payment


@transaction.atomic
def remove_payment(*, payment, by):
    """Delete a payment someone chose to delete; its history says who."""
    _by(payment, by).delete()


def add_backup(*, project, freelancer, rank=1, last_confirmed_on=None, note="", by):
    """Put a freelancer in the project's ranked pool of backups."""
    backup = Backup(
        project=project, freelancer=freelancer, rank=rank, last_confirmed_on=last_confirmed_on, note=note
    )
    return save_backup(backup=backup, by=by)


@transaction.atomic
def save_backup(*, backup, by):
    """Save a new or edited backup: Backup.clean says who may be one, its constraint once per project."""
    backup.full_clean()
    _by(backup, by).save()
    return backup


@transaction.atomic
def confirm_backup(*, backup, by, on=None):
    """The backup said they are still available (today unless `on` says otherwise)."""
    backup.last_confirmed_on = on or timezone.localdate()
    _by(backup, by).save(update_fields=["last_confirmed_on"])
    return backup


@transaction.atomic
def remove_backup(*, backup, by):
    _by(backup, by).delete()


@transaction.atomic
def set_reminders_muted(*, project, muted, by):
    """Switch the project's reminder emails off (muted) or back on."""
    project.reminders_muted = muted
    _by(project, by).save(update_fields=["reminders_muted", "updated_at"])
    return project


@transaction.atomic
def complete_project(*, project, review, by, unfinished_note="", mark_do_not_hire=False):
    """Close the project with its review; unfinished milestones need a note saying why."""
    closing = project.status != Project.Status.COMPLETED
    unfinished = list(project.milestones.open())
    if closing and unfinished and not unfinished_note.strip():
        titles = ", ".join(f"“{m.title}”" for m in unfinished)
        message = f"These milestones are not approved: {titles}. Say why you complete it anyway."
        raise ValidationError({"unfinished_note": message})
    if review is not None:
        review.project = project
        review.freelancer = project.freelancer
        review.full_clean()
        review.save()
    if closing:
        _end_current_assignment(project=project, reason="Project completed", by=by)
        project.status = Project.Status.COMPLETED
        project.completed_on = timezone.localdate()
        project.completion_note = unfinished_note.strip()
    _by(project, by).save()
    _drop_future_checkins(project, by=by)
    # A freelancer flagged already keeps the reason written then; the review holds this one.
    if (
        review is not None
        and mark_do_not_hire
        and review.would_rehire == Review.Rehire.NO
        and not project.freelancer.do_not_hire
    ):
        freelancer_services.mark_do_not_hire(
            freelancer=project.freelancer,
            reason=f"Review of “{project.title}”: {review.do_differently or 'would not rehire'}",
            by=by,
        )
    return project


@transaction.atomic
def archive_project(*, project, by):
    """Hide a project from lists; it, its payments and its history stay."""
    if project.archived_at is None:
        project.archived_at = timezone.now()
        _by(project, by).save(update_fields=["archived_at", "updated_at"])
        _drop_future_checkins(project, by=by)
    return project


@transaction.atomic
def restore_project(*, project, by):
    if project.archived_at is not None:
        project.archived_at = None
        _by(project, by).save(update_fields=["archived_at", "updated_at"])
        if project.status == Project.Status.ACTIVE:
            plan_checkins(project=project, by=by)
    return project
