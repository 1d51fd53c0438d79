"""The check-ins page across projects, and the one short form that records a check-in."""

import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from milestones import services
from milestones.models import CheckIn
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

LIST = reverse("milestones:checkins")


def record_url(checkin):
    return reverse("milestones:record", args=[checkin.pk])


def in_days(days, hours=0):
    return timezone.now() + datetime.timedelta(days=days, hours=hours)


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def a_record(**changes):
    """What the owner types after a check-in call."""
    data = {
        "held_on": timezone.localdate().isoformat(),
        "progress_note": "The homepage draft is done.",
        "on_track": "green",
        "questions": "Which photos go on the homepage?",
        "next_steps": "Send the photos by Friday.",
    }
    return {**data, **changes}


def held(project, days, **fields):
    return CheckInFactory(
        project=project,
        scheduled_for=in_days(-days),
        held_on=days_ago(days),
        progress_note=fields.pop("progress_note", f"Held {days} days ago"),
        on_track=fields.pop("on_track", CheckIn.OnTrack.GREEN),
        **fields,
    )


def pks(section):
    """The check-ins on the first page of a section of the list."""
    return [checkin.pk for checkin in section["page"]]


# The list


def test_the_list_says_what_to_do_when_no_check_ins_are_planned(owner_client):
    response = owner_client.get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert "No check-ins planned" in response.text
    assert "Activate a project and check-ins are planned from its cadence" in response.text


def test_the_list_shows_overdue_oldest_first_upcoming_soonest_first_and_held_newest_first(owner_client):
    project = ProjectFactory(title="Website refresh")
    late = CheckInFactory(project=project, scheduled_for=in_days(-2))
    later = CheckInFactory(project=project, scheduled_for=in_days(-1))
    latest = CheckInFactory(project=project, scheduled_for=in_days(-9))
    soon = CheckInFactory(project=project, scheduled_for=in_days(1))
    sooner = CheckInFactory(project=project, scheduled_for=in_days(0, hours=2))
    old_held = held(project, 20)
    new_held = held(project, 3)

    response = owner_client.get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert pks(response.context["overdue"]) == [latest.pk, late.pk, later.pk]
    assert pks(response.context["upcoming"]) == [sooner.pk, soon.pk]
    assert pks(response.context["held"]) == [new_held.pk, old_held.pk]
    page = response.text
    assert page.index('id="overdue"') < page.index('id="upcoming"') < page.index('id="held"')
    assert page.index("Held 3 days ago") < page.index("Held 20 days ago")


def test_upcoming_shows_the_next_14_days_unless_all_are_asked_for(owner_client):
    project = ProjectFactory()
    next_week = CheckInFactory(project=project, scheduled_for=in_days(7))
    next_month = CheckInFactory(project=project, scheduled_for=in_days(30))

    soon_only = owner_client.get(LIST)
    everything = owner_client.get(LIST, {"upcoming": "all"})

    assert pks(soon_only.context["upcoming"]) == [next_week.pk]
    assert "Show all upcoming (1 more)" in soon_only.text
    assert "upcoming=all" in soon_only.text
    assert pks(everything.context["upcoming"]) == [next_week.pk, next_month.pk]
    assert "Show the next 14 days only" in everything.text


def test_a_check_in_planned_beyond_14_days_is_not_mistaken_for_none_planned(owner_client):
    CheckInFactory(scheduled_for=in_days(40))

    response = owner_client.get(LIST)

    assert "No check-ins planned" not in response.text
    assert "1 planned later" in response.text


def test_held_check_ins_older_than_30_days_are_left_out(owner_client):
    project = ProjectFactory()
    recent = held(project, 30)
    held(project, 31)

    response = owner_client.get(LIST)

    assert pks(response.context["held"]) == [recent.pk]


def test_check_ins_missed_more_than_30_days_ago_are_left_out_and_the_heading_says_so(owner_client):
    project = ProjectFactory()
    recent = CheckInFactory(project=project, scheduled_for=in_days(-30, hours=1))
    CheckInFactory(project=project, scheduled_for=in_days(-31))

    response = owner_client.get(LIST)

    assert pks(response.context["overdue"]) == [recent.pk]
    assert "Overdue: missed in the last 30 days" in response.text


