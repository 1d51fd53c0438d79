"""Writes to projects that follow business rules, each in one transaction.

Views, admin actions and commands call these; each refuses with a
ValidationError in plain words, keyed by the form field it concerns.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from freelancers import services as freelancer_services
from milestones.models import CheckIn
from outsourcing.money import format_money
from projects.models import Assignment, Project, Review


def _by(instance, user, reason=""):
    # django-simple-history records who made the change and, when given, why.
    instance._history_user = user
    if reason:
        instance._change_reason = reason[:100]
    return instance


def trial_budget_limit():
    return Decimal(str(settings.TRIAL_BUDGET_LIMIT))


def trust_problem(*, freelancer, budget, currency):
    """Why this freelancer should not get a project of this size yet, or None."""
    if freelancer is None or budget is None or freelancer.trial_done:
        return None
    limit = trial_budget_limit()
    if budget <= limit:
        return None
    return (
        f"{freelancer.name} has no finished trial project, and this budget is above the trial limit of "
        f"{format_money(limit, currency)}. Start with a small trial job, or tick the override and say why."
    )


def hiring_problem(freelancer):
    """Why this freelancer may not be put on any project, or None."""
    if freelancer is not None and freelancer.do_not_hire:
        return f"{freelancer.name} is marked do-not-hire: {freelancer.do_not_hire_reason}"
    return None


def check_assignment(*, project, freelancer, override_reason):
    """Refuse a do-not-hire freelancer; refuse an untested one on a big budget unless overridden."""
    problem = hiring_problem(freelancer)
    if problem:
        raise ValidationError({"freelancer": problem})
    problem = trust_problem(freelancer=freelancer, budget=project.budget, currency=project.currency)
    if problem and not override_reason.strip():
        raise ValidationError({"freelancer": problem})
    return bool(problem)


def _start_assignment(*, project, freelancer, override_reason, by):
    overridden = check_assignment(project=project, freelancer=freelancer, override_reason=override_reason)
    project.freelancer = freelancer
    # An override belongs to the freelancer it was given for.
    project.trust_override_reason = override_reason.strip() if overridden else ""
    project.trust_override_by = by if overridden else None
    Assignment.objects.create(project=project, freelancer=freelancer, started_on=timezone.localdate())


@transaction.atomic
def create_project(*, project, milestones=(), skills=None, by, override_reason=""):
    """Save a new project, its milestones and, if it has one, its freelancer's assignment."""
    freelancer = project.freelancer
    project.owner = project.owner if project.owner_id else by
    project.full_clean()
    if freelancer:
        check_assignment(project=project, freelancer=freelancer, override_reason=override_reason)
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
        plan_checkins(project=project)
    return project


@transaction.atomic
def update_project(*, project, by, milestones=(), removed=(), skills=None, override_reason=""):
    """Save edits and milestone changes; a new freelancer goes through the same checks,
    and new dates, cadence or milestones re-plan the future check-ins."""
    stored = Project.objects.select_for_update().get(pk=project.pk)
    project.full_clean()
    if project.freelancer_id != stored.freelancer_id and project.freelancer:
        _end_current_assignment(project=project, reason="Changed on the project form")
        _start_assignment(
            project=project, freelancer=project.freelancer, override_reason=override_reason, by=by
        )
    elif (
        project.freelancer
        and project.budget != stored.budget
        and check_assignment(project=project, freelancer=project.freelancer, override_reason=override_reason)
    ):
        # A bigger budget for the same untested freelancer needs the same override.
        project.trust_override_reason = override_reason.strip()
        project.trust_override_by = by
    _by(project, by).save()
    if skills is not None:
        project.skills.set(skills)
    for milestone in removed:
        milestone.delete()
    for milestone in milestones:
        milestone.project = project
        _by(milestone, by).save()
    schedule = ("start_on", "due_on", "checkin_every_days", "status")
    schedule_changed = any(getattr(stored, name) != getattr(project, name) for name in schedule)
    if project.status == Project.Status.ACTIVE and (schedule_changed or milestones or removed):
        # Planned from the milestones as saved now: the project on a page may hold them as
        # prefetched before this edit, a removed one included.
        plan_checkins(project=Project.objects.get(pk=project.pk))
    return project


def _end_current_assignment(*, project, reason):
    current = Assignment.objects.filter(project=project, ended_on__isnull=True).first()
    if current:
        current.ended_on = max(timezone.localdate(), current.started_on)
        current.end_reason = reason
        current.save(update_fields=["ended_on", "end_reason"])


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
    _end_current_assignment(project=project, reason=reason)
    _start_assignment(project=project, freelancer=new, override_reason=override_reason, by=by)
    _by(project, by, f"Freelancer replaced: {reason}").save()
    project.backups.filter(freelancer=new).delete()
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
        plan_checkins(project=project)
    elif status in {Project.Status.COMPLETED, Project.Status.CANCELLED}:
        _drop_future_checkins(project)
    return project


def _drop_future_checkins(project):
    project.checkins.filter(held_on__isnull=True, scheduled_for__gte=timezone.now()).delete()


def checkin_dates(*, start, due, every_days, extra=(), today):
    """Every N days from the start to the due date, plus the `extra` dates
    (the day before each milestone); only today and later, each date once."""
    dates = set(extra)
    day = start + datetime.timedelta(days=every_days)
    while day <= due:
        dates.add(day)
        day += datetime.timedelta(days=every_days)
    return sorted(d for d in dates if d >= max(today, start))


def checkin_time(day):
    """Check-ins are at 10:00 in the owner's time zone, stored in UTC."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


@transaction.atomic
def plan_checkins(*, project, now=None):
    """(Re)plan the project's future check-ins; held or past ones are never touched."""
    now = now or timezone.now()
    project.checkins.filter(held_on__isnull=True, scheduled_for__gte=now).delete()
    # A check-in already held early keeps its day: no second one is planned on it.
    held_days = {
        timezone.localdate(c.scheduled_for) for c in project.checkins.held().filter(scheduled_for__gte=now)
    }
    day_before = {m.due_on - datetime.timedelta(days=1): m for m in project.milestones.all() if m.is_open}
    dates = checkin_dates(
        start=project.start_on,
        due=project.due_on,
        every_days=project.checkin_every_days,
        extra=day_before,
        today=timezone.localdate(now),
    )
    CheckIn.objects.bulk_create(
        CheckIn(project=project, milestone=day_before.get(day), scheduled_for=checkin_time(day))
        for day in dates
        if checkin_time(day) >= now and day not in held_days
    )


@transaction.atomic
def set_milestone_status(*, milestone, status, by):
    milestone.status = status
    _by(milestone, by).save(update_fields=["status"])
    return milestone


@transaction.atomic
def complete_project(*, project, review, by, unfinished_note="", mark_do_not_hire=False):
    """Close the project with its review; unfinished milestones need a note saying why."""
    closing = project.status != Project.Status.COMPLETED
    unfinished = [m for m in project.milestones.all() if m.is_open]
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
        _end_current_assignment(project=project, reason="Project completed")
        project.status = Project.Status.COMPLETED
        project.completed_on = timezone.localdate()
        project.completion_note = unfinished_note.strip()
    _by(project, by).save()
    _drop_future_checkins(project)
    if review is not None and mark_do_not_hire and review.would_rehire == Review.Rehire.NO:
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
        _drop_future_checkins(project)
    return project


@transaction.atomic
def restore_project(*, project, by):
    if project.archived_at is not None:
        project.archived_at = None
        _by(project, by).save(update_fields=["archived_at", "updated_at"])
        if project.status == Project.Status.ACTIVE:
            plan_checkins(project=project)
    return project
