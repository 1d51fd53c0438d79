"""Times are shown in the reader's time zone, named: in every email about a check-in (to the
freelancer in theirs, to a staff user in the one they chose), on the freelancer's page, and on
a logged-in user's pages. Emails go through the scan and delivery to a real SMTP server."""

import datetime
import zoneinfo
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from freelancers.models import Freelancer
from freelancers.tests.factories import FreelancerFactory
from milestones import tasks
from milestones.links import checkin_token
from milestones.models import ReminderPreference
from milestones.tests import smtp
from milestones.time_zones import SESSION_KEY
from projects.tests.factories import CheckInFactory, ProjectFactory

pytestmark = pytest.mark.django_db

smtp_server = smtp.smtp_server
inbox = smtp.smtp_inbox  # every email goes over SMTP to a real server on 127.0.0.1

PREFERENCES = reverse("milestones:reminder_preferences")
CHECKINS = reverse("milestones:checkins")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Two Wednesdays at 10:00 UTC, one in winter and one in summer (Berlin on CET, then on CEST).
WINTER = datetime.datetime(2030, 1, 16, 10, 0, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2030, 7, 17, 10, 0, tzinfo=datetime.UTC)
UNKNOWN_ZONE = "Mars/Olympus_Mons"


@pytest.fixture(autouse=True)
def site(settings):
    settings.TIME_ZONE = "UTC"
    settings.REMINDER_LEAD_HOURS = 24
    settings.REMINDER_DIGEST_HOUR = 7
    # The link page's rate limit counts posts in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def checkin_at(moment, *, freelancer_zone="", owner=None):
    """A check-in at `moment` on a project running around it, its freelancer in `freelancer_zone`."""
    day = moment.date()
    project = ProjectFactory(
        start_on=day - 5 * DAY,
        due_on=day + 30 * DAY,
        freelancer=FreelancerFactory(timezone=freelancer_zone),
        **({"owner": owner} if owner else {}),
    )
    return CheckInFactory(project=project, scheduled_for=moment)


def choose_zone(user, name, **preferences):
    ReminderPreference.objects.update_or_create(user=user, defaults={"time_zone": name, **preferences})


def remind(inbox, moment):
    """Scan three hours before `moment` and send what is due, as a cron run without a worker does."""
    tasks.scan_and_send(moment - 3 * HOUR)
    return inbox.messages


def email_to(messages, address):
    (message,) = [m for m in messages if m.recipients == (address,)]
    return message


def assert_said_everywhere(message, words):
    assert words in message.subject
    assert words in message.text
    assert words in message.html


def ten_utc_in_two_days():
    return (timezone.now() + 2 * DAY).replace(hour=10, minute=0, second=0, microsecond=0)


def link_page(client, checkin):
    return client.get(reverse("checkin_update", args=[checkin_token(checkin, checkin.project.freelancer)]))


# Emails to the freelancer


@pytest.mark.parametrize(
    "zone, moment, said",
    [
        ("Asia/Tokyo", WINTER, "Wednesday 16 January, 19:00 JST"),
        # Past midnight in Tokyo: the next day there.
        ("Asia/Tokyo", WINTER + 10 * HOUR, "Thursday 17 January, 05:00 JST"),
        # Still the evening before in Los Angeles, just after midnight in Auckland.
        ("America/Los_Angeles", WINTER - 7 * HOUR, "Tuesday 15 January, 19:00 PST"),
        ("America/Los_Angeles", SUMMER - 7 * HOUR, "Tuesday 16 July, 20:00 PDT"),
        ("Pacific/Auckland", WINTER + 2 * HOUR, "Thursday 17 January, 01:00 NZDT"),
        # A zone whose abbreviation is only an offset ("+04") is named by its name.
        ("Asia/Dubai", WINTER, "Wednesday 16 January, 14:00 Asia/Dubai"),
    ],
)
def test_a_reminder_to_a_freelancer_gives_the_time_and_day_in_their_zone_named(inbox, zone, moment, said):
    checkin = checkin_at(moment, freelancer_zone=zone)

    messages = remind(inbox, moment)

    assert_said_everywhere(email_to(messages, checkin.project.freelancer.email), said)


