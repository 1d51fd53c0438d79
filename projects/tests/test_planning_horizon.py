"""Check-ins are planned up to a horizon (PLANNING_HORIZON_DAYS ahead), and a daily task
plans each day that comes inside it: one request plans a bounded number of rows however
far away the due date is."""

import datetime
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from milestones import planning, project_services
from milestones.models import CheckIn, Reminder
from milestones.tasks import top_up_checkins
from milestones.tests.processes import running_worker
from milestones.tests.waiting import wait_until
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
# Wednesday 11 June 2025, 08:00 in Berlin: before the 10:00 check-in slot.
NOW = datetime.datetime(2025, 6, 11, 6, 0, tzinfo=datetime.UTC)
TODAY = D(2025, 6, 11)
HORIZON = TODAY + 180 * DAY
IN_A_HUNDRED_YEARS = D(2125, 6, 11)


@pytest.fixture(autouse=True)
def frozen(request, monkeypatch, settings):
    if "worker" in request.fixturenames:
        return  # the worker process runs on the real clock and the default time zone
    settings.TIME_ZONE = "Europe/Berlin"
    settings.PLANNING_HORIZON_DAYS = 180
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def new_project(owner, *, milestones=(), **fields):
    """Started 1 June, due in a hundred years, a check-in every day; created as the form does."""
    fields = {
        "start_on": D(2025, 6, 1),
        "due_on": IN_A_HUNDRED_YEARS,
        "checkin_every_days": 1,
        "status": Project.Status.ACTIVE,
        **fields,
    }
    project = ProjectFactory.build(owner=owner, freelancer=None, **fields)
    return project_services.create_project(project=project, milestones=milestones, by=owner)


def planned_days(project):
    return [timezone.localdate(c.scheduled_for) for c in project.checkins.order_by("scheduled_for")]


def every_day(first, last, step=1):
    return [first + n * DAY for n in range(0, (last - first).days + 1, step)]


# Planning in one request.


@pytest.mark.parametrize("due_on", [TODAY + 365 * DAY, IN_A_HUNDRED_YEARS])
def test_a_project_due_in_a_hundred_years_plans_only_the_next_180_days_in_the_same_queries(
    owner, django_assert_num_queries, due_on
):
    project = new_project(owner, due_on=due_on, status=Project.Status.DRAFT)
    # Django caches content types once per process: looked up here, the count below does
    # not depend on which test ran first.
    ContentType.objects.get_for_model(CheckIn)

    # 1 savepoint, 2 the project locked, 3 its held check-ins, 4 its milestones, 5-7 its
    # upcoming check-ins and which of them hold writing or a sent link, 8 the new check-ins
    # in one insert, 9 blank ones left past the horizon (none), 10 savepoint released.
    with django_assert_num_queries(10):
        planning.plan_checkins(project=project)

    assert planned_days(project) == every_day(TODAY, HORIZON)
    assert len(planned_days(project)) == 181


def test_creating_a_project_due_in_a_hundred_years_plans_181_days_at_most(owner):
    project = new_project(owner)

    assert planned_days(project) == every_day(TODAY, HORIZON)


def test_the_horizon_is_a_setting(owner, settings):
    settings.PLANNING_HORIZON_DAYS = 30

    project = new_project(owner, checkin_every_days=7)

    assert planned_days(project) == every_day(D(2025, 6, 15), TODAY + 30 * DAY, step=7)


def test_re_planning_plans_only_inside_the_horizon_too(owner):
    project = new_project(owner)

    project.checkin_every_days = 2
    project_services.update_project(project=project, by=owner)

    assert planned_days(project) == every_day(D(2025, 6, 11), HORIZON, step=2)


def test_the_check_in_before_a_milestone_beyond_the_horizon_is_not_planned_yet(owner):
    launch = MilestoneFactory.build(title="Launch", due_on=HORIZON + 20 * DAY)

    project = new_project(owner, checkin_every_days=7, milestones=[launch])

    assert not project.checkins.filter(milestone=launch).exists()
    assert max(planned_days(project)) <= HORIZON


def test_blank_check_ins_planned_beyond_the_horizon_before_it_existed_go_but_written_ones_stay(owner):
    project = new_project(owner, checkin_every_days=7)
    far = [
        CheckInFactory(project=project, scheduled_for=planning.checkin_time(HORIZON + n * DAY))
        for n in (7, 14)
    ]
    far[1].progress_note = "Ask about the winter sale."
    far[1].save()

    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)

    assert not CheckIn.objects.filter(pk=far[0].pk).exists()
    assert CheckIn.objects.get(pk=far[1].pk).progress_note == "Ask about the winter sale."


