"""A real Celery worker process takes a task from the broker and writes to the database.

This is the chain every reminder depends on, so it is tested with nothing replaced:
the broker the environment configures (files under var/broker, or Redis) and the
test database, reached by the worker through DATABASE_URL like in production.
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dashboard.models import Heartbeat
from dashboard.tasks import record_heartbeat
from outsourcing.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60  # for the worker to start, and then for the task to land
STOP_SECONDS = 10


def database_url(settings_dict):
    """The URL that makes another process open the database this one uses (in a test: the test database)."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{name}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict["USER"] or "", safe="")
        password = quote(settings_dict["PASSWORD"] or "", safe="")
        return f"postgres://{user}:{password}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"
    raise ValueError(f"no URL form known for the {engine} database engine")


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen
    log: Path

    def output(self):
        return self.log.read_text(errors="replace")

    def is_ready(self):
        return " ready." in self.output()


@contextlib.contextmanager
def running_worker(queue, log):
    """Start a Celery worker consuming only `queue`; stop it on leaving, whatever happened.

    The queue is the caller's own, so a worker left running for development never
    takes the test's messages, and the test's worker never takes anyone else's.
    """
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "worker", "--pool=solo", "-Q", queue]
    # Mingle, gossip and heartbeats only talk to other workers; a test's worker has none.
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)
    worker = Worker(queue=queue, process=process, log=log)
    try:
        wait_until(worker.is_ready, worker, "the worker did not report ready")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        delete_queue(queue)


def delete_queue(queue):
    # Each run's queue is new; without this, the broker keeps an empty queue per run forever.
    with celery_app.connection_for_write() as broker:
        declared = celery_app.amqp.queues[queue].bind(broker.default_channel)
        # A new connection knows no bindings; declaring the queue again lets the delete find them.
        declared.declare()
        declared.delete()
    # kombu's filesystem transport empties the exchange's file but leaves it behind.
    control_folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("control_folder")
    if control_folder:
        (Path(control_folder) / f"{queue}.exchange").unlink(missing_ok=True)


def wait_until(condition, worker, failure):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert worker.process.poll() is None, (
            f"the worker exited with {worker.process.returncode}:\n{worker.output()}"
        )
        assert time.monotonic() < deadline, f"{failure} within {WAIT_SECONDS} s:\n{worker.output()}"
        time.sleep(0.2)


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker that already consumes its own queue and sees the test database."""
    with running_worker(f"test-{uuid.uuid4().hex}", tmp_path / "worker.log") as running:
        yield running


@pytest.mark.slow
def test_a_real_worker_runs_a_task_sent_from_django_and_writes_to_the_database(worker):
    name = f"test-{uuid.uuid4().hex[:12]}"
    sent_at = timezone.now()

    record_heartbeat.apply_async(kwargs={"name": name}, queue=worker.queue)

    wait_until(
        lambda: Heartbeat.objects.filter(name=name).exists(),
        worker,
        f"no heartbeat named {name} reached the database",
    )
    assert Heartbeat.objects.get(name=name).seen_at >= sent_at
