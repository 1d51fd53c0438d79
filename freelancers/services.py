"""Writes to freelancers that follow business rules, each in one transaction.

Views, admin actions and commands all call these, so a rule holds however the
change is made. Each raises ValidationError with plain words when refused.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.history import attribute
from freelancers.models import AccessGrant, Freelancer, Skill, normalize_skill_name


@transaction.atomic
def save_freelancer(*, freelancer, skills, new_skill_names=(), by=None):
    """Save a freelancer typed in a form with their skills, all or nothing; a new skill name
    that the database already knows (in any case or Unicode form) means that skill."""
    freelancer.full_clean()
    attribute(freelancer, by).save()
    freelancer.skills.set([*skills, *(skill_named(name) for name in new_skill_names)])
    return freelancer


def skill_named(name):
    """The skill called `name`, created if it is new."""
    if existing := Skill.objects.named(name).first():
        return existing
    try:
        with transaction.atomic():  # a savepoint: someone may add the same skill at this moment
            return Skill.objects.create(name=normalize_skill_name(name))
    except IntegrityError:
        return Skill.objects.named(name).get()


@transaction.atomic
def change_status(*, freelancer, status, by=None):
    """Move a freelancer in the pipeline; approval needs the vetting done (Freelancer.clean)."""
    current = Freelancer.objects.select_for_update().get(pk=freelancer.pk)
    current.status = status
    current.full_clean()
    attribute(current, by).save(update_fields=["status", "updated_at"])
    freelancer.status = status
    return current


@transaction.atomic
def mark_do_not_hire(*, freelancer, reason, by=None):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"do_not_hire_reason": "Say why this freelancer must not be hired."})
    freelancer.do_not_hire = True
    freelancer.do_not_hire_reason = reason
    attribute(freelancer, by).save(update_fields=["do_not_hire", "do_not_hire_reason", "updated_at"])
    return freelancer


@transaction.atomic
def archive_freelancer(*, freelancer, by=None):
    """Hide a freelancer from lists; the record and its history stay."""
    if freelancer.archived_at is None:
        freelancer.archived_at = timezone.now()
        attribute(freelancer, by).save(update_fields=["archived_at", "updated_at"])
    return freelancer


@transaction.atomic
def restore_freelancer(*, freelancer, by=None):
    if freelancer.archived_at is not None:
        freelancer.archived_at = None
        attribute(freelancer, by).save(update_fields=["archived_at", "updated_at"])
    return freelancer


@transaction.atomic
def record_revocation(*, grant, revoked_on, by):
    """Record that access was taken back, when and by whom."""
    # Read the row under a lock: two people recording the same revocation must
    # not overwrite each other's date.
    current = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if current.revoked_on is not None:
        raise ValidationError(
            {"revoked_on": f"This access was already revoked on {current.revoked_on:%d %b %Y}."}
        )
    if revoked_on > timezone.localdate():
        raise ValidationError({"revoked_on": "The revocation date cannot be in the future."})
    if revoked_on < current.granted_on:
        raise ValidationError({"revoked_on": "Access cannot be revoked before it was granted."})
    current.revoked_on = grant.revoked_on = revoked_on
    current.revoked_by = grant.revoked_by = by
    attribute(current, by).save(update_fields=["revoked_on", "revoked_by"])
    return current


@transaction.atomic
def mark_references_contacted(*, references, on, by=None):
    """Set the contact date on references that have none; returns how many changed."""
    changed = 0
    for reference in references.filter(contacted_on__isnull=True):
        reference.contacted_on = on
        attribute(reference, by).save(update_fields=["contacted_on"])
        changed += 1
    return changed
