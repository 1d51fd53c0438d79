"""Admin changelists over big tables: no full COUNT, no date hierarchy, an indexed order,
and the same queries however many rows there are."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.admin_paging import EstimatedCountPaginator
from freelancers.models import Freelancer
from freelancers.tests.factories import AccessGrantFactory, FreelancerFactory, ReferenceFactory
from milestones.models import CheckIn, Reminder
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

# Changelist → its table.
BIG_TABLES = {
    "milestones_checkin": "milestones_checkin",
    "milestones_milestone": "milestones_milestone",
    "milestones_reminder": "milestones_reminder",
    "projects_payment": "projects_payment",
    "projects_project": "projects_project",
    "freelancers_freelancer": "freelancers_freelancer",
    "freelancers_reference": "freelancers_reference",
    "freelancers_accessgrant": "freelancers_accessgrant",
}


def changelist(page):
    return reverse(f"admin:{page}_changelist")


def add_rows(count):
    """`count` projects, each with a milestone, a payment, check-ins, a reminder, a reference
    and an access grant of its freelancer."""
    for n in range(count):
        freelancer = FreelancerFactory(status=Freelancer.Status.APPROVED)
        project = ProjectFactory(freelancer=freelancer, status=Project.Status.ACTIVE)
        milestone = MilestoneFactory(project=project)
        PaymentFactory(project=project, milestone=milestone)
        checkin = CheckInFactory(project=project, milestone=milestone)
        CheckInFactory(project=project, held_on=timezone.localdate(), scheduled_for=timezone.now())
        Reminder.objects.create(
            kind=Reminder.Kind.CHECKIN_UPCOMING,
            target=checkin,
            recipient=project.owner.email,
            user=project.owner,
            project=project,
            due_slot=f"slot {n}",
        )
        ReferenceFactory(freelancer=freelancer)
        AccessGrantFactory(freelancer=freelancer, project=project)


def analyze(*tables):
    """Have PostgreSQL note each table's size, as autovacuum does on a live database."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def counts_of_whole_table(queries, table):
    """The queries that count every row of `table`: a COUNT with no WHERE."""
    counted = re.compile(r'^SELECT COUNT\(\*\) AS "__count" FROM "(\w+)"\s*$')
    return [query["sql"] for query in queries if (m := counted.match(query["sql"])) and m.group(1) == table]


@pytest.fixture
def estimate_any_size(monkeypatch):
    """Trust the estimate even for the few rows of a test (a live table has millions)."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)


def test_an_unfiltered_changelist_takes_its_count_from_the_estimate(owner_client, estimate_any_size):
    for _ in range(30):
        CheckInFactory()
    analyze("milestones_checkin")

    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(changelist("milestones_checkin"))

    cl = response.context["cl"]
    assert counts_of_whole_table(queries, "milestones_checkin") == []
    assert isinstance(cl.paginator, EstimatedCountPaginator)
    assert cl.result_count == 30  # just analyzed, the estimate is exact
    assert cl.full_result_count is None  # no "(N total)" count either


def test_a_filtered_changelist_is_counted_exactly(owner_client, estimate_any_size):
    for _ in range(30):
        CheckInFactory()
    held = CheckInFactory(held_on=timezone.localdate())
    analyze("milestones_checkin")

    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(changelist("milestones_checkin"), {"held": "yes"})

    assert list(response.context["cl"].result_list) == [held]
    assert response.context["cl"].result_count == 1
    assert any("COUNT(*)" in query["sql"] and "held_on" in query["sql"] for query in queries)


def test_a_search_is_counted_exactly(owner_client, estimate_any_size):
    ProjectFactory(title="Shop relaunch")
    for _ in range(5):
        ProjectFactory()
    analyze("projects_project")

    response = owner_client.get(changelist("projects_project"), {"q": "relaunch"})

    assert [project.title for project in response.context["cl"].result_list] == ["Shop relaunch"]
    assert response.context["cl"].result_count == 1


def test_a_table_never_analyzed_is_counted_exactly(owner_client):
    for _ in range(3):
        CheckInFactory()

    response = owner_client.get(changelist("milestones_checkin"))

    assert response.context["cl"].result_count == 3


@pytest.mark.parametrize("page", BIG_TABLES)
def test_no_big_changelist_counts_its_whole_table_or_reads_every_date(owner_client, estimate_any_size, page):
    add_rows(3)
    analyze(*BIG_TABLES.values())

    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(changelist(page))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == response.context["cl"].result_count
    assert counts_of_whole_table(queries, BIG_TABLES[page]) == []
    # A date hierarchy asks for the first and last date together and every distinct month or day.
    assert not [
        query["sql"]
        for query in queries
        if "DATE_TRUNC" in query["sql"] or ("MIN(" in query["sql"] and "MAX(" in query["sql"])
    ]


# Queries per changelist, the same for 2 and for 12 rows of everything: session, user, the
# user's and their groups' permissions, the table's estimated size and (a small table) its
# exact count, the page of rows with what it shows joined in; and per page:
EXTRA_QUERIES = {
    "milestones_checkin": 0,
    "milestones_milestone": 0,
    "milestones_reminder": 0,
    "projects_payment": 1,  # the currencies for the filter
    "projects_project": 0,
    "freelancers_freelancer": 1,  # the skills for the filter
    "freelancers_reference": 0,
    "freelancers_accessgrant": 0,
}


@pytest.mark.parametrize("page", BIG_TABLES)
def test_a_big_changelist_runs_the_same_queries_for_2_and_for_12_rows(
    owner_client, django_assert_num_queries, page
):
    ContentType.objects.get_for_model(CheckIn)  # cached from then on, as in a running server
    for size in (2, 12):
        add_rows(size - Project.objects.count())
        with django_assert_num_queries(7 + EXTRA_QUERIES[page]):
            response = owner_client.get(changelist(page))
        assert response.context["cl"].result_count == size * (2 if page == "milestones_checkin" else 1)


def test_check_ins_filter_by_a_range_around_today(owner_client):
    now = timezone.now()
    soon = CheckInFactory(scheduled_for=now + datetime.timedelta(days=3))
    CheckInFactory(scheduled_for=now + datetime.timedelta(days=20))
    CheckInFactory(scheduled_for=now - datetime.timedelta(days=3))

    response = owner_client.get(changelist("milestones_checkin"), {"scheduled": "next_7"})

    assert list(response.context["cl"].result_list) == [soon]
