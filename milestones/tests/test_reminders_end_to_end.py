"""Reminders end to end, with nothing replaced: Celery beat runs the scan, a Celery
worker sends each email to a real SMTP server, and the freelancer's link works.

Every process is real (milestones.tests.processes starts them): beat and the worker
are subprocesses reaching the test database, the broker is the kind the environment
configures but one no other run uses, and the SMTP server is aiosmtpd on 127.0.0.1.
The data helpers here are shared with test_reminder_faults.py.
"""

import datetime
import re
from collections import Counter
from http import HTTPStatus

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from milestones.links import read_checkin_token
from milestones.models import Reminder
from milestones.tests import processes, smtp
from milestones.tests.processes import running_beat, wait_until
from milestones.time_zones import for_reader, freelancer_zone, user_zone
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

# The fixtures the tests ask for by name.
own_broker = processes.own_broker
smtp_server = smtp.smtp_server


# The processes.


def fast_reminder_scan(every_seconds=2):
    """A periodic task running the reminder scan every few seconds.

    The database scheduler rewrites "reminder-scan" from CELERY_BEAT_SCHEDULE when beat
    starts (update_or_create by name), so a shorter interval needs an entry of its own."""
    interval, _ = IntervalSchedule.objects.get_or_create(every=every_seconds, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(
        name="fast-reminder-scan", task="milestones.tasks.scan_reminders", interval=interval
    )


# The data and what must arrive.


def due_checkins(count, per_project=10, hours_ahead=2):
    """`count` planned check-ins inside the reminder lead time, each at its own minute.

    The projects started today, so nothing but the check-ins is due (no gone-quiet reminder)."""
    today = timezone.localdate()
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=hours_ahead)
    checkins = []
    project = None
    for number in range(count):
        if number % per_project == 0:
            project = ProjectFactory(start_on=today)
        scheduled_for = start + datetime.timedelta(minutes=number)
        checkins.append(CheckInFactory(project=project, scheduled_for=scheduled_for))
    return checkins


def email_key(recipient, checkin, zone):
    return recipient, f"Check-in {for_reader(checkin.scheduled_for, zone)}: {checkin.project.title}"


def expected_emails(checkins):
    """(recipient, subject) of every email the check-ins should cause: the owner's, and the freelancer's,
    each with the time in its reader's zone."""
    keys = []
    for checkin in checkins:
        owner, freelancer = checkin.project.owner, checkin.project.freelancer
        keys.append(email_key(owner.email, checkin, user_zone(owner)))
        if freelancer is not None:
            keys.append(email_key(freelancer.email, checkin, freelancer_zone(freelancer)))
    return keys


def received(messages):
    return Counter((", ".join(message.recipients), message.subject) for message in messages)


def assert_each_arrived_once(messages, expected):
    counts = received(messages)
    missing = set(expected) - set(counts)
    unexpected = set(counts) - set(expected)
    twice = {key: number for key, number in counts.items() if number > 1}
    assert not missing, f"{len(missing)} emails never arrived, e.g. {sorted(missing)[:3]}"
    assert not twice, f"{len(twice)} emails arrived more than once, e.g. {sorted(twice.items())[:3]}"
    assert not unexpected, f"{len(unexpected)} emails nobody expected, e.g. {sorted(unexpected)[:3]}"


def all_sent(count):
    return lambda: Reminder.objects.filter(state=Reminder.State.SENT).count() == count


def in_hours(hours):
    return timezone.now() + datetime.timedelta(hours=hours)


LINK = re.compile(r"https?://\S+?(/checkin/[^/\s]+/)")


# The test.


@pytest.mark.slow
def test_beat_and_a_worker_email_each_due_check_in_once_with_a_working_link(
    transactional_db, own_broker, smtp_server, client
):
    website = ProjectFactory(title="Website refresh", start_on=timezone.localdate())
    shop = ProjectFactory(title="Shop photos", start_on=timezone.localdate(), freelancer=None)
    due = [
        CheckInFactory(
            project=website, scheduled_for=in_hours(2), milestone=MilestoneFactory(project=website)
        ),
        CheckInFactory(project=website, scheduled_for=in_hours(20)),
        CheckInFactory(project=shop, scheduled_for=in_hours(5)),  # no freelancer: the owner's email only
    ]
    CheckInFactory(project=website, scheduled_for=in_hours(30))  # beyond the lead time
    CheckInFactory(project=website, scheduled_for=in_hours(3), held_on=timezone.localdate())  # held already
    expected = expected_emails(due)
    assert len(expected) == 5
    fast_reminder_scan(every_seconds=2)

    with (
        own_broker.worker(smtp_server) as worker,
        running_beat(own_broker.log_folder / "beat.log") as beat,
    ):
        smtp_server.wait_for(len(expected), timeout=45, failure=worker.output()[-3000:] + beat.output())
        wait_until(all_sent(len(expected)), 10, "not every reminder was marked sent", [worker, beat])
        # Two more scans find the same check-ins due; the database says they were sent.
        scans = worker.output().count("Reminder scan:")
        more_scans = lambda: worker.output().count("Reminder scan:") >= scans + 2  # noqa: E731
        wait_until(more_scans, 15, "beat ran no more scans", [worker])

    messages = smtp_server.messages
    assert_each_arrived_once(messages, expected)
    assert Reminder.objects.count() == len(expected)
    assert set(Reminder.objects.values_list("state", flat=True)) == {Reminder.State.SENT}
    for message in messages:
        assert message.message.get_content_type() == "multipart/alternative"
        assert message.html.strip()

    freelancer_copies = [m for m in messages if m.recipients == (website.freelancer.email,)]
    assert len(freelancer_copies) == 2
    for message in freelancer_copies:
        assert "Hello" in message.text and "Website refresh" in message.text
        path = LINK.search(message.text).group(1)
        token = path.removeprefix("/checkin/").removesuffix("/")
        checkin_id, freelancer_id = read_checkin_token(token)
        zone = freelancer_zone(website.freelancer)
        checkin = next(c for c in due if for_reader(c.scheduled_for, zone) in message.subject)
        assert (checkin_id, freelancer_id) == (checkin.pk, website.freelancer.pk)
        assert_the_update_page_opens(client, path, token)
    owner_copy = next(m for m in messages if m.recipients == (shop.owner.email,))
    assert f"/checkins/{due[2].pk}/record/" in owner_copy.text


def assert_the_update_page_opens(client, path, token):
    try:
        assert reverse("checkin_update", args=[token]) == path
    except NoReverseMatch:
        return  # the page is not routed yet
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