def legacy_checkins(project, days):
    """Blank check-ins planned past the horizon, as planning did before there was one."""
    return [CheckInFactory(project=project, scheduled_for=planning.checkin_time(day)) for day in days]


def test_far_check_ins_planned_before_the_horizon_existed_go_a_bounded_number_at_a_time(owner, monkeypatch):
    monkeypatch.setattr(planning, "TRIM_BATCH", 3)
    project = new_project(owner, checkin_every_days=7)
    far = legacy_checkins(project, [HORIZON + n * DAY for n in range(20, 90, 7)])  # ten of them

    project.title = "Shop rebuild"
    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)
    assert CheckIn.objects.filter(pk__in=[c.pk for c in far]).count() == 7
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in far[:3]]).exists()  # the nearest first

    planning.top_up_checkins(now=NOW)
    planning.top_up_checkins(now=NOW)
    assert CheckIn.objects.filter(pk__in=[c.pk for c in far]).count() == 1

    planning.top_up_checkins(now=NOW)
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in far]).exists()
    assert max(planned_days(project)) <= HORIZON


def test_the_top_up_leaves_far_check_ins_holding_writing_or_an_emailed_link(owner):
    project = new_project(owner, checkin_every_days=7)
    written, emailed = legacy_checkins(project, [HORIZON + 10 * DAY, HORIZON + 20 * DAY])
    written.freelancer_progress = "Half the pages are done."
    written.save()
    Reminder.objects.create(
        kind=Reminder.Kind.CHECKIN_UPCOMING,
        target_type=ContentType.objects.get_for_model(CheckIn),
        target_id=emailed.pk,
        recipient="ana@example.com",
        project=project,
        due_slot=emailed.scheduled_for.isoformat(),
        state=Reminder.State.SENT,
    )

    planning.top_up_checkins(now=NOW)

    assert CheckIn.objects.get(pk=written.pk).freelancer_progress == "Half the pages are done."
    assert CheckIn.objects.filter(pk=emailed.pk).exists()


# The top-up, as time passes.


def test_ten_days_later_the_top_up_plans_the_ten_days_that_came_inside(owner):
    project = new_project(owner)
    before = set(project.checkins.values_list("pk", flat=True))

    planned = planning.top_up_checkins(now=NOW + 10 * DAY)

    assert planned == 10
    assert set(project.checkins.values_list("pk", flat=True)) > before
    assert planned_days(project) == every_day(TODAY, HORIZON + 10 * DAY)
    assert all(
        timezone.localtime(c.scheduled_for).time() == datetime.time(10) for c in project.checkins.all()
    )


def test_running_the_top_up_twice_adds_nothing(owner):
    project = new_project(owner, checkin_every_days=3)
    planning.top_up_checkins(now=NOW + 10 * DAY)
    after_first = list(project.checkins.order_by("pk").values_list("pk", "scheduled_for", "milestone"))

    assert planning.top_up_checkins(now=NOW + 10 * DAY) == 0
    assert (
        list(project.checkins.order_by("pk").values_list("pk", "scheduled_for", "milestone")) == after_first
    )


def test_the_top_up_follows_the_cadence_from_the_start_date(owner):
    project = new_project(owner, checkin_every_days=7)

    planning.top_up_checkins(now=NOW + 30 * DAY)

    assert planned_days(project) == every_day(D(2025, 6, 15), HORIZON + 30 * DAY, step=7)


def test_the_check_in_before_a_milestone_appears_when_the_window_reaches_it(owner):
    launch = MilestoneFactory.build(title="Launch", due_on=HORIZON + 20 * DAY)
    project = new_project(owner, checkin_every_days=7, milestones=[launch])

    planning.top_up_checkins(now=NOW + 18 * DAY)
    assert not project.checkins.filter(milestone=launch).exists()

    planning.top_up_checkins(now=NOW + 19 * DAY)
    before_launch = project.checkins.get(milestone=launch)
    assert timezone.localdate(before_launch.scheduled_for) == launch.due_on - DAY


