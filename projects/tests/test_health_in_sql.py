"""Health computed in the database (Project.objects.with_health) agrees with the words of
projects/health.py at every boundary, so a list filtered by health shows what each row says."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from milestones.models import Milestone
from projects.health import AMBER, GREEN, RANK, RED
from projects.models import Project
from projects.tests.factories import MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
LEVEL_OF_RANK = {rank: level for level, rank in RANK.items()}


def both_levels(project):
    """(SQL levels, Python levels) as (budget, schedule, overall)."""
    in_sql = Project.objects.with_health().get(pk=project.pk)
    in_python = Project.objects.with_details().get(pk=project.pk)
    sql = (
        LEVEL_OF_RANK[in_sql.budget_rank],
        LEVEL_OF_RANK[in_sql.schedule_rank],
        LEVEL_OF_RANK[in_sql.health_rank],
    )
    python = (in_python.budget_health.level, in_python.schedule_health.level, in_python.health.level)
    return sql, python


BUDGET_CASES = [
    # (budget, contingency %, payments, expected budget level)
    ("1000.00", "10", [], GREEN),
    ("1000.00", "10", ["999.99"], GREEN),
    ("1000.00", "10", ["600.00", "400.00"], GREEN),
    ("1000.00", "10", ["1000.01"], AMBER),
    ("1000.00", "10", ["1100.00"], AMBER),
    ("1000.00", "10", ["1100.01"], RED),
    ("1000.00", "0", ["1000.01"], RED),
    ("0.00", "10", [], GREEN),
    ("0.00", "10", ["0.01"], RED),
    # A contingency of 154.32125 is 154.32 in money.
    ("1234.57", "12.5", ["1388.89"], AMBER),
    ("1234.57", "12.5", ["1388.90"], RED),
    # Half a cent of contingency rounds up, as money does: 0.05 + 0.01 is the limit.
    ("0.05", "10", ["0.06"], AMBER),
    ("0.05", "10", ["0.07"], RED),
]


@pytest.mark.parametrize(("budget", "percent", "payments", "expected"), BUDGET_CASES)
def test_budget_level_in_sql_agrees_with_the_words(budget, percent, payments, expected):
    project = ProjectFactory(budget=Decimal(budget), budget_buffer_percent=Decimal(percent))
    for amount in payments:
        PaymentFactory(project=project, amount=Decimal(amount))

    sql, python = both_levels(project)

    assert python[0] == expected
    assert sql == python


SCHEDULE_CASES = [
    # (status, days the project is late, open milestone days late or None, leeway, expected)
    (Project.Status.ACTIVE, -5, None, 3, GREEN),
    (Project.Status.ACTIVE, 0, None, 3, GREEN),
    (Project.Status.ACTIVE, 1, None, 3, AMBER),
    (Project.Status.ACTIVE, 3, None, 3, AMBER),
    (Project.Status.ACTIVE, 4, None, 3, RED),
    (Project.Status.ACTIVE, 1, None, 0, RED),
    (Project.Status.ACTIVE, -5, 0, 3, GREEN),
    (Project.Status.ACTIVE, -5, 3, 3, AMBER),
    (Project.Status.ACTIVE, -5, 4, 3, RED),
    (Project.Status.ON_HOLD, -5, 4, 3, RED),
    (Project.Status.DRAFT, 10, None, 3, RED),
    (Project.Status.COMPLETED, 10, 10, 3, GREEN),
    (Project.Status.CANCELLED, 10, 10, 3, GREEN),
]


@pytest.mark.parametrize(("status", "project_late", "milestone_late", "leeway", "expected"), SCHEDULE_CASES)
def test_schedule_level_in_sql_agrees_with_the_words(status, project_late, milestone_late, leeway, expected):
    today = timezone.localdate()
    project = ProjectFactory(
        status=status,
        start_on=today - 60 * DAY,
        due_on=today - project_late * DAY,
        schedule_buffer_days=leeway,
    )
    if milestone_late is not None:
        MilestoneFactory(project=project, due_on=today - milestone_late * DAY)

    sql, python = both_levels(project)

    assert python[1] == expected
    assert sql == python


@pytest.mark.parametrize("finished", [Milestone.Status.APPROVED, Milestone.Status.CANCELLED])
def test_a_finished_milestone_that_was_late_does_not_count(finished):
    today = timezone.localdate()
    project = ProjectFactory(start_on=today - 60 * DAY, due_on=today + 5 * DAY)
    MilestoneFactory(project=project, due_on=today - 30 * DAY, status=finished)

    sql, python = both_levels(project)

    assert python[1] == GREEN
    assert sql == python


def test_the_overall_level_is_the_worse_of_budget_and_schedule():
    today = timezone.localdate()
    project = ProjectFactory(start_on=today - 60 * DAY, due_on=today - 2 * DAY, schedule_buffer_days=3)
    PaymentFactory(project=project, amount=Decimal("1200.00"))

    sql, python = both_levels(project)

    assert python == (RED, AMBER, RED)
    assert sql == python


def test_the_worst_open_milestone_is_annotated_for_the_words():
    today = timezone.localdate()
    project = ProjectFactory(start_on=today - 60 * DAY, due_on=today + 5 * DAY)
    MilestoneFactory(project=project, title="Copy", due_on=today - 2 * DAY)
    MilestoneFactory(project=project, title="Design", due_on=today - 4 * DAY)
    MilestoneFactory(project=project, title="Old", due_on=today - 9 * DAY, status=Milestone.Status.APPROVED)

    annotated = Project.objects.with_health().get(pk=project.pk)

    assert annotated.worst_milestone_title == "Design"
    assert annotated.days_late == 4


def test_the_project_list_filters_by_health_and_pages_in_the_database(owner_client):
    for n in range(27):
        PaymentFactory(project=ProjectFactory(title=f"Over {n:02}"), amount=Decimal("1500.00"))
    for n in range(3):
        ProjectFactory(title=f"Fine {n}")

    first = owner_client.get("/projects/", {"health": RED})
    second = owner_client.get("/projects/", {"health": RED, "page": 2})

    assert first.context["page"].paginator.count == 27
    assert [p.title for p in second.context["page"]] == ["Over 25", "Over 26"]
    assert all(p.health.level == RED for p in first.context["page"])
