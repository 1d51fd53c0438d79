"""Check-ins every N days and the day before each milestone, at 10:00 local time, re-planned safely."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from milestones import planning, project_services
from milestones.models import CheckIn, Milestone, Reminder
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory
from projects.tests.form_posts import fill_new_row, row_of, save_edit_page

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
# Wednesday 11 June 2025, 08:00 in Berlin (summer time, UTC+2): before the 10:00 check-in slot.
NOW = datetime.datetime(2025, 6, 11, 6, 0, tzinfo=datetime.UTC)
TODAY = D(2025, 6, 11)


@pytest.fixture(autouse=True)
def frozen(monkeypatch, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def new_project(owner, *, status=Project.Status.ACTIVE, milestones=(), **fields):
    """Start 1 June, due 30 June, every 7 days, created through the service as the form does."""
    fields = {"start_on": D(2025, 6, 1), "due_on": D(2025, 6, 30), "checkin_every_days": 7, **fields}
    project = ProjectFactory.build(owner=owner, freelancer=None, status=status, **fields)
    return project_services.create_project(project=project, milestones=milestones, by=owner)


def planned_days(project):
    return [timezone.localdate(c.scheduled_for) for c in project.checkins.planned().order_by("scheduled_for")]


# checkin_dates, the calendar arithmetic.


def test_check_ins_fall_every_n_days_after_the_start_up_to_the_due_date():
    days = planning.checkin_dates(start=D(2025, 6, 1), due=D(2025, 6, 30), every_days=7, today=D(2025, 6, 1))

    assert days == [D(2025, 6, 8), D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


def test_a_check_in_falls_on_the_due_date_when_the_cadence_reaches_it():
    days = planning.checkin_dates(start=D(2025, 6, 1), due=D(2025, 6, 15), every_days=7, today=D(2025, 6, 1))

    assert days == [D(2025, 6, 8), D(2025, 6, 15)]


def test_extra_dates_are_added_once_and_everything_is_sorted():
    days = planning.checkin_dates(
        start=D(2025, 6, 1),
        due=D(2025, 6, 30),
        every_days=7,
        extra=[D(2025, 6, 19), D(2025, 6, 15), D(2025, 6, 10), D(2025, 6, 19)],
        today=D(2025, 6, 1),
    )

    assert days == [
        D(2025, 6, 8),
        D(2025, 6, 10),
        D(2025, 6, 15),
        D(2025, 6, 19),
        D(2025, 6, 22),
        D(2025, 6, 29),
    ]
    assert len(days) == len(set(days))


def test_only_today_and_later_dates_are_kept():
    days = planning.checkin_dates(
        start=D(2025, 6, 1),
        due=D(2025, 6, 30),
        every_days=7,
        extra=[D(2025, 6, 10), D(2025, 6, 16)],
        today=D(2025, 6, 15),
    )

    assert days == [D(2025, 6, 15), D(2025, 6, 16), D(2025, 6, 22), D(2025, 6, 29)]


def test_extra_dates_before_the_start_are_dropped():
    days = planning.checkin_dates(
        start=D(2025, 6, 10), due=D(2025, 6, 20), every_days=7, extra=[D(2025, 6, 9)], today=D(2025, 6, 1)
    )

    assert days == [D(2025, 6, 17)]


def test_a_finished_schedule_has_no_dates_left():
    days = planning.checkin_dates(start=D(2025, 6, 1), due=D(2025, 6, 30), every_days=7, today=D(2025, 7, 1))

    assert days == []


def test_a_daily_cadence_gives_every_day():
    days = planning.checkin_dates(start=D(2025, 6, 1), due=D(2025, 6, 5), every_days=1, today=D(2025, 6, 3))

    assert days == [D(2025, 6, 3), D(2025, 6, 4), D(2025, 6, 5)]


# plan_checkins on a project.


def test_an_active_project_gets_check_ins_on_the_cadence_from_today(owner):
    project = new_project(owner)

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


def test_check_ins_are_at_ten_in_the_morning_local_time_and_stored_in_utc(owner):
    project = new_project(owner)

    for checkin in CheckIn.objects.filter(project=project):
        assert timezone.localtime(checkin.scheduled_for).time() == datetime.time(10, 0)
        # Berlin is two hours ahead of UTC in June.
        assert checkin.scheduled_for.astimezone(datetime.UTC).time() == datetime.time(8, 0)
    assert CheckIn.objects.filter(project=project).count() == 3


def test_the_day_before_each_open_milestone_gets_a_check_in_linked_to_it(owner):
    design = MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20))
    build = MilestoneFactory.build(title="Build", due_on=D(2025, 6, 23))
    project = new_project(owner, milestones=[design, build])

    linked = {
        timezone.localdate(c.scheduled_for): c.milestone.title if c.milestone else None
        for c in project.checkins.all()
    }

    # 22 June is both on the cadence and the day before "Build": one check-in, for the milestone.
    assert linked == {
        D(2025, 6, 15): None,
        D(2025, 6, 19): "Design",
        D(2025, 6, 22): "Build",
        D(2025, 6, 29): None,
    }


def test_a_finished_milestone_gets_no_check_in_of_its_own(owner):
    done = MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20), status=Milestone.Status.APPROVED)
    dropped = MilestoneFactory.build(title="Logo", due_on=D(2025, 6, 25), status=Milestone.Status.CANCELLED)
    project = new_project(owner, milestones=[done, dropped])

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]
    assert not project.checkins.filter(milestone__isnull=False).exists()


def test_a_milestone_due_tomorrow_gets_a_check_in_this_morning_if_ten_oclock_is_still_ahead(owner):
    project = new_project(owner, milestones=[MilestoneFactory.build(title="Copy", due_on=TODAY + DAY)])

    assert planned_days(project)[0] == TODAY


def test_a_check_in_today_is_not_planned_once_ten_oclock_has_passed(owner, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW + datetime.timedelta(hours=3))  # 11:00 in Berlin

    project = new_project(owner, milestones=[MilestoneFactory.build(title="Copy", due_on=TODAY + DAY)])

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


def test_a_draft_project_gets_no_check_ins(owner):
    project = new_project(owner, status=Project.Status.DRAFT)

    assert not CheckIn.objects.filter(project=project).exists()


def test_making_a_project_active_plans_its_check_ins(owner):
    project = new_project(owner, status=Project.Status.DRAFT)

    project_services.change_status(project=project, status=Project.Status.ACTIVE, by=owner)

    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


def test_putting_a_project_on_hold_plans_nothing(owner):
    project = new_project(owner, status=Project.Status.DRAFT)

    project_services.change_status(project=project, status=Project.Status.ON_HOLD, by=owner)

    assert not CheckIn.objects.filter(project=project).exists()


def test_making_an_active_project_active_again_does_not_duplicate_check_ins(owner):
    project = new_project(owner)

    project_services.change_status(project=project, status=Project.Status.ACTIVE, by=owner)

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


# Re-planning.


@pytest.fixture
def replanned(owner):
    """Planned every 7 days, with a missed past check-in and one held early, then set to every 3 days."""
    project = new_project(owner, milestones=[MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20))])
    past = CheckInFactory(project=project, scheduled_for=NOW - 3 * DAY)
    held = project.checkins.get(scheduled_for__date=D(2025, 6, 15))
    held.held_on = TODAY
    held.progress_note = "Ahead of plan."
    held.save()
    old_planned = set(project.checkins.planned().filter(scheduled_for__gte=NOW).values_list("pk", flat=True))

    project.checkin_every_days = 3
    project_services.update_project(project=project, by=owner)
    return project, past, held, old_planned


def test_changing_the_cadence_plans_the_future_check_ins_again(replanned):
    project, past, held, old_planned = replanned

    upcoming = project.checkins.upcoming()
    assert [timezone.localdate(c.scheduled_for) for c in upcoming.order_by("scheduled_for")] == [
        D(2025, 6, 13),
        D(2025, 6, 16),
        D(2025, 6, 19),
        D(2025, 6, 22),
        D(2025, 6, 25),
        D(2025, 6, 28),
    ]
    assert upcoming.get(scheduled_for__date=D(2025, 6, 19)).milestone.title == "Design"
    # The same rows where their day is still planned (19th, 22nd), the 29th moved to the 28th:
    # links already sent for them keep working.
    assert sorted(timezone.localdate(c.scheduled_for) for c in upcoming.filter(pk__in=old_planned)) == [
        D(2025, 6, 19),
        D(2025, 6, 22),
        D(2025, 6, 28),
    ]


def test_re_planning_never_touches_a_held_check_in(replanned):
    project, past, held, old_planned = replanned

    stored = CheckIn.objects.get(pk=held.pk)
    assert stored.held_on == TODAY
    assert stored.progress_note == "Ahead of plan."
    assert stored.scheduled_for == held.scheduled_for


def test_re_planning_never_touches_a_past_check_in(replanned):
    project, past, held, old_planned = replanned

    stored = CheckIn.objects.get(pk=past.pk)
    assert stored.scheduled_for == NOW - 3 * DAY
    assert stored.held_on is None
    assert list(project.checkins.overdue().values_list("pk", flat=True)) == [past.pk]


def test_editing_something_other_than_the_schedule_does_not_re_plan(owner):
    project = new_project(owner)
    before = set(project.checkins.values_list("pk", flat=True))

    project.title = "New title"
    project.budget = Decimal("450")
    project_services.update_project(project=project, by=owner)

    assert set(project.checkins.values_list("pk", flat=True)) == before


def test_moving_the_due_date_re_plans(owner):
    project = new_project(owner)

    project.due_on = D(2025, 7, 14)
    project_services.update_project(project=project, by=owner)

    assert planned_days(project) == [
        D(2025, 6, 15),
        D(2025, 6, 22),
        D(2025, 6, 29),
        D(2025, 7, 6),
        D(2025, 7, 13),
    ]


def test_re_planning_does_not_plan_a_second_check_in_on_a_day_already_held(owner):
    project = new_project(owner)
    held = project.checkins.get(scheduled_for__date=D(2025, 6, 15))
    held.held_on = TODAY
    held.save()

    project.due_on = D(2025, 7, 14)
    project_services.update_project(project=project, by=owner)

    assert project.checkins.filter(scheduled_for__date=D(2025, 6, 15)).count() == 1


# Re-planning reconciles: the rows stay, move or go, and nothing written goes.


def days_of(project, pks):
    return sorted(timezone.localdate(c.scheduled_for) for c in project.checkins.filter(pk__in=pks))


def upcoming_pks(project):
    return set(project.checkins.upcoming().values_list("pk", flat=True))


def test_re_planning_keeps_the_rows_of_check_ins_whose_day_is_still_planned(owner):
    project = new_project(owner)
    before = upcoming_pks(project)

    project.due_on = D(2025, 7, 14)
    project_services.update_project(project=project, by=owner)

    assert upcoming_pks(project) > before
    assert days_of(project, before) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]


def test_the_check_in_before_a_milestone_follows_the_milestone_to_its_new_date(owner):
    design = MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20))
    project = new_project(owner, milestones=[design])
    before_design = project.checkins.get(milestone=design)

    design.due_on = D(2025, 6, 21)
    project_services.update_project(project=project, milestones=[design], by=owner)

    moved = CheckIn.objects.get(pk=before_design.pk)
    assert timezone.localtime(moved.scheduled_for) == timezone.localtime(
        planning.checkin_time(D(2025, 6, 20))
    )
    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 20), D(2025, 6, 22), D(2025, 6, 29)]


def test_check_ins_shift_with_the_start_date_and_keep_their_rows(owner):
    project = new_project(owner)
    before = upcoming_pks(project)

    project.start_on = D(2025, 6, 3)
    project_services.update_project(project=project, by=owner)

    # The 15th and 22nd move two days on; the 29th would be past the due date and goes.
    assert upcoming_pks(project) < before
    assert planned_days(project) == [D(2025, 6, 17), D(2025, 6, 24)]


def test_a_blank_check_in_no_longer_planned_is_deleted(owner):
    project = new_project(owner)
    on_the_22nd = project.checkins.get(scheduled_for__date=D(2025, 6, 22))

    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 29)]
    assert not CheckIn.objects.filter(pk=on_the_22nd.pk).exists()


def test_a_check_in_with_writing_no_longer_planned_stays_on_its_day(owner):
    project = new_project(owner)
    on_the_22nd = project.checkins.get(scheduled_for__date=D(2025, 6, 22))
    on_the_22nd.freelancer_progress = "Half the pages are done."
    on_the_22nd.save()

    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 29)]
    assert CheckIn.objects.get(pk=on_the_22nd.pk).freelancer_progress == "Half the pages are done."


def reminded(checkin, state):
    return Reminder.objects.create(
        kind=Reminder.Kind.CHECKIN_UPCOMING,
        target_type=ContentType.objects.get_for_model(CheckIn),
        target_id=checkin.pk,
        recipient="ana@example.com",
        project=checkin.project,
        due_slot=checkin.scheduled_for.isoformat(),
        state=state,
    )


def test_a_check_in_whose_reminder_was_sent_stays_when_no_longer_planned(owner):
    project = new_project(owner)
    on_the_22nd = project.checkins.get(scheduled_for__date=D(2025, 6, 22))
    reminded(on_the_22nd, Reminder.State.SENT)

    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)

    assert CheckIn.objects.filter(pk=on_the_22nd.pk).exists()


def test_a_reminder_that_never_went_out_does_not_keep_a_check_in(owner):
    project = new_project(owner)
    on_the_22nd = project.checkins.get(scheduled_for__date=D(2025, 6, 22))
    reminded(on_the_22nd, Reminder.State.FAILED)

    project.checkin_every_days = 14
    project_services.update_project(project=project, by=owner)

    assert not CheckIn.objects.filter(pk=on_the_22nd.pk).exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("progress_note", "Going well."),
        ("on_track", "green"),
        ("questions", "Fonts?"),
        ("next_steps", "Send the copy."),
        ("freelancer_progress", "Done with the header."),
        ("freelancer_on_track", "amber"),
        ("freelancer_questions", "Which logo?"),
        ("freelancer_blockers", "No hosting login."),
        ("freelancer_updated_at", NOW),
    ],
)
def test_any_one_thing_written_makes_a_check_in_one_with_writing(field, value):
    written = CheckInFactory(**{field: value})
    CheckInFactory(project=written.project)  # blank

    assert list(CheckIn.objects.with_writing()) == [written]


# Through the edit page, as a browser posts it: re-planned from the milestones as saved.


def test_a_milestone_added_on_the_edit_page_gets_its_check_in_the_day_before(owner_client, owner):
    project = new_project(owner)

    save_edit_page(
        owner_client,
        project,
        lambda data: fill_new_row(
            data, "milestones", title="Copy", due_on="2025-06-25", amount="80.00", status="planned", order="1"
        ),
    )

    before_copy = project.checkins.get(scheduled_for__date=D(2025, 6, 24))
    assert before_copy.milestone.title == "Copy"


def test_a_milestone_moved_on_the_edit_page_takes_its_check_in_along(owner_client, owner):
    project = new_project(owner, milestones=[MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20))])

    def move_design(data):
        data[f"{row_of(data, 'milestones', 'Design')}-due_on"] = "2025-06-26"

    save_edit_page(owner_client, project, move_design)

    assert planned_days(project) == [D(2025, 6, 15), D(2025, 6, 22), D(2025, 6, 25), D(2025, 6, 29)]
    assert project.checkins.get(scheduled_for__date=D(2025, 6, 25)).milestone.title == "Design"
