"""Writes to a project together with its milestones and the check-ins planned from them.

They work on both layers (a project saved with its milestones, check-ins planned when
a project starts or re-planned when its dates move), so they live here, above projects,
and call down to projects.services for the project's own rules (trust, assignments).
Each is one transaction and refuses with a ValidationError in plain words, keyed by the
form field it concerns.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.history import attribute
from common.money import format_money
from common.policy import can_see_money
from freelancers import services as freelancer_services
from milestones.models import Milestone
from milestones.planning import drop_future_checkins, plan_checkins
from projects.models import Project, Review
from projects.services import check_assignment, end_current_assignment, start_assignment


@transaction.atomic
def create_project(*, project, milestones=(), skills=None, by, override_reason="", confirm_over_budget=False):
    """Save a new project, its milestones and, if it has one, its freelancer's assignment."""
    freelancer = project.freelancer
    project.owner = project.owner if project.owner_id else by
    project.full_clean()
    if freelancer:
        check_assignment(project=project, freelancer=freelancer, override_reason=override_reason, by=by)
    _check_milestones(project=project, milestones=milestones, confirm_over_budget=confirm_over_budget, by=by)
    attribute(project, by).save()
    if skills is not None:
        project.skills.set(skills)
    for milestone in milestones:
        milestone.project = project
        attribute(milestone, by).save()
    if freelancer:
        start_assignment(project=project, freelancer=freelancer, override_reason=override_reason, by=by)
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
        end_current_assignment(project=project, reason="Changed on the project form", by=by)
        start_assignment(
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
    attribute(project, by).save()
    if skills is not None:
        project.skills.set(skills)
    for milestone in removed:
        _remove_milestone(milestone, by=by)
    for milestone in milestones:
        milestone.project = project
        attribute(milestone, by).save()
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
        attribute(milestone, by).save()
    for planned in [project, *left]:
        if (milestones or removed) and planned.status == Project.Status.ACTIVE:
            plan_checkins(project=planned, by=by)
    return project


def _remove_milestone(milestone, *, by):
    """Delete a milestone the owner removed. Its payments and deliverables stay, on the
    project, and so do its check-ins, no longer tied to it (on_delete=SET_NULL); payments
    and deliverables are untied here, one by one, so their history says who removed which
    milestone."""
    reason = f"Milestone “{milestone.title}” removed"
    for kept in [*milestone.payments.all(), *milestone.deliverables.all()]:
        kept.milestone = None
        attribute(kept, by, reason).save(update_fields=["milestone"])
    attribute(milestone, by).delete()


@transaction.atomic
def change_status(*, project, status, by):
    """Move a project between statuses. Completing here leaves its review owed;
    complete_project() completes and reviews in one step."""
    project.status = status
    if status == Project.Status.COMPLETED and project.completed_on is None:
        project.completed_on = timezone.localdate()
    attribute(project, by).save(update_fields=["status", "completed_on", "updated_at"])
    if status == Project.Status.ACTIVE:
        plan_checkins(project=project, by=by)
    elif status in {Project.Status.COMPLETED, Project.Status.CANCELLED}:
        drop_future_checkins(project, by=by)
    return project


@transaction.atomic
def set_milestone_status(*, milestone, status, by):
    """Move a milestone along; one that opens or finishes moves the check-in planned the
    day before it, so an active project's check-ins are re-planned."""
    # As stored, not as the caller's copy says: a form may have set the new status on it already.
    was_open = Milestone.objects.select_for_update().get(pk=milestone.pk).is_open
    milestone.status = status
    milestone.full_clean(exclude=["due_on"])
    attribute(milestone, by).save(update_fields=["status"])
    project = milestone.project
    if milestone.is_open != was_open and project.status == Project.Status.ACTIVE:
        plan_checkins(project=project, by=by)
    return milestone


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
        end_current_assignment(project=project, reason="Project completed", by=by)
        project.status = Project.Status.COMPLETED
        project.completed_on = timezone.localdate()
        project.completion_note = unfinished_note.strip()
    attribute(project, by).save()
    drop_future_checkins(project, by=by)
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
        attribute(project, by).save(update_fields=["archived_at", "updated_at"])
        drop_future_checkins(project, by=by)
    return project


@transaction.atomic
def restore_project(*, project, by):
    if project.archived_at is not None:
        project.archived_at = None
        attribute(project, by).save(update_fields=["archived_at", "updated_at"])
        if project.status == Project.Status.ACTIVE:
            plan_checkins(project=project, by=by)
    return project
