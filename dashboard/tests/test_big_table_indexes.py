"""The queries that run over the biggest tables can go through an index.

Each test takes the SQL a page or the scan really runs and asks PostgreSQL for its plan
with sequential scans (and, for an order, sorts) priced out: the named index appears
only if it can serve the query.
A small test table would otherwise be scanned whatever indexes exist.
"""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard import panels
from milestones import scan
from milestones.models import CheckIn, Milestone, Reminder
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def plan(sql, *, sorting=True):
    with connection.cursor() as cursor:
        # Fresh statistics, whatever earlier tests left in these tables' counters.
        cursor.execute("ANALYZE milestones_checkin, milestones_milestone, milestones_reminder")
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Priced out too, a sort is still used where no index gives the order.
        cursor.execute(f"SET LOCAL enable_sort = {'on' if sorting else 'off'}")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def captured(run, *words):
    """The SQL of the one query `run` makes that holds all of `words`."""
    with CaptureQueriesContext(connection) as queries:
        run()
    matching = [q["sql"] for q in queries if all(word in q["sql"] for word in words)]
    assert len(matching) == 1, matching
    return matching[0]


def test_unread_updates_come_from_their_partial_index():
    CheckInFactory(freelancer_progress="Done", freelancer_updated_at=timezone.now())

    sql = captured(panels.unread_updates, '"update_read_at" IS NULL')

    assert "checkin_unread_update_idx" in plan(sql, sorting=False)


def test_this_weeks_check_ins_are_read_in_time_order_from_the_index_of_those_still_to_hold():
    CheckInFactory(scheduled_for=timezone.now() + datetime.timedelta(days=1))

    sql = captured(lambda: panels.week_checkins(timezone.now()), '"held_on" IS NULL', "LIMIT 8")

    steps = plan(sql, sorting=False)
    assert "checkin_planned_idx" in steps
    assert "  ->  Sort " not in steps


def test_this_weeks_milestones_are_read_in_date_order_from_the_index_of_open_ones():
    MilestoneFactory(project=ProjectFactory(status=Project.Status.ACTIVE))

    sql = captured(lambda: panels.week_milestones(timezone.now()), '"milestones_milestone"', "LIMIT 8")

    steps = plan(sql, sorting=False)
    assert "milestone_open_due_idx" in steps
    assert "  ->  Sort " not in steps


def test_the_check_ins_page_reads_its_overdue_and_upcoming_pages_from_the_index_of_those_still_to_hold(
    owner_client,
):
    project = ProjectFactory(status=Project.Status.ACTIVE)
    CheckInFactory(project=project, scheduled_for=timezone.now() - datetime.timedelta(days=1))
    CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        owner_client.get(reverse("milestones:checkins"))
    pages = [
        q["sql"].rsplit(" LIMIT ", 1)[0]
        for q in queries
        if q["sql"].startswith('SELECT "milestones_checkin"."id"') and '"held_on" IS NULL' in q["sql"]
    ]

    assert len(pages) == 2  # the overdue page and the upcoming page
    for sql in pages:
        # A few rows fit on one page; over a big table the same query is cut to a page.
        steps = plan(sql + " LIMIT 25", sorting=False)
        assert "checkin_planned_idx" in steps
        assert "  ->  Sort " not in steps


def test_the_open_milestones_index_leaves_out_exactly_the_finished_statuses():
    index = next(index for index in Milestone._meta.indexes if index.name == "milestone_open_due_idx")

    # The index's condition is written out (the model's FINISHED is not in reach of its Meta).
    assert index.condition == ~Q(status__in=sorted(Milestone.FINISHED))


def test_the_database_connection_does_not_jit_compile():
    # PostgreSQL's estimate for a filter on subqueries (the project list's health) passes
    # jit_above_cost on ten thousand projects, and compiling cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_gone_quiet_reads_the_last_held_check_in_from_its_index():
    project = ProjectFactory(status=Project.Status.ACTIVE)
    CheckInFactory(project=project, held_on=timezone.localdate() - datetime.timedelta(days=30))

    sql = captured(lambda: list(scan.due_now()), '"held_on" IS NOT NULL', "LIMIT 1")

    assert "checkin_last_held_idx" in plan(sql, sorting=False)


def test_the_dry_run_finds_reminders_by_their_target_through_an_index():
    project = ProjectFactory(status=Project.Status.ACTIVE)
    CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(hours=2))

    sql = captured(lambda: scan.scan(dry_run=True), '"milestones_reminder"', '"target_id" IN')

    # Its few rows are sorted after they are found; the finding is what must not scan the log.
    assert "reminder_target_idx" in plan(sql.split(" ORDER BY ")[0])


@pytest.mark.parametrize(
    "page, index",
    [
        ("milestones_checkin", "checkin_due_idx"),
        ("milestones_milestone", "milestone_due_idx"),
        ("milestones_reminder", "reminder_created_idx"),
        ("projects_payment", "payment_paid_on_idx"),
        ("projects_project", "project_due_idx"),
        ("freelancers_freelancer", "freelancer_name_idx"),
    ],
)
def test_a_big_changelist_reads_its_page_along_an_index(owner_client, page, index):
    def changelist():
        owner_client.get(reverse(f"admin:{page}_changelist"))

    # A few rows fit on one page; over a big table the same query is cut to a page.
    sql = captured(changelist, f'SELECT "{page}"."id"', "ORDER BY") + " LIMIT 50"

    steps = plan(sql, sorting=False)
    assert index in steps
    assert "  ->  Sort " not in steps  # the page is read in order, not sorted out of every row


def test_nothing_is_left_to_guess_about_the_check_in_models():
    # The indexes these tests name are the models' own, not created by hand.
    names = {index.name for model in (CheckIn, Reminder) for index in model._meta.indexes}
    assert {"checkin_unread_update_idx", "checkin_last_held_idx", "reminder_target_idx"} <= names
