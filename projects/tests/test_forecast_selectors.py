"""Forecasts read from the database: the payments summed in SQL agree with the pure function
at every boundary of the window, the share done counts only for the milestone it was said of,
and many projects cost the same two queries as a few."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from milestones.models import Milestone
from projects import forecast, selectors
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def today():
    return timezone.localdate()


def declare(milestone, percent, *, minutes_ago=0):
    """The freelancer said `percent` of `milestone` is done, `minutes_ago` minutes ago."""
    return CheckInFactory(
        project=milestone.project,
        freelancer_progress="Going well.",
        freelancer_on_track="green",
        freelancer_percent_done=percent,
        freelancer_percent_of=milestone,
        freelancer_updated_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )


def from_sql(project, today):
    loaded = Project.objects.with_spending(today).get(pk=project.pk)
    return selectors.forecasts([loaded], today)[project.pk]


def from_page(project, today):
    loaded = Project.objects.with_details().get(pk=project.pk)
    return selectors.forecast_for(loaded, today)


@pytest.mark.parametrize(
    ("age", "offsets"),
    [
        (40, [-31, -30, -29, 0, 1]),  # the last 30 days, today included, not tomorrow
        (10, [-10, -9, 0, 3]),  # younger: since the start
        (0, [0, 2]),  # the first day: no rate yet
    ],
)
def test_the_payments_summed_in_sql_agree_with_the_pure_function(today, age, offsets):
    project = ProjectFactory(start_on=today - age * DAY, due_on=today + 30 * DAY)
    for number, offset in enumerate(offsets):
        PaymentFactory(project=project, amount=Decimal(10 + number), paid_on=today + offset * DAY)
    payments = [(payment.amount, payment.paid_on) for payment in project.payments.all()]

    loaded = Project.objects.with_spending(today).get(pk=project.pk)

    assert (loaded.paid_to_date, loaded.paid_recently) == forecast.spending(
        payments, start=project.start_on, today=today
    )
    assert from_sql(project, today) == from_page(project, today)


def test_the_issues_example_read_from_the_database(today):
    project = ProjectFactory(start_on=today - 40 * DAY, due_on=today + 40 * DAY, budget=Decimal("1000.00"))
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today - 20 * DAY, status="approved")
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today + 40 * DAY)
    PaymentFactory(project=project, amount=Decimal("625.00"), paid_on=today - 10 * DAY)

    result = from_sql(project, today)

    assert (result.pv, result.ev, result.ac, result.eac) == (
        Decimal("666.67"),
        Decimal("500.00"),
        Decimal("625.00"),
        Decimal("1250.00"),
    )
    assert (forecast.two_places(result.cpi), forecast.two_places(result.spi)) == (
        Decimal("0.80"),
        Decimal("0.75"),
    )
    assert result == from_page(project, today)


def test_the_latest_share_declared_of_the_current_milestone_earns_value(today):
    project = ProjectFactory(budget=Decimal("1000.00"))
    current = MilestoneFactory(project=project, amount=Decimal("400.00"), due_on=today + 5 * DAY)
    MilestoneFactory(project=project, amount=Decimal("600.00"), due_on=today + 15 * DAY)
    declare(current, 20, minutes_ago=60)
    declare(current, 50, minutes_ago=5)

    assert from_sql(project, today).ev == Decimal("200.00")  # 50% of 400.00
    assert from_page(project, today).ev == Decimal("200.00")


def test_a_share_declared_of_a_milestone_since_approved_does_not_count_for_the_next(today):
    project = ProjectFactory(budget=Decimal("1000.00"))
    first = MilestoneFactory(project=project, amount=Decimal("400.00"), due_on=today - 2 * DAY)
    MilestoneFactory(project=project, amount=Decimal("600.00"), due_on=today + 15 * DAY)
    declare(first, 90)
    Milestone.objects.filter(pk=first.pk).update(status=Milestone.Status.APPROVED)

    assert from_sql(project, today).ev == Decimal("400.00")
    assert from_page(project, today).ev == Decimal("400.00")


def test_a_share_declared_of_a_later_milestone_waits_until_it_is_current(today):
    project = ProjectFactory(budget=Decimal("1000.00"))
    MilestoneFactory(project=project, amount=Decimal("400.00"), due_on=today + 2 * DAY, order=1)
    later = MilestoneFactory(project=project, amount=Decimal("600.00"), due_on=today + 15 * DAY, order=2)
    declare(later, 50)

    assert from_sql(project, today).ev == Decimal("0.00")
    assert from_page(project, today).ev == Decimal("0.00")


def test_two_milestones_due_the_same_day_take_turns_by_their_order(today):
    project = ProjectFactory(budget=Decimal("1000.00"))
    second = MilestoneFactory(project=project, amount=Decimal("600.00"), due_on=today + 5 * DAY, order=2)
    first = MilestoneFactory(project=project, amount=Decimal("400.00"), due_on=today + 5 * DAY, order=1)
    declare(first, 50)
    declare(second, 10)

    assert Milestone.objects.filter(project=project).current() == first
    assert from_sql(project, today).ev == Decimal("200.00")
    assert from_page(project, today).ev == Decimal("200.00")


@pytest.mark.parametrize("count", [3, 30])
def test_many_projects_cost_the_same_two_queries_as_a_few(today, count, django_assert_num_queries):
    for number in range(count):
        project = ProjectFactory(start_on=today - (number + 1) * DAY)
        milestone = MilestoneFactory(project=project, due_on=today + DAY)
        MilestoneFactory(project=project, due_on=today + 9 * DAY)
        PaymentFactory(project=project, paid_on=today - DAY)
        declare(milestone, 30)

    # The projects with their payments summed; their milestones with the last share declared of each.
    with django_assert_num_queries(2):
        results = selectors.forecasts(Project.objects.with_spending(today), today)

    assert len(results) == count
    assert all(result.ev == Decimal("75.00") for result in results.values())


def test_no_projects_cost_no_milestone_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.forecasts([]) == {}


def test_the_project_page_forecast_costs_one_query(today, django_assert_num_queries):
    project = ProjectFactory()
    for offset in range(5):
        declare(MilestoneFactory(project=project, due_on=today + offset * DAY), 10)
        PaymentFactory(project=project, paid_on=today - offset * DAY)
    loaded = Project.objects.with_details().get(pk=project.pk)
    list(loaded.milestones.all()), list(loaded.payments.all())

    # The shares declared of the project's milestones.
    with django_assert_num_queries(1):
        selectors.forecast_for(loaded, today)