def test_a_section_counts_only_so_far_and_says_more_than(owner_client, monkeypatch):
    monkeypatch.setattr("milestones.views.COUNT_LIMIT", 3)
    monkeypatch.setattr("milestones.views.SECTION_ROWS", 2)
    project = ProjectFactory()
    for hours in range(1, 6):
        CheckInFactory(project=project, scheduled_for=in_days(1, hours=hours))
    CheckInFactory(project=project, scheduled_for=in_days(20))
    for days in range(1, 5):
        held(project, days)

    response = owner_client.get(LIST)

    upcoming = response.context["upcoming"]["page"].paginator
    assert (upcoming.count, upcoming.more, upcoming.num_pages) == (3, True, 2)
    assert '<span class="badge text-bg-secondary">3+</span>' in response.text
    assert "More than 3 in all" in response.text
    # The one planned later is counted exactly.
    assert "Show all upcoming (1 more)" in response.text
    held_pages = response.context["held"]["page"].paginator
    assert (held_pages.count, held_pages.more) == (3, True)
    everything = owner_client.get(LIST, {"upcoming": "all"}).context["upcoming"]["page"].paginator
    assert (everything.count, everything.more) == (3, True)


def test_only_active_and_on_hold_projects_that_are_not_archived_are_listed(owner_client):
    for title, status in [
        ("Active job", Project.Status.ACTIVE),
        ("Paused job", Project.Status.ON_HOLD),
        ("Draft job", Project.Status.DRAFT),
        ("Finished job", Project.Status.COMPLETED),
        ("Dropped job", Project.Status.CANCELLED),
    ]:
        CheckInFactory(project=ProjectFactory(title=title, status=status), scheduled_for=in_days(-1))
    CheckInFactory(project=ProjectFactory(title="Archived job", archived_at=timezone.now()))

    page = owner_client.get(LIST).text

    assert "Active job" in page
    assert "Paused job" in page and "On hold" in page
    for title in ["Draft job", "Finished job", "Dropped job", "Archived job"]:
        assert title not in page


def test_each_row_names_the_project_milestone_and_freelancer_and_links_to_the_project(owner_client):
    project = ProjectFactory(title="Shop launch", freelancer__name="Ana Souza")
    milestone = MilestoneFactory(project=project, title="Product pages")
    CheckInFactory(project=project, milestone=milestone, scheduled_for=in_days(-1))

    page = owner_client.get(LIST).text

    assert f'href="{project.get_absolute_url()}"' in page
    assert "Shop launch" in page
    assert "Product pages" in page
    assert "Ana Souza" in page


def test_held_check_ins_show_progress_on_track_in_words_questions_and_next_steps(owner_client):
    held(
        ProjectFactory(),
        2,
        progress_note="Logo sketches delivered",
        on_track=CheckIn.OnTrack.AMBER,
        questions="Can the deadline move?",
        next_steps="Pick one sketch",
    )

    page = owner_client.get(LIST).text

    assert "Logo sketches delivered" in page
    assert "Amber: some concerns" in page
    assert "health-amber" in page
    assert "Can the deadline move?" in page
    assert "Pick one sketch" in page


def test_times_are_shown_in_the_site_time_zone(owner_client, settings):
    settings.TIME_ZONE = "America/New_York"
    scheduled = (timezone.now() + datetime.timedelta(days=2)).replace(hour=15, minute=30, second=0)
    CheckInFactory(scheduled_for=scheduled)
    local = scheduled.astimezone(ZoneInfo("America/New_York"))

    page = owner_client.get(LIST).text

    assert f"{local:%H:%M}" in page
    assert f"{scheduled:%H:%M}" not in page
    assert "Times in America/New_York" in page


def test_unheld_rows_have_a_record_button_that_comes_back_to_the_list(owner_client):
    overdue = CheckInFactory(scheduled_for=in_days(-1))
    upcoming = CheckInFactory(scheduled_for=in_days(1))

    page = owner_client.get(LIST, {"upcoming": "all"}).text

    for checkin in (overdue, upcoming):
        assert f'href="{record_url(checkin)}?next=/checkins/%3Fupcoming%3Dall"' in page
    assert page.count("/record/?next=") == 2


