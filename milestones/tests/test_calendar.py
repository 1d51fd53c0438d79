"""The owner's calendar feed at a secret address, and one check-in as an .ics invitation."""

import datetime
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from milestones.models import CalendarFeed, Milestone
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = reverse("milestones:calendar")


def at(days, hour=10):
    """A whole-minute UTC time `days` from today, so times survive the round trip through iCalendar."""
    today = timezone.now().astimezone(datetime.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + datetime.timedelta(days=days)


def feed_url(feed):
    return reverse("calendar_feed", args=[feed.secret])


def events(response):
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def a_project(owner, **fields):
    return ProjectFactory(owner=owner, **fields)


# The feed


def test_the_feed_lists_planned_check_ins_as_half_hour_events_in_utc(client, owner, settings):
    settings.SITE_URL = "https://hands.example.com"
    project = a_project(owner, title="Website refresh", freelancer__name="Fatima Khan")
    checkin = CheckInFactory(project=project, scheduled_for=at(3))
    feed = CalendarFeed.rotate(owner)

    response = client.get(feed_url(feed))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/calendar")
    event = events(response)[f"checkin-{checkin.pk}@helping-hands"]
    assert event.decoded("DTSTART") == at(3)
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
    assert event.decoded("DTEND") == at(3) + datetime.timedelta(minutes=30)
    assert str(event["SUMMARY"]) == "Check-in: Website refresh with Fatima Khan"
    assert str(event["URL"]) == f"https://hands.example.com/checkins/{checkin.pk}/record/"


def test_the_feed_lists_open_milestones_as_all_day_events(client, owner):
    project = a_project(owner)
    due_on = timezone.localdate() + datetime.timedelta(days=12)
    open_one = MilestoneFactory(project=project, title="Homepage draft", due_on=due_on)
    approved = MilestoneFactory(project=project, status=Milestone.Status.APPROVED)
    cancelled = MilestoneFactory(project=project, status=Milestone.Status.CANCELLED)

    found = events(client.get(feed_url(CalendarFeed.rotate(owner))))

    event = found[f"milestone-{open_one.pk}@helping-hands"]
    assert event.decoded("DTSTART") == due_on
    assert not isinstance(event.decoded("DTSTART"), datetime.datetime)
    assert "Homepage draft" in str(event["SUMMARY"])
    assert f"milestone-{approved.pk}@helping-hands" not in found
    assert f"milestone-{cancelled.pk}@helping-hands" not in found


def test_the_feed_keeps_check_ins_from_30_days_ago_to_180_days_ahead(client, owner):
    project = a_project(owner)
    kept = [CheckInFactory(project=project, scheduled_for=at(days)) for days in (-29, 0, 179)]
    left_out = [CheckInFactory(project=project, scheduled_for=at(days)) for days in (-31, 181)]
    held = CheckInFactory(project=project, scheduled_for=at(-2), held_on=timezone.localdate())

    uids = set(events(client.get(feed_url(CalendarFeed.rotate(owner)))))

    assert {f"checkin-{checkin.pk}@helping-hands" for checkin in kept} <= uids
    assert not {f"checkin-{checkin.pk}@helping-hands" for checkin in [*left_out, held]} & uids


def test_the_feed_keeps_open_milestones_due_from_30_days_ago_to_180_days_ahead(client, owner):
    today = timezone.localdate()
    project = a_project(owner, start_on=today - datetime.timedelta(days=60), due_on=today)
    kept = [
        MilestoneFactory(project=project, due_on=today + datetime.timedelta(days=days)) for days in (-29, 179)
    ]
    left_out = [
        MilestoneFactory(project=project, due_on=today + datetime.timedelta(days=days)) for days in (-31, 181)
    ]

    uids = set(events(client.get(feed_url(CalendarFeed.rotate(owner)))))

    assert {f"milestone-{milestone.pk}@helping-hands" for milestone in kept} <= uids
    assert not {f"milestone-{milestone.pk}@helping-hands" for milestone in left_out} & uids


def test_an_unchanged_feed_answers_not_modified_to_a_calendar_app_that_has_it(client, owner):
    project = a_project(owner)
    CheckInFactory(project=project, scheduled_for=at(3))
    url = feed_url(CalendarFeed.rotate(owner))

    first = client.get(url)
    again = client.get(url, headers={"if-none-match": first["ETag"]})

    assert first.status_code == HTTPStatus.OK
    assert first["ETag"]
    assert "no-cache" in first["Cache-Control"]
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""


def test_a_changed_feed_is_sent_again_with_a_new_etag(client, owner):
    project = a_project(owner)
    CheckInFactory(project=project, scheduled_for=at(3))
    url = feed_url(CalendarFeed.rotate(owner))
    first = client.get(url)
    added = CheckInFactory(project=project, scheduled_for=at(4))

    again = client.get(url, headers={"if-none-match": first["ETag"]})

    assert again.status_code == HTTPStatus.OK
    assert again["ETag"] != first["ETag"]
    assert f"checkin-{added.pk}@helping-hands" in events(again)


def test_the_feed_leaves_out_projects_not_in_progress(client, owner):
    for status in (Project.Status.DRAFT, Project.Status.COMPLETED, Project.Status.CANCELLED):
        CheckInFactory(project=a_project(owner, status=status), scheduled_for=at(2))
    archived = a_project(owner, archived_at=timezone.now())
    CheckInFactory(project=archived, scheduled_for=at(2))
    on_hold = CheckInFactory(project=a_project(owner, status=Project.Status.ON_HOLD), scheduled_for=at(2))

    uids = set(events(client.get(feed_url(CalendarFeed.rotate(owner)))))

    assert uids == {f"checkin-{on_hold.pk}@helping-hands"}


def test_another_users_projects_never_appear_in_the_feed(client, owner, assistant):
    mine = CheckInFactory(project=a_project(owner), scheduled_for=at(1))
    theirs = CheckInFactory(project=a_project(assistant), scheduled_for=at(1))
    MilestoneFactory(project=theirs.project)
    CalendarFeed.rotate(assistant)

    uids = set(events(client.get(feed_url(CalendarFeed.rotate(owner)))))

    assert uids == {f"checkin-{mine.pk}@helping-hands"}


def test_the_uids_stay_the_same_from_one_poll_to_the_next(client, owner):
    CheckInFactory(project=a_project(owner), scheduled_for=at(1))
    feed = CalendarFeed.rotate(owner)

    first = set(events(client.get(feed_url(feed))))
    second = set(events(client.get(feed_url(feed))))

    assert first == second
    assert len(first) == 1


@pytest.mark.parametrize("projects", [1, 4])
def test_the_feed_runs_a_fixed_number_of_queries(client, owner, django_assert_num_queries, projects):
    for _ in range(projects):
        project = a_project(owner)
        milestone = MilestoneFactory(project=project)
        CheckInFactory.create_batch(3, project=project, milestone=milestone, scheduled_for=at(5))
        MilestoneFactory(project=project)
    feed = CalendarFeed.rotate(owner)

    # The version: 1 the feed and its user, 2-4 the rows of projects, check-ins
    # and milestones. The document: 5 the feed again, 6 the projects with their
    # freelancers, 7 the check-ins with their milestones, 8 the open milestones.
    with django_assert_num_queries(8):
        response = client.get(feed_url(feed))

    assert len(events(response)) == projects * 5

    # An unchanged feed is answered from its version alone.
    with django_assert_num_queries(4):
        again = client.get(feed_url(feed), headers={"if-none-match": response["ETag"]})
    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_renaming_a_project_changes_the_feeds_version(client, owner):
    project = a_project(owner, title="Shop")
    CheckInFactory(project=project, scheduled_for=at(3))
    url = feed_url(CalendarFeed.rotate(owner))
    first = client.get(url)

    project.title = "Shop relaunch"
    project.save()
    again = client.get(url, headers={"if-none-match": first["ETag"]})

    assert again.status_code == HTTPStatus.OK
    assert "Shop relaunch" in again.text


def test_an_unknown_secret_gives_404(client):
    assert client.get(reverse("calendar_feed", args=["no-such-secret"])).status_code == HTTPStatus.NOT_FOUND


def test_the_feed_refuses_posts(client, owner):
    response = client.post(feed_url(CalendarFeed.rotate(owner)))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# The secret


def test_rotating_gives_a_new_working_secret_and_kills_the_old(client, owner):
    CheckInFactory(project=a_project(owner), scheduled_for=at(1))
    old = CalendarFeed.rotate(owner)
    old_url = feed_url(old)

    new = CalendarFeed.rotate(owner)

    assert new.secret != old.secret
    assert len(new.secret) >= 43
    assert CalendarFeed.objects.filter(user=owner).count() == 1
    assert client.get(old_url).status_code == HTTPStatus.NOT_FOUND
    assert client.get(feed_url(new)).status_code == HTTPStatus.OK


def test_the_settings_page_offers_to_create_a_link_when_there_is_none(owner_client):
    response = owner_client.get(SETTINGS_PAGE)

    assert response.status_code == HTTPStatus.OK
    assert "Create link" in response.text
    assert "Revoke and make a new one" not in response.text


def test_creating_a_link_shows_the_full_subscribe_address(owner_client, owner, settings):
    settings.SITE_URL = "https://hands.example.com"

    response = owner_client.post(SETTINGS_PAGE, follow=True)

    feed = CalendarFeed.objects.get(user=owner)
    assert f"https://hands.example.com/calendar/{feed.secret}.ics" in response.text
    assert "Revoke and make a new one" in response.text
    assert "Your calendar link was made." in response.text


def test_revoking_from_the_settings_page_kills_the_old_address(owner_client, owner):
    old = CalendarFeed.rotate(owner)

    response = owner_client.post(SETTINGS_PAGE, follow=True)

    assert "the old one no longer works" in response.text
    assert owner_client.get(feed_url(old)).status_code == HTTPStatus.NOT_FOUND
    assert owner_client.get(feed_url(CalendarFeed.objects.get(user=owner))).status_code == HTTPStatus.OK


def test_the_settings_page_says_when_the_link_was_made_with_one_full_stop(owner_client, owner, settings):
    settings.TIME_ZONE = "UTC"
    feed = CalendarFeed.rotate(owner)
    feed.created_at = datetime.datetime(2026, 12, 1, 23, 0, tzinfo=datetime.UTC)
    feed.save()

    text = owner_client.get(SETTINGS_PAGE).text

    assert "Made on 1 December 2026, 23:00" in text
    assert ".." not in text


def test_revoking_on_the_settings_page_asks_first(owner_client, owner):
    CalendarFeed.rotate(owner)

    text = owner_client.get(SETTINGS_PAGE).text

    assert 'data-confirm="Revoke this calendar address?' in text


def test_anonymous_visitors_cannot_open_the_settings_page(client):
    response = client.get(SETTINGS_PAGE)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))
    assert client.post(SETTINGS_PAGE).status_code == HTTPStatus.FOUND
    assert not CalendarFeed.objects.exists()


