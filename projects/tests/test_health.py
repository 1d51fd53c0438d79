"""Budget and schedule health: green, amber or red at each boundary, with the reason in words."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from milestones.models import Milestone
from projects import health
from projects.health import AMBER, GREEN, RED, Health
from projects.models import Project
from projects.tests.factories import MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def budget(spent, budget="1000.00", buffer_percent="10", currency="USD"):
    return health.budget_health(
        spent=Decimal(spent),
        budget=Decimal(budget),
        buffer_percent=Decimal(buffer_percent),
        currency=currency,
    )


def project_with_payments(*amounts, **fields):
    project = ProjectFactory(**fields)
    for amount in amounts:
        PaymentFactory(project=project, amount=Decimal(amount))
    return Project.objects.with_details().get(pk=project.pk)


def late_project(days_late, **fields):
    """An active project whose due date was `days_late` days ago (negative: still ahead)."""
    today = timezone.localdate()
    return ProjectFactory(start_on=today - 60 * DAY, due_on=today - days_late * DAY, **fields)


# Budget: the pure function at each boundary.


def test_spending_exactly_the_budget_is_green_and_says_nothing_is_left_before_the_contingency():
    assert budget("1000.00") == Health(GREEN, "spent 100% of budget, USD 0.00 left before the contingency")


def test_spending_less_than_the_budget_is_green_and_says_what_is_left():
    assert budget("250.50") == Health(GREEN, "spent 25% of budget, USD 749.50 left before the contingency")


def test_one_cent_into_the_contingency_is_amber():
    assert budget("1000.01") == Health(AMBER, "spent 100% of budget, 100% of contingency left")


def test_spending_exactly_the_budget_plus_contingency_is_still_amber_with_none_of_it_left():
    assert budget("1100.00") == Health(AMBER, "spent 110% of budget, 0% of contingency left")


def test_one_cent_beyond_the_contingency_is_red_and_says_by_how_much():
    assert budget("1100.01") == Health(RED, "spent 110% of budget, USD 0.01 beyond the contingency")


def test_the_amber_reason_gives_the_share_of_budget_spent_and_of_contingency_left():
    # 12.5% of 1,000 is a contingency of 125; spending 1,120 leaves 5 of it, i.e. 4%.
    assert budget("1120.00", buffer_percent="12.5") == Health(
        AMBER, "spent 112% of budget, 4% of contingency left"
    )


def test_the_red_reason_formats_the_overrun_with_thousands_separators_and_the_currency():
    result = budget("13500.00", budget="10000.00", buffer_percent="20", currency="EUR")

    assert result == Health(RED, "spent 135% of budget, EUR 1,500.00 beyond the contingency")


def test_with_a_zero_contingency_the_budget_itself_is_the_limit_between_green_and_red():
    assert budget("1000.00", buffer_percent="0") == Health(
        GREEN, "spent 100% of budget, USD 0.00 left before the contingency"
    )
    assert budget("1000.01", buffer_percent="0") == Health(
        RED, "spent 100% of budget, USD 0.01 beyond the contingency"
    )


def test_a_zero_budget_with_nothing_spent_is_green():
    assert budget("0", budget="0") == Health(
        GREEN, "spent 0% of budget, USD 0.00 left before the contingency"
    )


def test_any_spending_on_a_zero_budget_is_red():
    result = budget("10.00", budget="0")

    assert result.level == RED
    assert result.reason == "spent USD 10.00 with no budget"


def test_spending_on_a_zero_budget_is_not_described_as_zero_percent_of_it():
    result = budget("10.00", budget="0")

    assert "0% of budget" not in result.reason


def test_the_health_labels_and_ranks_put_red_first():
    assert [h.label for h in (Health(RED, ""), Health(AMBER, ""), Health(GREEN, ""))] == [
        "In trouble",
        "At risk",
        "On track",
    ]
    assert Health(RED, "").rank < Health(AMBER, "").rank < Health(GREEN, "").rank


# Budget: the project's own numbers, from its payments.


@pytest.mark.parametrize(
    ("payments", "level"),
    [
        pytest.param(["600.00", "400.00"], GREEN, id="exactly the budget"),
        pytest.param(["600.00", "400.01"], AMBER, id="a cent into the contingency"),
        pytest.param(["600.00", "500.00"], AMBER, id="exactly budget plus contingency"),
        pytest.param(["600.00", "500.01"], RED, id="a cent beyond"),
    ],
)
def test_a_projects_budget_health_follows_the_sum_of_its_payments(payments, level):
    project = project_with_payments(*payments, budget=Decimal("1000.00"), budget_buffer_percent=Decimal(10))

    assert project.budget_health.level == level


def test_a_projects_budget_reason_uses_its_own_currency():
    project = project_with_payments("1300.00", currency="GBP", budget=Decimal("1000.00"))

    assert project.budget_health == Health(RED, "spent 130% of budget, GBP 200.00 beyond the contingency")


def test_a_project_with_nothing_left_is_not_red():
    project = project_with_payments("366.71", budget=Decimal("333.37"), budget_buffer_percent=Decimal(10))

    assert project.remaining == Decimal("0.00")
    assert project.budget_health.level == AMBER


# Schedule: the pure function.


def test_due_today_is_on_time():
    assert health.lateness_health(what="the project", days_late=0, leeway_days=3) == Health(
        GREEN, "the project on time"
    )


def test_one_day_late_with_three_days_of_leeway_is_amber_with_two_days_left():
    assert health.lateness_health(what="the project", days_late=1, leeway_days=3) == Health(
        AMBER, "the project 1 day late, 2 days of leeway left"
    )


def test_two_days_late_with_three_days_of_leeway_leaves_one_day():
    assert health.lateness_health(what="the project", days_late=2, leeway_days=3) == Health(
        AMBER, "the project 2 days late, 1 day of leeway left"
    )


def test_late_by_exactly_the_leeway_is_still_amber_with_none_left():
    assert health.lateness_health(what="the project", days_late=3, leeway_days=3) == Health(
        AMBER, "the project 3 days late, 0 days of leeway left"
    )


def test_one_day_beyond_the_leeway_is_red():
    assert health.lateness_health(what="the project", days_late=4, leeway_days=3) == Health(
        RED, "the project 4 days late, 1 day beyond the leeway"
    )


def test_without_leeway_one_day_late_is_red():
    assert health.lateness_health(what="the project", days_late=1, leeway_days=0) == Health(
        RED, "the project 1 day late, 1 day beyond the leeway"
    )


# Schedule: the project, its due date and its open milestones, against today.


def test_a_project_due_today_is_green():
    assert late_project(0).schedule_health == Health(GREEN, "the project on time")


def test_a_project_one_day_late_with_three_days_of_leeway_is_amber():
    project = late_project(1, schedule_buffer_days=3)

    assert project.schedule_health == Health(AMBER, "the project 1 day late, 2 days of leeway left")


def test_a_project_late_by_exactly_its_leeway_is_amber():
    project = late_project(3, schedule_buffer_days=3)

    assert project.schedule_health == Health(AMBER, "the project 3 days late, 0 days of leeway left")


def test_a_project_one_day_beyond_its_leeway_is_red():
    project = late_project(4, schedule_buffer_days=3)

    assert project.schedule_health == Health(RED, "the project 4 days late, 1 day beyond the leeway")


def test_a_late_open_milestone_decides_over_a_project_that_is_on_time_and_is_named():
    project = late_project(-20, schedule_buffer_days=3)
    MilestoneFactory(project=project, title="Wireframes", due_on=timezone.localdate() - 2 * DAY)
    MilestoneFactory(project=project, title="Copy", due_on=timezone.localdate() - DAY)

    project = Project.objects.with_details().get(pk=project.pk)

    assert project.schedule_health == Health(
        AMBER, "milestone “Wireframes” 2 days late, 1 day of leeway left"
    )


def test_a_milestone_beyond_the_leeway_makes_the_project_red():
    project = late_project(-20, schedule_buffer_days=3)
    MilestoneFactory(project=project, title="Wireframes", due_on=timezone.localdate() - 5 * DAY)

    assert project.schedule_health == Health(
        RED, "milestone “Wireframes” 5 days late, 2 days beyond the leeway"
    )


@pytest.mark.parametrize("status", [Milestone.Status.APPROVED, Milestone.Status.CANCELLED])
def test_a_late_milestone_that_is_approved_or_cancelled_does_not_count(status):
    project = late_project(-20)
    MilestoneFactory(project=project, due_on=timezone.localdate() - 10 * DAY, status=status)

    assert project.schedule_health == Health(GREEN, "the project on time")


@pytest.mark.parametrize("status", [Milestone.Status.IN_PROGRESS, Milestone.Status.SUBMITTED])
def test_a_late_milestone_in_progress_or_submitted_still_counts(status):
    project = late_project(-20)
    MilestoneFactory(project=project, title="Logo", due_on=timezone.localdate() - DAY, status=status)

    assert project.schedule_health == Health(AMBER, "milestone “Logo” 1 day late, 2 days of leeway left")


def test_the_project_due_date_decides_when_it_is_later_than_every_open_milestone():
    project = late_project(4, schedule_buffer_days=3)
    MilestoneFactory(project=project, title="Logo", due_on=timezone.localdate() - DAY)

    assert project.schedule_health.reason == "the project 4 days late, 1 day beyond the leeway"


@pytest.mark.parametrize(
    ("status", "reason"),
    [(Project.Status.COMPLETED, "completed"), (Project.Status.CANCELLED, "cancelled")],
)
def test_a_finished_project_is_green_however_late_it_was(status, reason):
    project = late_project(30, status=status)
    MilestoneFactory(project=project, due_on=timezone.localdate() - 30 * DAY)

    assert project.schedule_health == Health(GREEN, reason)


# Overall.


def test_overall_health_is_the_budget_when_the_budget_is_worse():
    project = project_with_payments("1200.00", budget=Decimal("1000.00"), due_on=timezone.localdate())

    assert project.health == Health(RED, "spent 120% of budget, USD 100.00 beyond the contingency")


def test_overall_health_is_the_schedule_when_the_schedule_is_worse():
    project = late_project(1)
    PaymentFactory(project=project, amount=Decimal("100.00"))

    assert project.health == Health(AMBER, "the project 1 day late, 2 days of leeway left")


def test_overall_health_is_green_when_both_are_green():
    project = project_with_payments("100.00", due_on=timezone.localdate() + 5 * DAY)

    assert project.health.level == GREEN
