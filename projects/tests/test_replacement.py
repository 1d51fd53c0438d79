"""Have a backup plan: replacing a freelancer keeps the work and the history; backups go stale."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from milestones import project_services
from projects import services
from projects.models import Assignment, Backup, Project
from projects.tests.factories import (
    AssignmentFactory,
    BackupFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    passed_trial,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def ana():
    return FreelancerFactory(name="Ana Silva")


@pytest.fixture
def bo():
    return FreelancerFactory(name="Bo Chen")


@pytest.fixture
def project(owner, ana):
    """A running project with Ana on it since last week, two milestones and a payment."""
    project = ProjectFactory.build(owner=owner, freelancer=ana, budget=Decimal("400.00"))
    milestones = [
        MilestoneFactory.build(title="Design", due_on=project.due_on - 5 * DAY),
        MilestoneFactory.build(title="Build", due_on=project.due_on),
    ]
    # The milestones add up to more than the budget plus contingency: the owner confirmed it.
    project = project_services.create_project(
        project=project, milestones=milestones, by=owner, confirm_over_budget=True
    )
    Assignment.objects.filter(project=project).update(started_on=timezone.localdate() - 7 * DAY)
    PaymentFactory(project=project, amount=Decimal("150.00"))
    return project


def assignments(project):
    return list(
        Assignment.objects.filter(project=project)
        .order_by("pk")
        .values_list("freelancer__name", "started_on", "ended_on", "end_reason")
    )


def test_replacing_ends_the_current_assignment_today_with_the_reason_and_starts_a_new_one(owner, project, bo):
    today = timezone.localdate()

    services.replace_freelancer(project=project, new=bo, reason="  Missed two check-ins.  ", by=owner)

    assert assignments(project) == [
        ("Ana Silva", today - 7 * DAY, today, "Missed two check-ins."),
        ("Bo Chen", today, None, ""),
    ]


def test_replacing_sets_the_new_freelancer_on_the_project(owner, project, bo):
    services.replace_freelancer(project=project, new=bo, reason="Missed two check-ins.", by=owner)

    project.refresh_from_db()
    assert project.freelancer == bo


def test_replacing_keeps_every_milestone_and_payment(owner, project, bo):
    milestones = list(project.milestones.values_list("pk", "title", "amount", "status"))
    payments = list(project.payments.values_list("pk", "amount"))

    services.replace_freelancer(project=project, new=bo, reason="Missed two check-ins.", by=owner)

    assert list(project.milestones.values_list("pk", "title", "amount", "status")) == milestones
    assert list(project.payments.values_list("pk", "amount")) == payments
    assert project.payments.get().amount == Decimal("150.00")


def test_replacing_records_who_replaced_whom_and_why_in_the_history(owner, project, ana, bo):
    services.replace_freelancer(project=project, new=bo, reason="Missed two check-ins.", by=owner)

    latest, before = project.history.all()[:2]
    assert latest.history_change_reason == "Freelancer replaced: Missed two check-ins."
    assert latest.history_user == owner
    assert latest.freelancer_id == bo.pk
    assert before.freelancer_id == ana.pk


def test_replacing_removes_the_new_freelancer_from_the_backups_and_keeps_the_others(owner, project, bo):
    cy = FreelancerFactory(name="Cy Park")
    BackupFactory(project=project, freelancer=bo, rank=1)
    BackupFactory(project=project, freelancer=cy, rank=2)
    elsewhere = BackupFactory(freelancer=bo)

    services.replace_freelancer(project=project, new=bo, reason="Missed two check-ins.", by=owner)

    assert list(project.backups.values_list("freelancer__name", flat=True)) == ["Cy Park"]
    assert Backup.objects.filter(pk=elsewhere.pk).exists()


def test_after_a_replacement_the_project_has_exactly_one_open_assignment(owner, project, bo):
    services.replace_freelancer(project=project, new=bo, reason="Missed two check-ins.", by=owner)

    open_assignment = Assignment.objects.get(project=project, ended_on__isnull=True)
    assert open_assignment.freelancer == bo


def test_a_freelancer_can_be_replaced_twice_and_the_whole_history_is_kept(owner, project, ana, bo):
    project = services.replace_freelancer(project=project, new=bo, reason="Ana was ill.", by=owner)
    project = services.replace_freelancer(project=project, new=ana, reason="Ana is back.", by=owner)

    project.refresh_from_db()
    today = timezone.localdate()
    assert project.freelancer == ana
    assert assignments(project) == [
        ("Ana Silva", today - 7 * DAY, today, "Ana was ill."),
        ("Bo Chen", today, today, "Ana is back."),
        ("Ana Silva", today, None, ""),
    ]


def test_replacing_checks_the_current_freelancer_in_the_database_not_a_stale_copy(owner, project, bo):
    stale = Project.objects.get(pk=project.pk)
    services.replace_freelancer(project=project, new=bo, reason="Ana was ill.", by=owner)

    with pytest.raises(ValidationError):
        services.replace_freelancer(project=stale, new=bo, reason="Ana was ill.", by=owner)

    assert [name for name, *_ in assignments(project)] == ["Ana Silva", "Bo Chen"]


def refused(project, **kwargs):
    before = (assignments(project), Project.objects.get(pk=project.pk).freelancer_id, Backup.objects.count())
    with pytest.raises(ValidationError) as raised:
        services.replace_freelancer(project=project, **kwargs)
    after = (assignments(project), Project.objects.get(pk=project.pk).freelancer_id, Backup.objects.count())
    assert after == before
    return raised.value.message_dict


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_replacing_without_a_reason_is_refused_and_changes_nothing(owner, project, bo, reason):
    errors = refused(project, new=bo, reason=reason, by=owner)

    assert errors == {"reason": ["Say why the freelancer is being replaced."]}


def test_replacing_a_freelancer_with_themselves_is_refused(owner, project, ana):
    errors = refused(project, new=ana, reason="Fresh start.", by=owner)

    assert errors == {"freelancer": ["Choose a different freelancer."]}


def test_replacing_with_nobody_is_refused(owner, project):
    errors = refused(project, new=None, reason="Fresh start.", by=owner)

    assert errors == {"freelancer": ["Choose a different freelancer."]}


def test_replacing_with_a_do_not_hire_freelancer_is_refused_even_with_an_override(owner, project):
    banned = FreelancerFactory(name="Dee Banned", do_not_hire=True, do_not_hire_reason="Leaked a password.")
    BackupFactory(project=project, freelancer=banned)

    errors = refused(project, new=banned, reason="Ana is slow.", by=owner, override_reason="Needed anyway")

    assert errors == {"freelancer": ["Dee Banned is marked do-not-hire: Leaked a password."]}


def test_replacing_with_an_untested_freelancer_on_a_big_project_needs_the_override(owner, ana, bo):
    passed_trial(ana)
    project = project_services.create_project(
        project=ProjectFactory.build(owner=owner, freelancer=ana, budget=Decimal("2000")), by=owner
    )

    errors = refused(project, new=bo, reason="Ana is booked.", by=owner)
    assert "trial limit of USD 500.00" in errors["freelancer"][0]

    services.replace_freelancer(
        project=project, new=bo, reason="Ana is booked.", by=owner, override_reason="Urgent"
    )
    project.refresh_from_db()
    assert project.freelancer == bo
    assert project.trust_override_reason == "Urgent"
    assert project.trust_override_by == owner


def test_the_database_allows_only_one_open_assignment_per_project(project, bo):
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Assignment.objects.bulk_create(
            [Assignment(project=project, freelancer=bo, started_on=project.start_on)]
        )

    assert "one_open_assignment_per_project" in str(raised.value) or "UNIQUE" in str(raised.value)
    assert Assignment.objects.filter(project=project).count() == 1


def test_ended_assignments_do_not_count_against_the_one_open_assignment(project, bo):
    today = timezone.localdate()
    AssignmentFactory(project=project, freelancer=bo, started_on=today - 3 * DAY, ended_on=today - DAY)
    AssignmentFactory(project=project, freelancer=bo, started_on=today - 5 * DAY, ended_on=today - 4 * DAY)

    assert Assignment.objects.filter(project=project).count() == 3


# Backups go stale when they have not confirmed they are available for a while.


@pytest.mark.parametrize(
    ("days_ago", "stale"),
    [(0, False), (30, False), (31, True), (365, True)],
)
def test_a_backup_is_stale_after_thirty_days_without_confirming(days_ago, stale):
    backup = BackupFactory(last_confirmed_on=timezone.localdate() - days_ago * DAY)
    backup.refresh_from_db()

    assert backup.is_stale is stale


def test_a_backup_that_never_confirmed_is_stale():
    backup = BackupFactory(last_confirmed_on=None)
    backup.refresh_from_db()

    assert backup.is_stale