def test_the_freelancers_copy_and_the_owners_copy_each_use_their_readers_zone(inbox):
    checkin = checkin_at(WINTER, freelancer_zone="Asia/Tokyo")

    messages = remind(inbox, WINTER)

    assert_said_everywhere(email_to(messages, checkin.project.freelancer.email), "19:00 JST")
    owners = email_to(messages, checkin.project.owner.email)
    assert_said_everywhere(owners, "Wednesday 16 January, 10:00 UTC")
    assert "JST" not in owners.text


def test_a_freelancer_without_a_zone_reads_the_sites_named(inbox, settings):
    settings.TIME_ZONE = "America/New_York"
    checkin = checkin_at(WINTER, freelancer_zone="")

    messages = remind(inbox, WINTER)

    assert_said_everywhere(email_to(messages, checkin.project.freelancer.email), "05:00 EST")


def test_a_freelancers_stored_zone_that_is_not_a_zone_falls_back_to_the_sites_and_the_email_still_goes(
    inbox, client
):
    checkin = checkin_at(WINTER, freelancer_zone="Asia/Tokyo")
    # Written around the form's validation, as an old import or a removed tzdata zone could leave it.
    Freelancer.objects.filter(pk=checkin.project.freelancer_id).update(timezone=UNKNOWN_ZONE)

    messages = remind(inbox, WINTER)

    assert_said_everywhere(email_to(messages, checkin.project.freelancer.email), "10:00 UTC")
    response = link_page(client, checkin)
    assert response.status_code == HTTPStatus.OK
    assert "Wednesday 16 January, 10:00 UTC" in response.text


# Emails to staff users


@pytest.mark.parametrize(
    "moment, said", [(WINTER, "Wednesday 16 January, 11:00 CET"), (SUMMER, "Wednesday 17 July, 12:00 CEST")]
)
def test_a_staff_user_in_berlin_reads_cet_or_cest(inbox, owner, moment, said):
    choose_zone(owner, "Europe/Berlin")
    checkin_at(moment, freelancer_zone="Asia/Tokyo", owner=owner)

    messages = remind(inbox, moment)

    assert_said_everywhere(email_to(messages, owner.email), said)


def test_a_staff_user_who_chose_nothing_reads_the_sites_zone(inbox, owner, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    checkin_at(WINTER, owner=owner)

    messages = remind(inbox, WINTER)

    assert_said_everywhere(email_to(messages, owner.email), "Wednesday 16 January, 11:00 CET")


def test_a_staff_users_stored_zone_that_is_not_a_zone_falls_back_to_the_sites(inbox, owner):
    ReminderPreference.objects.create(user=owner, time_zone=UNKNOWN_ZONE)
    checkin_at(WINTER, owner=owner)

    messages = remind(inbox, WINTER)

    assert_said_everywhere(email_to(messages, owner.email), "10:00 UTC")


def test_the_morning_digest_lists_check_ins_in_the_owners_zone(inbox, owner):
    choose_zone(owner, "Asia/Tokyo", daily_digest=True)
    checkin = checkin_at(WINTER, freelancer_zone="Europe/Berlin", owner=owner)

    # 07:00 UTC is the digest hour: the owner's reminder goes in their digest at once.
    messages = remind(inbox, WINTER)

    digest = email_to(messages, owner.email)
    assert digest.subject.startswith("Your reminders for")
    for body in (digest.text, digest.html):
        assert "Check-in Wednesday 16 January, 19:00 JST" in body
    # The freelancer's copy goes out alone, in the freelancer's zone.
    assert_said_everywhere(email_to(messages, checkin.project.freelancer.email), "11:00 CET")


def test_the_owner_reads_a_freelancers_update_with_the_check_in_time_in_the_owners_zone(
    inbox, client, owner, django_capture_on_commit_callbacks
):
    choose_zone(owner, "America/Los_Angeles")
    checkin = checkin_at(WINTER, freelancer_zone="Asia/Tokyo", owner=owner)
    url = reverse("checkin_update", args=[checkin_token(checkin, checkin.project.freelancer)])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"progress": "The homepage is done.", "on_track": "green"})

    assert response.status_code == HTTPStatus.OK
    update = email_to(inbox.messages, owner.email)
    assert "Wednesday 16 January, 02:00 PST" in update.text
    assert "Wednesday 16 January, 02:00 PST" in update.html


