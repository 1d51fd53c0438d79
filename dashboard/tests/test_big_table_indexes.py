"""The queries that run over the biggest tables can go through an index.

Each test takes the SQL a page or the scan really runs and asks PostgreSQL for its plan
with sequential scans (and, for an order, sorts) priced out: the named index appears
only if it can serve the query.
A small test table would otherwise be scanned whatever indexes exist.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard import panels
from milestones import scan
from milestones.models import CheckIn, Reminder
from projects.models import Project
from projects.tests.factories import CheckInFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def plan(sql, *, sorting=True):
    with connection.cursor() as cursor:
        # Fresh statistics, whatever earlier tests left in these tables' counters.
        cursor.execute("ANALYZE milestones_checkin, milestones_reminder")
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
