"""Writes to projects that follow business rules, each in one transaction.

Views, admin actions and commands call these; each refuses with a
ValidationError in plain words, keyed by the form field it concerns.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.history import attribute
from common.money import format_money
from common.policy import can_see_money
from projects.models import Assignment, Backup, Payment, Project


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


def start_assignment(*, project, freelancer, override_reason, by):
    overridden = check_assignment(
        project=project, freelancer=freelancer, override_reason=override_reason, by=by
    )
    project.freelancer = freelancer
    # An override belongs to the freelancer it was given for.
    project.trust_override_reason = override_reason.strip() if overridden else ""
    project.trust_override_by = by if overridden else None
    attribute(Assignment(project=project, freelancer=freelancer, started_on=timezone.localdate()), by).save()


def end_current_assignment(*, project, reason, by):
    current = Assignment.objects.filter(project=project, ended_on__isnull=True).first()
    if current:
        current.ended_on = max(timezone.localdate(), current.started_on)
        current.end_reason = reason
        attribute(current, by).save(update_fields=["ended_on", "end_reason"])


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
    end_current_assignment(project=project, reason=reason, by=by)
    start_assignment(project=project, freelancer=new, override_reason=override_reason, by=by)
    attribute(project, by, f"Freelancer replaced: {reason}").save()
    # Nobody backs up their own project, so the new freelancer leaves the backups; the
    # row's history keeps its note and says who took them off and why.
    for backup in project.backups.filter(freelancer=new):
        attribute(backup, by, "Now the project's freelancer").delete()
    return project


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
    attribute(payment, by).save()
    return payment


@transaction.atomic
def remove_payment(*, payment, by):
    """Delete a payment someone chose to delete; its history says who."""
    attribute(payment, by).delete()


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
    attribute(backup, by).save()
    return backup


@transaction.atomic
def confirm_backup(*, backup, by, on=None):
    """The backup said they are still available (today unless `on` says otherwise)."""
    backup.last_confirmed_on = on or timezone.localdate()
    attribute(backup, by).save(update_fields=["last_confirmed_on"])
    return backup


@transaction.atomic
def remove_backup(*, backup, by):
    attribute(backup, by).delete()


@transaction.atomic
def set_reminders_muted(*, project, muted, by):
    """Switch the project's reminder emails off (muted) or back on."""
    project.reminders_muted = muted
    attribute(project, by).save(update_fields=["reminders_muted", "updated_at"])
    return project