def test_the_assistant_sees_the_record_buttons(assistant_client):
    CheckInFactory(scheduled_for=in_days(-1))

    assert "Record check-in" in assistant_client.get(LIST).text


def test_the_list_can_be_filtered_by_a_project_title_typed(owner_client):
    CheckInFactory(project=ProjectFactory(title="Shop launch"), scheduled_for=in_days(-1))
    wanted = CheckInFactory(project=ProjectFactory(title="Logo design"), scheduled_for=in_days(-1))

    response = owner_client.get(LIST, {"project": "logo"})

    assert pks(response.context["overdue"]) == [wanted.pk]
    assert 'value="logo"' in response.text
    assert "<option" not in response.text.split('name="project"', 1)[1].split("</div>", 1)[0]


def test_the_title_filter_sends_no_list_of_projects_however_many_are_in_progress(owner_client):
    for number in range(3):
        ProjectFactory(title=f"Job number {number}")

    response = owner_client.get(LIST)

    assert "Job number" not in response.text


def test_a_project_without_check_ins_says_so_when_filtered(owner_client):
    CheckInFactory(scheduled_for=in_days(-1))
    ProjectFactory(title="Quiet job")

    response = owner_client.get(LIST, {"project": "Quiet job"})

    assert "No check-ins for this project" in response.text


def test_a_title_no_project_in_progress_has_finds_nothing(owner_client):
    CheckInFactory(
        project=ProjectFactory(title="Done job", status=Project.Status.COMPLETED), scheduled_for=in_days(-1)
    )
    CheckInFactory(scheduled_for=in_days(-1))

    response = owner_client.get(LIST, {"project": "Done job"})

    assert response.status_code == HTTPStatus.OK
    assert pks(response.context["overdue"]) == []
    assert "No check-ins for this project" in response.text


def test_an_unknown_upcoming_filter_is_reported_and_the_list_still_shows(owner_client):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    response = owner_client.get(LIST, {"upcoming": "forever"})

    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert pks(response.context["overdue"]) == [checkin.pk]


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_runs_the_same_queries_whatever_the_number_of_check_ins(
    owner_client, django_assert_num_queries, count
):
    for _ in range(count):
        project = ProjectFactory()
        milestone = MilestoneFactory(project=project)
        CheckInFactory(project=project, milestone=milestone, scheduled_for=in_days(-1))
        CheckInFactory(project=project, milestone=milestone, scheduled_for=in_days(1))
        CheckInFactory(project=project, scheduled_for=in_days(20))
        held(project, 2, milestone=milestone)

    # session, user, the user's permissions, the user's group permissions, the count
    # of check-ins planned beyond 14 days, then the overdue, upcoming and held check-ins:
    # a count (up to COUNT_LIMIT) and one page each, with project, freelancer and milestone.
    with django_assert_num_queries(11):
        response = owner_client.get(LIST)
    assert response.status_code == HTTPStatus.OK
    assert response.context["held"]["page"].paginator.count == count


def test_each_section_pages_on_its_own_and_keeps_the_others_page(owner_client):
    project = ProjectFactory()
    overdue = [CheckInFactory(project=project, scheduled_for=in_days(-30 + n, hours=1)) for n in range(30)]
    upcoming = [CheckInFactory(project=project, scheduled_for=in_days(1 + n / 10)) for n in range(27)]

    response = owner_client.get(LIST, {"overdue_page": 2, "upcoming_page": 1})

    assert pks(response.context["overdue"]) == [checkin.pk for checkin in overdue[25:]]
    assert pks(response.context["upcoming"]) == [checkin.pk for checkin in upcoming[:25]]
    assert response.context["upcoming"]["page"].paginator.count == 27
    # The upcoming section's "Next" keeps the overdue section on its second page.
    assert 'href="?overdue_page=2&amp;upcoming_page=2"' in response.content.decode()


# Recording a check-in