def test_the_top_up_never_touches_a_held_or_written_check_in_nor_plans_a_second_on_its_day(owner):
    project = new_project(owner, checkin_every_days=7)
    on_a_planned_day = project.checkins.get(scheduled_for__date=D(2025, 6, 22))
    on_a_planned_day.freelancer_progress = "Half the pages are done."
    on_a_planned_day.save()
    held = project.checkins.get(scheduled_for__date=D(2025, 6, 29))
    held.held_on, held.progress_note = TODAY, "Early call, all fine."
    held.save()
    # A day the cadence does not plan: a check-in moved there by hand, with the owner's notes.
    moved = project.checkins.get(scheduled_for__date=D(2025, 7, 6))
    moved.scheduled_for, moved.next_steps = planning.checkin_time(D(2025, 7, 7)), "Send the copy."
    moved.save()
    rows = {c.pk: (c.scheduled_for, c.held_on, c.milestone_id) for c in (on_a_planned_day, held, moved)}

    planning.top_up_checkins(now=NOW + 10 * DAY)

    for pk, fields in rows.items():
        stored = CheckIn.objects.get(pk=pk)
        assert (stored.scheduled_for, stored.held_on, stored.milestone_id) == fields
    assert CheckIn.objects.get(pk=on_a_planned_day.pk).freelancer_progress == "Half the pages are done."
    assert CheckIn.objects.get(pk=held.pk).progress_note == "Early call, all fine."
    assert CheckIn.objects.get(pk=moved.pk).next_steps == "Send the copy."
    assert project.checkins.filter(scheduled_for__date=D(2025, 6, 22)).count() == 1
    assert project.checkins.filter(scheduled_for__date=D(2025, 6, 29)).count() == 1


def test_a_check_in_kept_far_ahead_does_not_stop_the_top_up_planning_the_days_before_it(owner):
    project = new_project(owner, checkin_every_days=7)
    CheckInFactory(
        project=project, scheduled_for=planning.checkin_time(HORIZON + 60 * DAY), questions="Hosting?"
    )

    planning.top_up_checkins(now=NOW + 30 * DAY)

    assert planned_days(project)[:-1] == every_day(D(2025, 6, 15), HORIZON + 30 * DAY, step=7)


@pytest.mark.parametrize("status", [Project.Status.DRAFT, Project.Status.ON_HOLD, Project.Status.COMPLETED])
def test_the_top_up_plans_nothing_for_a_project_that_is_not_active(owner, status):
    project = new_project(owner, status=status)

    planning.top_up_checkins(now=NOW + 10 * DAY)

    assert not project.checkins.exists()


def test_the_top_up_plans_nothing_after_the_due_date(owner):
    project = new_project(owner, due_on=HORIZON + 5 * DAY)

    planning.top_up_checkins(now=NOW + 10 * DAY)

    assert max(planned_days(project)) == HORIZON + 5 * DAY


@pytest.mark.parametrize("count", [2, 12])
def test_the_top_up_runs_the_same_queries_for_2_and_for_12_projects_in_a_batch(
    owner, django_assert_num_queries, count
):
    projects = [new_project(owner, checkin_every_days=2) for _ in range(count)]

    # 1 savepoint, 2 the batch of projects locked, 3 their check-ins inside the window,
    # 4 their milestones, 5 the new check-ins in one insert, 6 blank ones left past the
    # horizon (none), 7 savepoint released, 8 savepoint, 9 the next batch (empty), 10 savepoint released.
    with django_assert_num_queries(10):
        planned = planning.top_up_checkins(now=NOW + 10 * DAY)

    assert planned == 5 * count
    assert all(max(planned_days(project)) == HORIZON + 10 * DAY for project in projects)


def test_the_top_up_goes_through_every_batch(owner):
    projects = [new_project(owner, checkin_every_days=2) for _ in range(5)]

    planned = planning.top_up_checkins(now=NOW + 10 * DAY, batch_size=2)

    assert planned == 25
    assert all(max(planned_days(project)) == HORIZON + 10 * DAY for project in projects)


# Through Celery.


@pytest.fixture
def worker(transactional_db, tmp_path):
    with running_worker(tmp_path / "worker.log", queue=f"test-{uuid.uuid4().hex}") as running:
        yield running


@pytest.mark.slow
def test_a_real_worker_runs_the_daily_top_up(owner, worker):
    now = timezone.now()
    today = timezone.localdate(now)
    project = ProjectFactory(
        owner=owner, freelancer=None, start_on=today, due_on=today + 400 * DAY, checkin_every_days=1
    )
    # Planned ten days ago: the ten days since have not been planned yet.
    planning.plan_checkins(project=project, now=now - 10 * DAY)
    horizon = planning.planning_horizon(today)
    assert not project.checkins.filter(scheduled_for__date__gt=horizon - 10 * DAY).exists()

    top_up_checkins.apply_async(queue=worker.queue)

    wait_until(
        lambda: project.checkins.filter(scheduled_for__date=horizon).exists(),
        30,
        "the worker planned no check-in on the last day of the horizon",
        [worker],
    )
    assert project.checkins.filter(scheduled_for__date__gt=horizon - 10 * DAY).count() == 10
