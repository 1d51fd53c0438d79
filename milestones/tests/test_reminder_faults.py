"""Fault drills for reminders: whatever fails, no reminder is lost and none is sent twice.

Each drill runs real worker processes against the test database, the broker the
environment configures (a folder or a Redis database of the test's own) and a real
SMTP server, breaks one thing, and counts what reached the SMTP server. The last
tests change the project under a reminder that waits to be sent.
"""

import contextlib
import datetime
import os
import signal
import subprocess
import threading
from collections import Counter
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from freelancers.tests.factories import FreelancerFactory
from milestones import delivery, scan, tasks
from milestones.links import read_checkin_token
from milestones.models import Reminder
from milestones.tasks import send_reminder
from milestones.tests import processes, smtp
from milestones.tests.processes import forget_broker_connections, wait_until
from milestones.tests.test_reminders_end_to_end import (
    LINK,
    all_sent,
    assert_each_arrived_once,
    due_checkins,
    expected_emails,
    received,
)
from projects.services import replace_freelancer

# The fixtures the drills ask for by name.
own_broker = processes.own_broker
smtp_server = smtp.smtp_server

needs_row_locks = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="scans and workers writing at once are a PostgreSQL deployment (SQLite takes one writer "
    "at a time, and has no row locks for the digest's claim): this drill runs on PostgreSQL only",
)

# How CI starts Redis (.ci/run); a drill that stops Redis starts it again the same way.
REDIS_DIRECTORIES = ("/var/lib/redis", "/var/log/redis")
REDIS_SERVER = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--save", "", "--appendonly", "no",
    "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def after_requeue():
    """A moment when every pending reminder counts as lost, so the next scan enqueues it again."""
    return timezone.now() + datetime.timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES + 1)


def states():
    return Counter(Reminder.objects.values_list("state", flat=True))


def run_at_once(*functions):
    """Run the functions in threads released at the same moment; re-raise the first error."""
    barrier = threading.Barrier(len(functions))
    errors = []

    def run(function):
        try:
            barrier.wait()
            function()
        except Exception as error:  # handed to the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[function]) for function in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# 1. Two beats, four workers.


@pytest.mark.slow
@needs_row_locks
def test_two_scans_at_once_and_four_workers_send_200_reminders_exactly_once(
    transactional_db, own_broker, smtp_server
):
    checkins = due_checkins(100)
    expected = expected_emails(checkins)
    assert len(scan.scan(dry_run=True)) == len(expected) == 200

    with contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(own_broker.worker(smtp_server, name=f"worker-{number}"))
            for number in range(4)
        ]
        # Two beats scan at the same moment; then both again once the first messages count
        # as lost, so each row still pending is enqueued a second time while workers hold the first.
        run_at_once(tasks.scan_and_enqueue, tasks.scan_and_enqueue)
        later = after_requeue()
        run_at_once(lambda: tasks.scan_and_enqueue(later), lambda: tasks.scan_and_enqueue(later))
        smtp_server.wait_for(len(expected), timeout=45)
        wait_until(all_sent(len(expected)), 15, "not every reminder was marked sent", workers)
        own_broker.wait_until_settled(workers)  # a duplicate, if any, has arrived by then

    assert_each_arrived_once(smtp_server.messages, expected)
    assert states() == {Reminder.State.SENT: 200}
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}


# 2. The mail server refuses.

FAST_RETRIES = {"REMINDER_RETRY_BASE_SECONDS": 1, "REMINDER_RETRY_MAX_SECONDS": 4}