def test_the_form_shows_the_project_and_milestone_with_today_as_the_day_held(owner_client):
    project = ProjectFactory(title="Shop launch", freelancer__name="Ana Souza")
    checkin = CheckInFactory(
        project=project, milestone=MilestoneFactory(project=project, title="Product pages")
    )

    response = owner_client.get(record_url(checkin))

    assert response.status_code == HTTPStatus.OK
    assert "Record a check-in on" in response.text
    assert (
        "Shop launch" in response.text and "Product pages" in response.text and "Ana Souza" in response.text
    )
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in response.text
    assert "Green: on track" in response.text and "Red: off track" in response.text


def test_recording_moves_the_check_in_from_overdue_to_held(owner_client, owner):
    checkin = CheckInFactory(scheduled_for=in_days(-2))
    assert pks(owner_client.get(LIST).context["overdue"]) == [checkin.pk]

    response = owner_client.post(record_url(checkin), a_record(on_track="amber"), follow=True)

    assert response.redirect_chain == [(LIST, HTTPStatus.FOUND)]
    assert "was recorded" in response.text
    assert pks(response.context["overdue"]) == []
    assert pks(response.context["held"]) == [checkin.pk]
    checkin.refresh_from_db()
    assert checkin.held_on == timezone.localdate()
    assert checkin.on_track == CheckIn.OnTrack.AMBER
    assert checkin.progress_note == "The homepage draft is done."
    assert checkin.questions == "Which photos go on the homepage?"
    assert checkin.next_steps == "Send the photos by Friday."
    assert checkin.history.latest().history_user == owner


def test_the_assistant_can_record_a_check_in(assistant_client, assistant):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    response = assistant_client.post(record_url(checkin), a_record())

    assert response.status_code == HTTPStatus.FOUND
    checkin.refresh_from_db()
    assert checkin.is_held
    assert checkin.history.latest().history_user == assistant


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"held_on": "2999-01-01"}, "held_on", "This date is in the future"),
        ({"held_on": ""}, "held_on", "Say on which day the check-in was held."),
        ({"held_on": "31/02/2026"}, "held_on", "Enter a valid date."),
        ({"on_track": "purple"}, "on_track", "Choose green, amber or red."),
        ({"on_track": ""}, "on_track", "Choose green, amber or red."),
        ({"progress_note": "   "}, "progress_note", "Say how the work is going."),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_saved(owner_client, changes, field, words):
    checkin = CheckInFactory(scheduled_for=in_days(-1))
    typed = a_record(questions="Is the copy final?", **changes)

    response = owner_client.post(record_url(checkin), typed)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert any(words in error for error in response.context["form"].errors[field])
    # crispy puts the words right under the field they are about.
    assert f'id="error_1_id_{field}"' in response.text
    assert words in response.text
    assert "Nothing was saved" in response.text
    assert "Is the copy final?" in response.text
    checkin.refresh_from_db()
    assert not checkin.is_held
    assert checkin.questions == ""
    assert checkin.history.count() == 1


def test_a_future_date_and_a_missing_on_track_are_reported_together(owner_client):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    response = owner_client.post(record_url(checkin), a_record(held_on="2999-01-01", on_track=""))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.context["form"].errors) == {"held_on", "on_track"}
    checkin.refresh_from_db()
    assert not checkin.is_held


def test_a_10000_character_note_is_kept_and_a_script_tag_in_it_is_shown_escaped(owner_client):
    checkin = CheckInFactory(scheduled_for=in_days(-1))
    note = "<script>alert('hi')</script> " + "x" * 10_000

    response = owner_client.post(record_url(checkin), a_record(progress_note=note))

    assert response.status_code == HTTPStatus.FOUND
    checkin.refresh_from_db()
    assert checkin.progress_note == note
    for page in (owner_client.get(LIST).text, owner_client.get(record_url(checkin)).text):
        assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in page
        assert "<script>alert" not in page


def test_an_already_held_check_in_is_edited_with_the_same_form(owner_client):
    checkin = held(ProjectFactory(), 3, progress_note="First draft in review", on_track=CheckIn.OnTrack.RED)

    form_page = owner_client.get(record_url(checkin))
    response = owner_client.post(
        record_url(checkin), a_record(held_on=days_ago(2).isoformat(), progress_note="Draft approved")
    )

    assert "already recorded as held on" in form_page.text
    assert "First draft in review" in form_page.text
    assert f'value="{days_ago(3):%Y-%m-%d}"' in form_page.text
    assert response.status_code == HTTPStatus.FOUND
    checkin.refresh_from_db()
    assert checkin.held_on == days_ago(2)
    assert checkin.progress_note == "Draft approved"
    assert checkin.on_track == CheckIn.OnTrack.GREEN
    assert checkin.history.count() == 2


