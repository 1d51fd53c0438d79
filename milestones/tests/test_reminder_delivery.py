"""Delivering a reminder claims it first and sends with no database lock held; the sweep
returns the claims a dead worker left, so the reminder is sent (again)."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from milestones import delivery, scan, tasks
from milestones.models import Reminder
from milestones.tests import smtp
from milestones.tests.waiting import wait_until
from projects.tests.factories import CheckInFactory, ProjectFactory

State = Reminder.State
SECOND = datetime.timedelta(seconds=1)

smtp_server = smtp.smtp_server
inbox = smtp.smtp_inbox


def pending_reminders(count):
    """`count` pending reminders, the owner's of as many check-ins coming up."""
    project = ProjectFactory(start_on=timezone.localdate(), freelancer=None)
    for hours in range(1, count + 1):
        CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(hours=hours))
    scan.scan()
    return list(Reminder.objects.order_by("pk"))


def stale_moment():
    """A moment at which every claim made until now counts as left by a dead worker."""
    return timezone.now() + delivery.claim_stale_after() + SECOND


@pytest.mark.skipif(connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's")
def test_no_database_lock_is_held_while_the_mail_server_takes_the_email(transactional_db, inbox):
    sending, other = pending_reminders(2)
    errors = []

    def worker():
        try:
            delivery.deliver(sending.pk)
        except Exception as error:  # handed to the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    with inbox.holding():
        thread.start()
        inbox.wait_for(1, timeout=10)  # the worker is waiting for the server's answer now
        try:
            with transaction.atomic():
                # A writer that has to wait for a lock the worker holds gives up after a second.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                Reminder.objects.filter(pk=other.pk).update(last_error="edited while another was sent")
                Reminder.objects.filter(pk=sending.pk).update(enqueued_at=timezone.now())
        except OperationalError as error:
            errors.append(error)
        state_while_sending = Reminder.objects.get(pk=sending.pk).state
    thread.join(timeout=20)

    assert errors == [], "a write waited for the worker's lock while it talked to the mail server"
    assert state_while_sending == State.SENDING
    sending.refresh_from_db()
    assert (sending.state, sending.attempts) == (State.SENT, 1)
    assert len(inbox.messages) == 1


@pytest.mark.django_db
def test_a_reminder_another_worker_has_claimed_is_left_to_it():
    (reminder,) = pending_reminders(1)
    assert delivery.claim(reminder.pk) is not None

    assert delivery.deliver(reminder.pk) is False
    assert delivery.claim(reminder.pk) is None

    assert mail.outbox == []
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (State.SENDING, 0)


@pytest.mark.django_db
def test_a_claim_a_dead_worker_left_is_returned_by_the_sweep_and_sent_once_more(
    monkeypatch, django_capture_on_commit_callbacks
):
    # The dead worker's email may have gone out: from here on it is sent (again) exactly once.
    left, finished = pending_reminders(2)
    delivery.claim(left.pk)
    delivery.deliver(finished.pk)

    assert delivery.sweep() == 0  # it may still be talking to the mail server
    assert delivery.sweep(stale_moment()) == 1
    left.refresh_from_db()
    assert (left.state, left.enqueued_at) == (State.PENDING, None)

    enqueued = []
    monkeypatch.setattr(tasks, "enqueue", enqueued.extend)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.scan_and_enqueue()
    assert enqueued == [left.pk]
    assert [delivery.deliver(pk) for pk in enqueued * 2] == [True, False]
    assert len(mail.outbox) == 2  # the finished one's, and the left one's sent once more
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.SENT}


@pytest.mark.django_db
def test_the_sweep_leaves_sent_and_failed_reminders_alone():
    sent, failed = pending_reminders(2)
    delivery.deliver(sent.pk)
    Reminder.objects.filter(pk=failed.pk).update(state=State.FAILED, claimed_at=timezone.now())

    assert delivery.sweep(stale_moment()) == 0

    assert dict(Reminder.objects.values_list("pk", "state")) == {sent.pk: State.SENT, failed.pk: State.FAILED}


def test_waiting_fails_with_what_was_awaited_once_the_deadline_passes():
    with pytest.raises(AssertionError, match="the sky did not fall within 0.1 s"):
        wait_until(lambda: False, 0.1, "the sky did not fall")