@pytest.mark.slow
def test_reminders_are_retried_while_the_mail_server_is_down_and_sent_once_when_it_is_back(
    transactional_db, own_broker, smtp_server
):
    smtp_server.stop()
    expected = expected_emails(due_checkins(3))

    with own_broker.worker(smtp_server, REMINDER_MAX_RETRIES=6, **FAST_RETRIES) as worker:
        tasks.scan_and_enqueue()
        refused_twice = lambda: all(  # noqa: E731
            attempts >= 2 for attempts in Reminder.objects.values_list("attempts", flat=True)
        )
        wait_until(refused_twice, 30, "reminders were not retried", [worker])
        assert states() == {Reminder.State.PENDING: len(expected)}
        assert all(
            "Connection refused" in error for error in Reminder.objects.values_list("last_error", flat=True)
        )

        smtp_server.start()
        smtp_server.wait_for(len(expected), timeout=30, failure=worker.output()[-3000:])
        wait_until(all_sent(len(expected)), 10, "not every reminder was marked sent", [worker])
        own_broker.wait_until_settled([worker])

    assert_each_arrived_once(smtp_server.messages, expected)
    assert min(Reminder.objects.values_list("attempts", flat=True)) >= 3  # two refused, one sent


@pytest.mark.slow
def test_after_the_last_retry_a_reminder_is_failed_with_the_error_and_the_retry_button_sends_it_once(
    transactional_db, own_broker, smtp_server
):
    smtp_server.stop()
    expected = expected_emails(due_checkins(2))

    with own_broker.worker(smtp_server, REMINDER_MAX_RETRIES=2, **FAST_RETRIES) as worker:
        tasks.scan_and_enqueue()
        all_failed = lambda: states() == {Reminder.State.FAILED: len(expected)}  # noqa: E731
        wait_until(all_failed, 30, "reminders were not marked failed", [worker])
        for reminder in Reminder.objects.all():
            assert reminder.attempts == 3  # the first try and two retries
            assert reminder.last_error.startswith("ConnectionRefusedError: [Errno 111] Connection refused")
        assert smtp_server.messages == []

        smtp_server.start()
        for reminder in Reminder.objects.all():
            tasks.retry(reminder)
        smtp_server.wait_for(len(expected), timeout=30, failure=worker.output()[-3000:])
        wait_until(all_sent(len(expected)), 10, "not every retried reminder was marked sent", [worker])
        own_broker.wait_until_settled([worker])

    assert_each_arrived_once(smtp_server.messages, expected)


# 3. The broker is down while the scan runs.


@contextlib.contextmanager
def broker_down(broker, tmp_path):
    """Make the broker unusable for this process: Redis is shut down (and started again on
    leaving); the filesystem broker is replaced by a folder inside a regular file, which no
    one can create, while the worker keeps its own folder."""
    if not broker.is_redis:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        broker.use(f"filesystem://{blocker / 'broker'}")
        try:
            yield
        finally:
            broker.use()
        return
    parts = urlsplit(broker.redis_url)
    client = redis.Redis(host=parts.hostname, port=parts.port or 6379)
    subprocess.run(
        ["redis-cli", "-h", parts.hostname, "-p", str(parts.port or 6379), "shutdown", "nosave"], check=False
    )
    try:
        wait_until(lambda: not answers(client), 10, "Redis did not stop")
        yield
    finally:
        if not answers(client):
            for directory in REDIS_DIRECTORIES:
                os.makedirs(directory, exist_ok=True)
            subprocess.run([*REDIS_SERVER, "--port", str(parts.port or 6379)], check=True)
            wait_until(lambda: answers(client), 30, "Redis did not start again")
        broker.reclaim()
        forget_broker_connections()


