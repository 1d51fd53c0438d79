"""Rules the database itself enforces for projects, milestones, payments, reviews and assignments.

Each rule is checked twice: the row is written without full_clean() (bulk_create or update(), as an
import or a script would) and must fail with IntegrityError, and the same row through full_clean()
must be refused with words a person can act on, beside the field to correct.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from projects.tests.factories import (
    AssignmentFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    ReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def project_with(**fields):
    def make():
        return ProjectFactory.build(owner=UserFactory(), freelancer=FreelancerFactory(), **fields)

    return make


def payment_of(amount):
    def make():
        return PaymentFactory.build(project=ProjectFactory(), amount=Decimal(amount))

    return make


def negative_milestone():
    return MilestoneFactory.build(project=ProjectFactory(), amount=Decimal("-0.01"))


def review_rated(**ratings):
    def make():
        project = ProjectFactory()
        return ReviewFactory.build(project=project, freelancer=project.freelancer, **ratings)

    return make


def assignment_ending_before_it_started():
    today = timezone.localdate()
    return AssignmentFactory.build(project=ProjectFactory(), started_on=today, ended_on=today - DAY)


def second_open_assignment():
    first = AssignmentFactory()
    return AssignmentFactory.build(project=first.project, freelancer=FreelancerFactory(), ended_on=None)


def second_review():
    first = ReviewFactory()
    return ReviewFactory.build(project=first.project, freelancer=first.freelancer)


def refused_by(constraint, raised):
    """Whether the database named `constraint` in its error (PostgreSQL and SQLite both do)."""
    return constraint in str(raised.value)


# An unsaved row breaking one rule, the constraint that must catch it, the field and words full_clean gives.
BROKEN_ROWS = [
    pytest.param(
        project_with(budget=Decimal("-0.01")),
        "project_budget_not_negative",
        "budget",
        "The budget cannot be negative.",
        id="negative budget",
    ),
    pytest.param(
        project_with(budget_buffer_percent=Decimal(150)),
        "project_buffer_percent_0_to_100",
        "budget_buffer_percent",
        "The contingency is a percentage from 0 to 100.",
        id="buffer 150%",
    ),
    pytest.param(
        project_with(start_on=datetime.date(2025, 6, 2), due_on=datetime.date(2025, 6, 1)),
        "project_due_after_start",
        "due_on",
        "The due date cannot be before the start.",
        id="due before start",
    ),
    pytest.param(
        project_with(checkin_every_days=0),
        "project_cadence_at_least_a_day",
        "checkin_every_days",
        "Check in at least every day, i.e. 1 or more.",
        id="cadence 0",
    ),
    pytest.param(
        payment_of("0"),
        "payment_amount_positive",
        "amount",
        "A payment must be more than zero.",
        id="payment 0",
    ),
    pytest.param(
        payment_of("-5.00"),
        "payment_amount_positive",
        "amount",
        "A payment must be more than zero.",
        id="negative payment",
    ),
    pytest.param(
        negative_milestone,
        "milestone_amount_not_negative",
        "amount",
        "The amount cannot be negative.",
        id="negative milestone",
    ),
    pytest.param(
        assignment_ending_before_it_started,
        "assignment_ends_after_start",
        "ended_on",
        "An assignment cannot end before it started.",
        id="assignment ends before start",
    ),
    pytest.param(
        second_open_assignment,
        "one_open_assignment_per_project",
        NON_FIELD_ERRORS,
        "This project already has a current freelancer.",
        id="second open assignment",
    ),
    pytest.param(
        second_review,
        "one_review_per_project_and_freelancer",
        "freelancer",
        "This freelancer has already been reviewed for this project.",
        id="second review",
    ),
]

# Ratings outside 1-5 are caught by the database constraint; full_clean reports them on the field.
BROKEN_RATINGS = [
    pytest.param(
        review_rated(**{field: rating}), f"review_{field}_1_to_5", field, rating, id=f"{field} {rating}"
    )
    for field in ["quality", "communication", "timeliness", "budget"]
    for rating in [0, 6]
]


def refused_by_constraint_or_unique_index(constraint, raised, model):
    # SQLite names the columns of a failed unique index ("UNIQUE constraint failed: table.column"), not
    # the index itself.
    unique_on_table = f"UNIQUE constraint failed: {model._meta.db_table}." in str(raised.value)
    return refused_by(constraint, raised) or unique_on_table


@pytest.mark.parametrize(
    ("make", "constraint"),
    [pytest.param(*p.values[:2], id=p.id) for p in BROKEN_ROWS + BROKEN_RATINGS],
)
def test_the_database_refuses_a_row_that_breaks_a_rule(make, constraint):
    row = make()
    model = type(row)
    before = model.objects.count()

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        model.objects.bulk_create([row])

    assert refused_by_constraint_or_unique_index(constraint, raised, model), raised.value
    assert model.objects.count() == before


@pytest.mark.parametrize(("make", "constraint", "field", "words"), BROKEN_ROWS)
def test_full_clean_refuses_a_row_that_breaks_a_rule_in_plain_words_beside_the_field(
    make, constraint, field, words
):
    row = make()

    with pytest.raises(ValidationError) as refused:
        row.full_clean()

    assert refused.value.message_dict == {field: [words]}


@pytest.mark.parametrize(("make", "constraint", "field", "rating"), BROKEN_RATINGS)
def test_full_clean_refuses_a_rating_out_of_range_beside_the_field(make, constraint, field, rating):
    row = make()

    with pytest.raises(ValidationError) as refused:
        row.full_clean()

    # The field's choices speak first; the constraint's own words would do as well.
    assert refused.value.message_dict in (
        {field: [f"Value {rating} is not a valid choice."]},
        {field: ["A rating goes from 1 to 5."]},
    )


def test_full_clean_accepts_the_edges_of_each_rule():
    project = ProjectFactory.build(
        owner=UserFactory(),
        freelancer=FreelancerFactory(),
        budget=Decimal(0),
        budget_buffer_percent=Decimal(100),
        start_on=datetime.date(2025, 6, 1),
        due_on=datetime.date(2025, 6, 1),
        checkin_every_days=1,
    )
    project.full_clean()
    project.save()
    today = timezone.localdate()

    PaymentFactory.build(project=project, amount=Decimal("0.01")).full_clean()
    MilestoneFactory.build(project=project, amount=Decimal(0)).full_clean()
    AssignmentFactory.build(project=project, started_on=today, ended_on=today).full_clean()
    ReviewFactory.build(
        project=project, freelancer=project.freelancer, quality=1, communication=5, timeliness=1, budget=5
    ).full_clean()


# A saved valid row, an update() that breaks one rule, the constraint that must catch it.
BREAKING_UPDATES = [
    pytest.param(ProjectFactory, {"budget": Decimal("-1")}, "project_budget_not_negative", id="budget"),
    pytest.param(
        ProjectFactory,
        {"budget_buffer_percent": Decimal(150)},
        "project_buffer_percent_0_to_100",
        id="buffer",
    ),
    pytest.param(
        ProjectFactory,
        {"due_on": datetime.date(2000, 1, 1)},
        "project_due_after_start",
        id="due before start",
    ),
    pytest.param(ProjectFactory, {"checkin_every_days": 0}, "project_cadence_at_least_a_day", id="cadence"),
    pytest.param(PaymentFactory, {"amount": Decimal(0)}, "payment_amount_positive", id="payment 0"),
    pytest.param(PaymentFactory, {"amount": Decimal("-1")}, "payment_amount_positive", id="payment negative"),
    pytest.param(
        MilestoneFactory, {"amount": Decimal("-1")}, "milestone_amount_not_negative", id="milestone"
    ),
    pytest.param(ReviewFactory, {"quality": 0}, "review_quality_1_to_5", id="rating 0"),
    pytest.param(ReviewFactory, {"timeliness": 6}, "review_timeliness_1_to_5", id="rating 6"),
    pytest.param(
        AssignmentFactory,
        {"ended_on": datetime.date(2000, 1, 1)},
        "assignment_ends_after_start",
        id="assignment ends before start",
    ),
]


@pytest.mark.parametrize(("make", "change", "constraint"), BREAKING_UPDATES)
def test_the_database_refuses_an_update_that_breaks_a_rule(make, change, constraint):
    row = make()
    model = type(row)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**change)

    assert refused_by(constraint, raised), raised.value
    stored = model.objects.get(pk=row.pk)
    assert all(getattr(stored, name) == getattr(row, name) for name in change)


def test_the_database_refuses_reopening_an_ended_assignment_beside_an_open_one():
    current = AssignmentFactory()
    ended = AssignmentFactory(
        project=current.project,
        freelancer=FreelancerFactory(),
        started_on=current.started_on,
        ended_on=current.started_on,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        type(ended).objects.filter(pk=ended.pk).update(ended_on=None)

    ended.refresh_from_db()
    assert ended.ended_on == current.started_on