def test_it_goes_back_to_the_page_named_in_next(owner_client):
    checkin = CheckInFactory(scheduled_for=in_days(-1))
    project_page = checkin.project.get_absolute_url()

    response = owner_client.post(f"{record_url(checkin)}?next={project_page}", a_record())

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == project_page


@pytest.mark.parametrize("elsewhere", ["https://evil.example.com/", "//evil.example.com/checkins/"])
def test_a_next_url_on_another_site_is_ignored(owner_client, elsewhere):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    form_page = owner_client.get(record_url(checkin), {"next": elsewhere})
    response = owner_client.post(record_url(checkin), {**a_record(), "next": elsewhere})

    assert "evil.example.com" not in form_page.text
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == LIST


def test_an_unknown_check_in_is_not_found(owner_client):
    assert owner_client.get(reverse("milestones:record", args=[999999])).status_code == HTTPStatus.NOT_FOUND


def test_an_outsider_is_refused_both_pages(client, outsider):
    checkin = CheckInFactory(scheduled_for=in_days(-1))
    client.force_login(outsider)

    assert client.get(LIST).status_code == HTTPStatus.FORBIDDEN
    assert client.get(record_url(checkin)).status_code == HTTPStatus.FORBIDDEN
    assert client.post(record_url(checkin), a_record()).status_code == HTTPStatus.FORBIDDEN
    checkin.refresh_from_db()
    assert not checkin.is_held


def test_anonymous_visitors_are_sent_to_log_in(client):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    for url in (LIST, record_url(checkin)):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("login"))
    assert client.post(record_url(checkin), a_record()).status_code == HTTPStatus.FOUND
    checkin.refresh_from_db()
    assert not checkin.is_held


# The service, which admin actions and tasks share with the page


def test_record_checkin_refuses_a_day_in_the_future_whoever_calls_it(owner):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    with pytest.raises(ValidationError) as refused:
        services.record_checkin(
            checkin=checkin,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
            progress_note="Done",
            on_track=CheckIn.OnTrack.GREEN,
            questions="",
            next_steps="",
            by=owner,
        )

    assert "held_on" in refused.value.message_dict
    checkin.refresh_from_db()
    assert not checkin.is_held


def test_record_checkin_names_who_recorded_it_in_the_history_outside_a_request(assistant):
    checkin = CheckInFactory(scheduled_for=in_days(-1))

    services.record_checkin(
        checkin=checkin,
        held_on=timezone.localdate(),
        progress_note="Copy for three pages delivered",
        on_track=CheckIn.OnTrack.GREEN,
        questions="",
        next_steps="Review the copy",
        by=assistant,
    )

    checkin.refresh_from_db()
    assert checkin.is_held
    assert checkin.history.latest().history_user == assistant


def test_the_freelancers_update_shows_on_the_project_page_until_marked_read(owner_client):
    from django.utils import timezone

    from projects.tests.factories import CheckInFactory

    checkin = CheckInFactory(
        freelancer_progress="Homepage drafted",
        freelancer_questions="Which <b>logo</b>?",
        freelancer_on_track="amber",
        freelancer_updated_at=timezone.now(),
    )
    page = owner_client.get(checkin.project.get_absolute_url()).text
    assert "Homepage drafted" in page
    assert "Which &lt;b&gt;logo&lt;/b&gt;?" in page
    assert "Unread" in page

    owner_client.post(reverse("milestones:mark_read", args=[checkin.pk]))

    checkin.refresh_from_db()
    assert checkin.update_read_at is not None
    assert "Unread" not in owner_client.get(checkin.project.get_absolute_url()).text


def test_marking_an_update_read_needs_post_and_the_permission(client, outsider):
    from projects.tests.factories import CheckInFactory

    checkin = CheckInFactory()
    client.force_login(outsider)

    assert client.post(reverse("milestones:mark_read", args=[checkin.pk])).status_code == HTTPStatus.FORBIDDEN
