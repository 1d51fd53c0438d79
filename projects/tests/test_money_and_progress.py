"""Spent, committed, contingency, remaining and progress: exact Decimal money, in fixed queries."""

from decimal import Decimal

import pytest

from common.money import format_money
from milestones.models import Milestone
from projects.models import Project
from projects.tests.factories import MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

Status = Milestone.Status


def fresh(project):
    return Project.objects.with_details().get(pk=project.pk)


def test_spent_is_the_exact_decimal_sum_of_the_payments():
    project = ProjectFactory()
    PaymentFactory(project=project, amount=Decimal("0.10"))
    PaymentFactory(project=project, amount=Decimal("0.20"))

    spent = fresh(project).spent

    assert spent == Decimal("0.30")
    assert isinstance(spent, Decimal)


def test_spent_is_zero_without_payments():
    spent = fresh(ProjectFactory()).spent

    assert spent == Decimal(0)
    assert isinstance(spent, Decimal)


def test_spent_counts_only_the_projects_own_payments():
    project = ProjectFactory()
    PaymentFactory(project=project, amount=Decimal("40.00"))
    PaymentFactory(amount=Decimal("999.00"))

    assert fresh(project).spent == Decimal("40.00")


def test_committed_adds_up_the_milestones_but_leaves_cancelled_ones_out():
    project = ProjectFactory()
    MilestoneFactory(project=project, amount=Decimal("250.25"), status=Status.APPROVED)
    MilestoneFactory(project=project, amount=Decimal("100.50"), status=Status.PLANNED)
    MilestoneFactory(project=project, amount=Decimal("75.00"), status=Status.SUBMITTED)
    MilestoneFactory(project=project, amount=Decimal("500.00"), status=Status.CANCELLED)

    assert fresh(project).committed == Decimal("425.75")


def test_committed_is_zero_without_milestones():
    assert fresh(ProjectFactory()).committed == Decimal(0)


@pytest.mark.parametrize(
    ("budget", "percent", "contingency", "with_contingency"),
    [
        ("1000.00", "10", "100.00", "1100.00"),
        ("333.33", "10", "33.33", "366.66"),
        ("333.37", "10", "33.34", "366.71"),
        ("99.99", "12.5", "12.50", "112.49"),
        ("1234.56", "0", "0.00", "1234.56"),
        ("0.00", "50", "0.00", "0.00"),
        ("2500.00", "100", "2500.00", "5000.00"),
    ],
)
def test_the_contingency_is_the_buffer_percentage_of_the_budget_rounded_to_cents(
    budget, percent, contingency, with_contingency
):
    project = ProjectFactory(budget=Decimal(budget), budget_buffer_percent=Decimal(percent))
    project.refresh_from_db()

    assert project.contingency == Decimal(contingency)
    assert project.contingency.as_tuple().exponent == -2
    assert project.budget_with_contingency == Decimal(with_contingency)


def test_remaining_counts_the_contingency_as_money_still_there():
    project = ProjectFactory(budget=Decimal("1000.00"), budget_buffer_percent=Decimal(10))
    PaymentFactory(project=project, amount=Decimal("300.00"))

    assert fresh(project).remaining == Decimal("800.00")


def test_remaining_is_negative_when_the_spending_is_beyond_the_contingency():
    project = ProjectFactory(budget=Decimal("1000.00"), budget_buffer_percent=Decimal(10))
    PaymentFactory(project=project, amount=Decimal("1000.00"))
    PaymentFactory(project=project, amount=Decimal("150.55"))

    project = fresh(project)

    assert project.remaining == Decimal("-50.55")
    assert format_money(project.remaining, project.currency) == "USD -50.55"


def test_progress_is_zero_without_milestones():
    assert fresh(ProjectFactory()).progress_percent == 0


def test_progress_is_zero_when_every_milestone_is_cancelled():
    project = ProjectFactory()
    MilestoneFactory(project=project, status=Status.CANCELLED)

    assert fresh(project).progress_percent == 0


def test_progress_is_the_share_of_approved_milestones_among_those_not_cancelled():
    project = ProjectFactory()
    MilestoneFactory(project=project, status=Status.APPROVED)
    MilestoneFactory(project=project, status=Status.SUBMITTED)
    MilestoneFactory(project=project, status=Status.IN_PROGRESS)
    MilestoneFactory(project=project, status=Status.CANCELLED)

    assert fresh(project).progress_percent == 33


def test_progress_is_a_hundred_when_every_remaining_milestone_is_approved():
    project = ProjectFactory()
    MilestoneFactory(project=project, status=Status.APPROVED)
    MilestoneFactory(project=project, status=Status.APPROVED)
    MilestoneFactory(project=project, status=Status.CANCELLED)

    assert fresh(project).progress_percent == 100


def test_two_of_three_approved_rounds_to_sixty_seven_percent():
    project = ProjectFactory()
    MilestoneFactory(project=project, status=Status.APPROVED)
    MilestoneFactory(project=project, status=Status.APPROVED)
    MilestoneFactory(project=project, status=Status.PLANNED)

    assert fresh(project).progress_percent == 67


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        ("1234567.89", "USD", "USD 1,234,567.89"),
        ("1000", "EUR", "EUR 1,000.00"),
        ("999.9", "GBP", "GBP 999.90"),
        ("0", "USD", "USD 0.00"),
        ("-1234.5", "USD", "USD -1,234.50"),
    ],
)
def test_money_is_shown_with_the_currency_two_decimals_and_thousands_separators(amount, currency, words):
    assert format_money(Decimal(amount), currency) == words


def test_an_unknown_amount_is_shown_as_nothing():
    assert format_money(None, "USD") == ""


def test_a_projects_money_is_formatted_from_its_own_numbers():
    project = ProjectFactory(budget=Decimal("1200000.00"), budget_buffer_percent=Decimal(10), currency="EUR")
    PaymentFactory(project=project, amount=Decimal("1000000.00"))
    PaymentFactory(project=project, amount=Decimal("234567.89"))

    project = fresh(project)

    assert format_money(project.spent, project.currency) == "EUR 1,234,567.89"
    assert format_money(project.budget_with_contingency, project.currency) == "EUR 1,320,000.00"
    assert format_money(project.remaining, project.currency) == "EUR 85,432.11"


def make_projects(count):
    for n in range(count):
        project = ProjectFactory(budget=Decimal("1000.00"))
        MilestoneFactory(project=project, amount=Decimal("400.00"), status=Status.APPROVED)
        MilestoneFactory(project=project, amount=Decimal("600.00"))
        PaymentFactory(project=project, amount=Decimal("400.00"))
        PaymentFactory(project=project, amount=Decimal(n + 1))


@pytest.mark.parametrize("count", [2, 20])
def test_a_list_of_projects_reads_money_health_and_progress_in_three_queries(
    count, django_assert_num_queries
):
    make_projects(count)

    # 1. the projects joined with their freelancer and owner
    # 2. their milestones
    # 3. their payments
    with django_assert_num_queries(3):
        rows = [
            (
                project.freelancer.name,
                project.owner.username,
                project.spent,
                project.committed,
                project.remaining,
                project.budget_health,
                project.schedule_health,
                project.health,
                project.progress_percent,
            )
            for project in Project.objects.with_details()
        ]

    assert len(rows) == count
    assert {row[3] for row in rows} == {Decimal("1000.00")}
    assert {row[8] for row in rows} == {50}
    assert sorted(row[2] for row in rows) == [Decimal(401 + n) for n in range(count)]