# The freelancer's page


def test_the_freelancers_page_shows_the_check_in_in_their_zone_named(client):
    checkin = checkin_at(WINTER + 10 * HOUR, freelancer_zone="Asia/Tokyo")

    response = link_page(client, checkin)

    assert response.status_code == HTTPStatus.OK
    assert "Thursday 17 January, 05:00 JST" in response.text


# The setting


def test_the_setting_offers_every_zone_sorted_and_starts_on_the_sites(owner_client, settings):
    settings.TIME_ZONE = "Europe/Lisbon"

    response = owner_client.get(PREFERENCES)

    assert response.status_code == HTTPStatus.OK
    choices = response.context["form"].fields["time_zone"].choices
    assert choices[0] == ("", "The site's time zone (Europe/Lisbon)")
    assert [value for value, _ in choices[1:]] == sorted(zoneinfo.available_timezones())
    assert response.context["form"]["time_zone"].value() in ("", None)
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in response.text


def test_an_unknown_zone_is_refused_beside_the_field_and_nothing_is_saved(owner_client, owner):
    response = owner_client.post(PREFERENCES, {"time_zone": UNKNOWN_ZONE, "daily_digest": "on"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing was saved" in response.text
    assert response.context["form"].errors == {
        "time_zone": ["Choose a time zone from the list, such as Europe/Berlin."]
    }
    assert 'id="error_1_id_time_zone"' in response.text
    assert not ReminderPreference.objects.filter(user=owner).exists()


def test_a_chosen_zone_is_saved_and_the_users_pages_show_times_in_it_at_once(owner_client, owner):
    CheckInFactory(
        scheduled_for=(timezone.now() + 2 * DAY).replace(hour=10, minute=0, second=0, microsecond=0)
    )

    response = owner_client.post(PREFERENCES, {"time_zone": "Asia/Tokyo"}, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert ReminderPreference.objects.get(user=owner).time_zone == "Asia/Tokyo"
    assert response.context["form"]["time_zone"].value() == "Asia/Tokyo"
    page = owner_client.get(CHECKINS).text
    assert "Times in Asia/Tokyo" in page
    assert "19:00 JST" in page


def test_each_user_sets_only_their_own_zone(client, owner, assistant):
    choose_zone(owner, "Europe/Berlin")
    client.force_login(assistant)

    response = client.post(PREFERENCES, {"time_zone": "Asia/Tokyo"})

    assert response.status_code == HTTPStatus.FOUND
    assert ReminderPreference.objects.get(user=assistant).time_zone == "Asia/Tokyo"
    assert ReminderPreference.objects.get(user=owner).time_zone == "Europe/Berlin"


# Logged-in pages


def test_a_user_who_logs_in_sees_pages_in_their_zone_and_the_next_request_is_not_left_in_it(
    client, owner, settings
):
    choose_zone(owner, "America/Los_Angeles")
    CheckInFactory(
        scheduled_for=(timezone.now() + 2 * DAY).replace(hour=10, minute=0, second=0, microsecond=0)
    )
    client.force_login(owner)

    page = client.get(CHECKINS).text

    assert "Times in America/Los_Angeles" in page
    assert ("02:00 PST" in page) or ("03:00 PDT" in page)
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_session_begun_before_zones_were_remembered_still_gets_the_users_zone(client, owner):
    choose_zone(owner, "Asia/Tokyo")
    client.force_login(owner)
    session = client.session
    del session[SESSION_KEY]
    session.save()

    assert "Times in Asia/Tokyo" in client.get(CHECKINS).text
    assert client.session[SESSION_KEY] == "Asia/Tokyo"


def test_a_users_stored_zone_that_is_not_a_zone_shows_pages_in_the_sites_zone(client, owner):
    ReminderPreference.objects.create(user=owner, time_zone=UNKNOWN_ZONE)
    client.force_login(owner)

    response = client.get(CHECKINS)

    assert response.status_code == HTTPStatus.OK
    assert "Times in UTC" in response.text