# The invitation


def test_a_check_in_downloads_as_an_invitation_from_the_owner_to_the_freelancer(owner_client, owner):
    project = a_project(owner, title="Website refresh", freelancer__email="fatima@example.net")
    checkin = CheckInFactory(project=project, scheduled_for=at(4, hour=15))

    response = owner_client.get(reverse("milestones:invite", args=[checkin.pk]))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == f'attachment; filename="check-in-{checkin.pk}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"checkin-{checkin.pk}@helping-hands"
    assert event.decoded("DTSTART") == at(4, hour=15)
    assert event.decoded("DTEND") == at(4, hour=15) + datetime.timedelta(minutes=30)
    assert str(event["ORGANIZER"]) == "mailto:olivia@example.com"
    assert str(event["ATTENDEE"]) == "mailto:fatima@example.net"


def test_the_invitation_needs_the_permission_to_view_check_ins(client, outsider):
    checkin = CheckInFactory(scheduled_for=at(1))
    client.force_login(outsider)

    assert client.get(reverse("milestones:invite", args=[checkin.pk])).status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_cannot_download_an_invitation(client):
    checkin = CheckInFactory(scheduled_for=at(1))

    response = client.get(reverse("milestones:invite", args=[checkin.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


def test_the_invitation_of_a_missing_check_in_is_a_404(owner_client):
    assert owner_client.get(reverse("milestones:invite", args=[999999])).status_code == HTTPStatus.NOT_FOUND


# Who may keep a feed


def test_a_deactivated_users_feed_answers_like_an_unknown_secret(client, owner):
    CheckInFactory(project=a_project(owner), scheduled_for=at(1))
    feed = CalendarFeed.rotate(owner)
    owner.is_active = False
    owner.save()

    assert client.get(feed_url(feed)).status_code == HTTPStatus.NOT_FOUND


def revoke_in_admin(client, *feeds):
    return client.post(
        reverse("admin:milestones_calendarfeed_changelist"),
        {"action": "revoke", "index": "0", ACTION_CHECKBOX_NAME: [feed.pk for feed in feeds]},
        follow=True,
    )


def test_the_owner_revokes_anyones_feed_in_the_admin(owner_client, owner, assistant):
    theirs = CalendarFeed.rotate(assistant)
    mine = CalendarFeed.rotate(owner)

    listing = owner_client.get(reverse("admin:milestones_calendarfeed_changelist"))
    response = revoke_in_admin(owner_client, theirs)

    assert theirs.secret not in listing.text
    assert "Calendar links revoked: sam." in response.text
    assert owner_client.get(feed_url(theirs)).status_code == HTTPStatus.NOT_FOUND
    assert owner_client.get(feed_url(mine)).status_code == HTTPStatus.OK


def test_an_assistant_cannot_revoke_feeds(client, owner, assistant):
    assistant.is_staff = True
    assistant.save()
    feed = CalendarFeed.rotate(owner)
    client.force_login(assistant)

    response = revoke_in_admin(client, feed)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert CalendarFeed.objects.filter(pk=feed.pk).exists()