def answers(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.mark.slow
def test_a_scan_while_the_broker_is_down_fails_loudly_and_the_next_one_sends_everything_once(
    transactional_db, own_broker, smtp_server, client, owner_client, tmp_path
):
    expected = expected_emails(due_checkins(5))

    with own_broker.worker(smtp_server) as worker:
        connections = worker.output().count("Connected to")
        with broker_down(own_broker, tmp_path):
            with pytest.raises((OperationalError, OSError)):
                tasks.scan_and_enqueue()
            assert states() == {Reminder.State.PENDING: len(expected)}

            health = client.get(reverse("healthz"))
            assert health.status_code == HTTPStatus.SERVICE_UNAVAILABLE
            assert health.json()["down"] == ["broker"]
            assert owner_client.get(reverse("milestones:checkins")).status_code == HTTPStatus.OK

        if own_broker.is_redis:
            # A Redis restarted without its data has forgotten the queue; the worker declares it again.
            reconnected = lambda: worker.output().count("Connected to") > connections  # noqa: E731
            wait_until(reconnected, 30, "the worker did not reconnect to Redis", [worker])
        assert client.get(reverse("healthz")).status_code == HTTPStatus.OK
        tasks.scan_and_enqueue(after_requeue())
        smtp_server.wait_for(len(expected), timeout=30, failure=worker.output()[-3000:])
        wait_until(all_sent(len(expected)), 10, "not every reminder was marked sent", [worker])
        own_broker.wait_until_settled([worker])

    assert_each_arrived_once(smtp_server.messages, expected)


# 4. A worker killed in the middle of a batch.


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_at_most_its_one_task_in_flight_twice(
    transactional_db, own_broker, smtp_server, record_property
):
    """The crash window: deliver() claims the row (pending → sending, committed), sends, then
    marks it sent. A worker killed after the SMTP server took the message and before marking
    leaves the row claimed; the sweep returns the stale claim to pending and the scan that
    re-enqueues it sends it again. Here the
    server takes 50 ms between taking a message and answering 250, so the kill almost always
    lands in that window: one duplicate. A worker runs one task at a time, so a kill costs at
    most one; every other reminder, including the messages the killed worker had taken from
    the broker and never ran, is sent exactly once."""
    expected = expected_emails(due_checkins(40))
    smtp_server.inbox.delay = 0.05

    with own_broker.worker(smtp_server, name="killed") as worker:
        tasks.scan_and_enqueue()
        smtp_server.wait_for(20, timeout=30, failure=worker.output()[-3000:])
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
    sent_before = states()[Reminder.State.SENT]
    arrived_before = len(smtp_server.messages)
    assert 0 < sent_before < len(expected)

    with own_broker.worker(smtp_server, name="restarted") as worker:
        delivery.sweep(timezone.now() + delivery.claim_stale_after() + datetime.timedelta(seconds=1))
        tasks.scan_and_enqueue(after_requeue())
        wait_until(all_sent(len(expected)), 30, "not every reminder was sent after the restart", [worker])
        smtp_server.wait_for(len(expected), timeout=10)
        own_broker.wait_until_settled([worker])

    counts = received(smtp_server.messages)
    duplicates = sum(count - 1 for count in counts.values())
    record_property("duplicates", duplicates)
    print(
        f"SIGKILL drill: {arrived_before} emails arrived and {sent_before} rows were marked sent "
        f"before the kill; {duplicates} duplicate(s) of {len(expected)} reminders"
    )
    assert set(counts) == set(expected)
    assert duplicates <= 1
    assert states() == {Reminder.State.SENT: len(expected)}


# 5. The project changes while a freelancer's reminder waits (a mail server down, a broker
# outage: retries and re-enqueuing keep a row pending for up to a quarter of an hour).


def a_waiting_freelancer_reminder():
    (checkin,) = due_checkins(1)
    tasks.scan_and_enqueue()  # in a test's transaction nothing is enqueued: the rows wait
    freelancer = checkin.project.freelancer
    return checkin.project, freelancer, Reminder.objects.get(recipient=freelancer.email)


@pytest.mark.django_db
def test_a_freelancer_replaced_while_their_reminder_waits_is_not_sent_the_new_freelancers_link(mailoutbox):
    project, replaced, waiting = a_waiting_freelancer_reminder()
    newcomer = FreelancerFactory()
    replace_freelancer(
        project=project, new=newcomer, reason="Went quiet", by=project.owner, override_reason="Known"
    )

    delivery.deliver(waiting.pk)

    for message in mailoutbox:
        assert message.to == [replaced.email]
        token = LINK.search(message.body).group(1).removeprefix("/checkin/").removesuffix("/")
        assert read_checkin_token(token)[1] != newcomer.pk, "the replaced freelancer got the newcomer's link"


@pytest.mark.django_db
def test_a_freelancer_reminder_whose_project_lost_its_freelancer_is_not_retried_forever():
    project, _, waiting = a_waiting_freelancer_reminder()
    project.freelancer = None
    project.save()

    send_reminder.apply(args=[waiting.pk])

    assert not Reminder.objects.filter(pk=waiting.pk, state=Reminder.State.PENDING).exists()
