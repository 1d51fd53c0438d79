"""`manage.py send_reminders`: one scan run here and now, for cron users without Celery."""

import datetime
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.utils import timezone

from milestones import tasks
from milestones.models import Reminder, ReminderPreference
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

Kind = Reminder.Kind
State = Reminder.State
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Fails the test if anything is handed to Celery: the command needs no worker."""

    def refuse(ids):
        raise AssertionError(f"reminders {ids} were enqueued")

    monkeypatch.setattr(tasks, "enqueue", refuse)


@pytest.fixture
def refusing_mail_server(monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    return monkeypatch


def send_reminders(*args):
    out, err = StringIO(), StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def shop_launch(**fields):
    """An active project with a check-in in two hours and a milestone late by a day."""
    today = timezone.localdate()
    project = ProjectFactory(title="Shop launch", start_on=today, due_on=today + 30 * DAY, **fields)
    checkin = CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(hours=2))
    milestone = MilestoneFactory(project=project, due_on=today - DAY, title="Product pages")
    return project, checkin, milestone


# --dry-run


def test_a_dry_run_prints_one_line_per_due_reminder_and_writes_and_sends_nothing(
    django_capture_on_commit_callbacks,
):
    project, checkin, milestone = shop_launch()
    slot = checkin.scheduled_for.isoformat()

    with django_capture_on_commit_callbacks() as callbacks:
        out, _ = send_reminders("--dry-run")

    assert out.splitlines() == [
        f"checkin_upcoming  {project.owner.email}  Shop launch  {slot}",
        f"checkin_upcoming  {project.freelancer.email}  Shop launch  {slot}",
        f"milestone_overdue  {project.owner.email}  Shop launch  {milestone.due_on.isoformat()}",
        "3 reminders due, 0 sent already: 3 to send, 0 skipped (no email address). "
        "Dry run: nothing was written or sent.",
    ]
    assert not Reminder.objects.exists()
    assert mail.outbox == []
    assert callbacks == []


def test_a_dry_run_names_who_cannot_be_reached_and_what_waits_for_a_digest():
    project, _, _ = shop_launch(freelancer__email="", freelancer__name="Ana Souza")
    ReminderPreference.objects.create(user=project.owner, daily_digest=True)

    out, _ = send_reminders("--dry-run")

    assert "(in the morning digest)" in out
    assert out.count("(in the morning digest)") == 2
    assert "skipped: checkin_upcoming to Ana Souza, who has no email address, about “Shop launch”" in out
    assert "3 reminders due, 0 sent already: 2 to send, 1 skipped (no email address)." in out
    assert not Reminder.objects.exists()


def test_a_dry_run_leaves_out_what_was_sent_already():
    shop_launch()
    send_reminders()

    out, _ = send_reminders("--dry-run")

    assert out.splitlines() == [
        "3 reminders due, 3 sent already: 0 to send, 0 skipped (no email address). "
        "Dry run: nothing was written or sent."
    ]


def test_a_dry_run_says_what_the_real_run_then_says():
    project, _, _ = shop_launch()
    send_reminders()
    CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(hours=3))

    dry, _ = send_reminders("--dry-run")
    real, _ = send_reminders()

    said = "5 reminders due, 3 sent already: 2 to send, 0 skipped (no email address)."
    assert dry.splitlines()[-1] == f"{said} Dry run: nothing was written or sent."
    assert real.startswith(f"{said} Sent 2: ")


# A real run


def test_a_run_writes_the_rows_and_sends_each_reminder_itself_without_a_worker():
    project, _, _ = shop_launch()

    out, err = send_reminders()

    assert len(mail.outbox) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [project.owner.email, project.owner.email, project.freelancer.email]
    )
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.SENT}
    assert out.strip() == (
        "3 reminders due, 0 sent already: 3 to send, 0 skipped (no email address). "
        "Sent 3: 3 one by one, 0 in daily digests. "
        "0 pending (for a later digest or another try)."
    )
    assert err == ""


def test_a_second_run_sends_nothing_again():
    shop_launch()
    send_reminders()

    out, _ = send_reminders()

    assert len(mail.outbox) == 3
    assert Reminder.objects.count() == 3
    assert "Sent 0" in out


def test_a_run_sends_the_daily_digest_when_it_is_due(settings):
    settings.REMINDER_DIGEST_HOUR = 0
    project, _, _ = shop_launch()
    ReminderPreference.objects.create(user=project.owner, daily_digest=True)
    send_reminders()  # writes the rows; the digest goes with the first run after they are written
    assert [message.to for message in mail.outbox] == [[project.freelancer.email]]
    Reminder.objects.filter(user=project.owner).update(created_at=timezone.now() - DAY)

    out, _ = send_reminders()

    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == [project.owner.email]
    assert mail.outbox[1].subject.endswith(": 2 items")
    assert "Sent 2: 0 one by one, 2 in daily digests." in out


def test_a_refused_reminder_is_tried_again_by_the_next_runs_then_failed(settings, refusing_mail_server):
    settings.REMINDER_MAX_RETRIES = 2
    shop_launch(freelancer=None)

    out, err = send_reminders()
    assert set(Reminder.objects.values_list("state", "attempts")) == {(State.PENDING, 1)}
    assert "2 pending" in out and err == ""
    assert set(Reminder.objects.values_list("last_error", flat=True)) == {
        "SMTPServerDisconnected: Connection unexpectedly closed"
    }

    send_reminders()
    _, err = send_reminders()
    assert set(Reminder.objects.values_list("state", "attempts")) == {(State.FAILED, 3)}
    assert "2 failed for good: see the failed reminders page to retry them." in err

    refusing_mail_server.undo()
    send_reminders()
    assert mail.outbox == []  # failed ones wait for the Retry button
