"""How many reminder emails per second one worker delivers to a local SMTP server.

    .venv/bin/python bench/reminder_delivery.py [--reminders 500] [--broker filesystem|redis]

Every number is over the same reminders, each sent in full to an aiosmtpd server on
127.0.0.1 running in a process of its own:

- delivery.deliver() called in a loop in this process: the cost of one delivery
  (lock the row, render text and HTML, one SMTP conversation, mark it sent), no broker;
- a real Celery worker (prefork with concurrency 1, then solo) taking send_reminder
  tasks from the broker: the same plus the broker and task overhead. The clock runs
  from the first task published to the last row marked sent; a worker still busy after
  WAIT_SECONDS is stopped and what it sent by then is reported.

The broker is a new temporary folder (filesystem, the default unless CELERY_BROKER_URL
names Redis) or an empty database of the local Redis, emptied again at the end. The
database is helping_hands_bench on the PostgreSQL server DATABASE_URL names (or
postgres://postgres@127.0.0.1:5432), created here and dropped at the end.
"""

import argparse
import contextlib
import datetime
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reminder_scan import ROOT, bench_database, make_projects, stop_after

TIME_LIMIT_SECONDS = 10 * 60
WAIT_SECONDS = 120  # for one batch to be delivered
PER_PROJECT = 10


def serve(ports, received, stop):
    """The SMTP server's process: publishes how many messages it accepted until told to stop."""
    sys.path.insert(0, str(ROOT))
    from milestones.tests.smtp import running_smtp_server

    with running_smtp_server() as server:
        ports.put(server.port)
        while not stop.is_set():
            received.value = len(server.inbox.messages)
            time.sleep(0.01)


@contextlib.contextmanager
def smtp_server_process():
    context = multiprocessing.get_context("spawn")
    ports, received, stop = context.Queue(), context.Value("i", 0), context.Event()
    process = context.Process(target=serve, args=(ports, received, stop), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=30), received
    finally:
        stop.set()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def wait_until(condition, what, process=None):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode} before {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {WAIT_SECONDS} s")
        time.sleep(0.005)


def make_reminders(count):
    """`count` pending reminders: the owner's and the freelancer's for count / 2 due check-ins."""
    from django.utils import timezone

    from milestones import tasks
    from milestones.models import CheckIn, Reminder

    checkins = count // 2
    # Started today: nothing but the check-ins is due (no gone-quiet reminder).
    projects = make_projects(max(1, checkins // PER_PROJECT), started_days_ago=0)
    now = timezone.now()
    CheckIn.objects.bulk_create(
        CheckIn(
            project=projects[number % len(projects)],
            scheduled_for=now + datetime.timedelta(hours=1, minutes=number),
        )
        for number in range(checkins)
    )
    enqueue = tasks.enqueue
    tasks.enqueue = lambda ids: None  # rows only: delivery is what is measured
    try:
        tasks.scan_and_enqueue()
    finally:
        tasks.enqueue = enqueue
    return list(Reminder.objects.order_by("pk").values_list("pk", flat=True))


def make_pending_again():
    from milestones.models import Reminder

    Reminder.objects.update(state=Reminder.State.PENDING, sent_at=None, attempts=0, enqueued_at=None)


def sent_count():
    from milestones.models import Reminder

    return Reminder.objects.filter(state=Reminder.State.SENT).count()


def report(label, count, seconds):
    print(f"{label}: {count} emails in {seconds:.2f} s = {count / seconds:.0f} emails/s")


def deliver_in_a_loop(ids, received):
    from milestones import delivery

    before = received.value
    started = time.perf_counter()
    delivered = sum(delivery.deliver(reminder_id) for reminder_id in ids)
    elapsed = time.perf_counter() - started
    wait_until(lambda: received.value - before >= len(ids), "every email reaching the SMTP server")
    assert delivered == len(ids), f"only {delivered} of {len(ids)} delivered"
    report("delivery.deliver() in a loop, no broker", len(ids), elapsed)


def deliver_with_a_worker(ids, received, pool, log_folder):
    """Time one worker through the batch; after WAIT_SECONDS report what it managed."""
    from milestones import tasks

    make_pending_again()
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "worker", f"--pool={pool}"]
    command += ["--concurrency=1", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
    command += ["--without-heartbeat", "-Q", "celery"]
    log = log_folder / f"worker-{pool}.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=output)  # noqa: S603
    try:
        wait_until(lambda: " ready." in log.read_text(errors="replace"), "the worker being ready", worker)
        before = received.value
        started = time.perf_counter()
        tasks.enqueue(ids)
        published = time.perf_counter() - started
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: sent_count() == len(ids), "every reminder being marked sent", worker)
        elapsed = time.perf_counter() - started
        sent_in_time = sent_count()
    except Exception:
        print(f"the worker's log ends with:\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    partial = "" if sent_in_time == len(ids) else f" (stopped after {WAIT_SECONDS} s)"
    report(f"Celery worker, {pool} pool, concurrency 1{partial}", sent_in_time, elapsed)
    print(f"  (publishing the {len(ids)} tasks took {published:.2f} s of it)")
    # The worker stopped warm, finishing its task in hand: every row marked sent is one email.
    sent = sent_count()
    wait_until(lambda: received.value - before >= sent, "every email reaching the SMTP server")
    time.sleep(0.2)
    assert received.value - before == sent, "the SMTP server did not get exactly one email per sent reminder"


@contextlib.contextmanager
def broker_url(kind, folder):
    """A broker of the bench's own: a new folder, or an empty Redis database whose keys are removed after."""
    if kind == "filesystem":
        yield f"filesystem://{folder / 'broker'}"
        return
    import redis

    base = os.environ.get("CELERY_BROKER_URL", "") if kind == "redis" else kind
    if not base.startswith("redis://"):
        base = "redis://127.0.0.1:6379/0"
    base = base.rsplit("/", 1)[0]
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0 and client.set("helping-hands:bench:claimed-by", os.getpid(), nx=True):
            break
    else:
        raise SystemExit("no empty Redis database (1-15) for the benchmark")
    try:
        yield f"{base}/{number}"
    finally:
        for key in client.scan_iter(count=1000):  # every key: the database was empty when claimed
            client.delete(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reminders", type=int, default=500)
    parser.add_argument("--pools", default="prefork,solo", help="worker pools to measure, comma-separated")
    parser.add_argument(
        "--broker",
        default="redis" if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else "filesystem",
        help="filesystem (a new folder), or redis (an empty database on the Redis of CELERY_BROKER_URL "
        "or 127.0.0.1:6379)",
    )
    arguments = parser.parse_args()
    if not 2 <= arguments.reminders <= 5000 or arguments.reminders % 2:
        parser.error("--reminders must be an even number from 2 to 5000")
    stop_after(TIME_LIMIT_SECONDS)

    folder = Path(tempfile.mkdtemp(prefix="helping-hands-bench-"))
    try:
        with smtp_server_process() as (port, received), broker_url(arguments.broker, folder) as broker:
            environment = {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port),
                "EMAIL_USE_TLS": "false",
                "CELERY_BROKER_URL": broker,
            }
            with bench_database(**environment):
                ids = make_reminders(arguments.reminders)
                print(f"{len(ids)} pending reminders; SMTP server on 127.0.0.1:{port}; broker {broker}")
                deliver_in_a_loop(ids, received)
                for pool in filter(None, arguments.pools.split(",")):
                    deliver_with_a_worker(ids, received, pool.strip(), folder)
                print(f"the SMTP server accepted {received.value} emails in all")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
