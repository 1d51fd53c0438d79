"""The background processes tests start, and how they wait for them.

Every test that runs a real Celery worker or beat starts it here: as a subprocess
reaching the test database through DATABASE_URL, like in production, logging to a file
the test reads, and stopped on leaving whatever happened. The broker is the kind the
environment configures (kombu's filesystem transport, or Redis when CELERY_BROKER_URL
says so), and `own_broker` gives a test one no other run uses. The SMTP server they
send to is milestones.tests.smtp's.

Nothing here sleeps for a fixed time: wait_until() (milestones.tests.waiting) polls a
condition until a deadline, and fails early, with the log, when a process it depends on
has died.
"""

import contextlib
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from milestones.tests.waiting import wait_until
from outsourcing import env
from outsourcing.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60  # for a worker to report ready on a busy machine
STOP_SECONDS = 10
DEFAULT_QUEUE = "celery"  # where task.delay() puts its messages
REDIS_CLAIM_KEY = "helping-hands:tests:claimed-by"
# A line the worker logs when it takes a task, and when that run ends (succeeded, retry, failed...).
TASK_LINE = re.compile(r"Task \S+\[[\w-]+\] (\w+)")


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


# The processes.


@dataclass
class Process:
    process: subprocess.Popen
    log: Path

    def output(self):
        return self.log.read_text(errors="replace")


@dataclass
class Worker(Process):
    queue: str = DEFAULT_QUEUE

    def is_ready(self):
        return " ready." in self.output()

    def is_idle(self):
        """Every task it took has finished running (a retry waiting for its countdown is a
        task taken again, so it counts as running)."""
        events = Counter(match.group(1) == "received" for match in TASK_LINE.finditer(self.output()))
        return events[True] == events[False]


@contextlib.contextmanager
def running_process(command, log, environment=None, cls=Process):
    """Start `command` with the test database in its environment; stop it on leaving."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in (environment or {}).items()},
    }
    with log.open("wb") as output:
        popen = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)
    process = cls(popen, log)
    try:
        yield process
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


@contextlib.contextmanager
def running_worker(log, queue=DEFAULT_QUEUE, environment=None):
    """A Celery worker consuming only `queue`, ready when the block starts.

    Settings are read from the environment, so `environment` is how the worker is told
    about an SMTP server or retry timings; the test process's own settings stay as they are."""
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "worker", "--pool=solo", "-Q", queue]
    # Mingle, gossip and heartbeats only talk to other workers; a test's worker has none.
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    with running_process(command, log, environment, cls=Worker) as worker:
        worker.queue = queue
        wait_until(worker.is_ready, START_SECONDS, "the worker did not report ready", [worker])
        yield worker


@contextlib.contextmanager
def running_beat(log):
    """Celery beat with the database scheduler, as deployed."""
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "beat", "--loglevel=INFO"]
    command += ["--pidfile=", "--max-interval=1"]
    with running_process(command, log) as beat:
        yield beat


def delete_queue(queue):
    """Remove a queue a test declared; without this the broker keeps an empty queue per run forever."""
    with celery_app.connection_for_write() as broker:
        declared = celery_app.amqp.queues[queue].bind(broker.default_channel)
        # A new connection knows no bindings; declaring the queue again lets the delete find them.
        declared.declare()
        declared.delete()
    # kombu's filesystem transport empties the exchange's file but leaves it behind.
    control_folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("control_folder")
    if control_folder:
        (Path(control_folder) / f"{queue}.exchange").unlink(missing_ok=True)


# A broker of the test's own.


@dataclass
class Broker:
    """The broker a test's processes share, and how to point the test process at it (or away)."""

    url: str
    monkeypatch: pytest.MonkeyPatch
    settings: object
    log_folder: Path
    redis_url: str | None = None
    folder: Path | None = None

    @property
    def is_redis(self):
        return self.redis_url is not None

    def use(self, url=None):
        """Point this process (Django settings, Celery, and the environment subprocesses inherit) at `url`."""
        url = url or self.url
        self.monkeypatch.setenv("CELERY_BROKER_URL", url)
        _, options = env.broker("CELERY_BROKER_URL", url)
        self.settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        celery_app.conf.broker_transport_options = options
        forget_broker_connections()

    def reclaim(self):
        """Claim the Redis database again after Redis restarted without its data."""
        if self.is_redis:
            redis.Redis.from_url(self.redis_url).set(REDIS_CLAIM_KEY, os.getpid(), nx=True, ex=3600)

    def waiting(self, queue=DEFAULT_QUEUE):
        """How many messages wait in `queue`, not yet taken by a worker."""
        with celery_app.connection_for_write() as broker:
            # Not passive: kombu's Redis transport says an empty queue does not exist.
            return broker.default_channel.queue_declare(queue=queue).message_count

    def settled(self, workers):
        """Nothing left to run: no message waits and every worker finished what it took.
        Whatever could still send an email (a duplicate, say) has done so."""
        return all(worker.is_idle() for worker in workers) and self.waiting() == 0

    def wait_until_settled(self, workers, timeout=30):
        wait_until(lambda: self.settled(workers), timeout, "tasks were still waiting or running", workers)

    def worker(self, mail, name="worker", **environment):
        """A worker on the default queue sending its email to `mail` (an SmtpServer); `environment`
        overrides settings for it alone."""
        log = self.log_folder / f"{name}.log"
        return running_worker(log, environment={**mail.environment(), **environment})


def forget_broker_connections():
    # Celery keeps its connection and producer pools for the broker it first used;
    # without this the test process would go on publishing to the previous broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def claimed_redis_database(url):
    """A Redis database number nobody uses, claimed with a key; every key in it is removed at the end.

    The database was empty when claimed, so everything in it afterwards is this test's."""
    parts = urlsplit(url)
    configured = int(parts.path.strip("/") or 0)
    for number in range(15, 0, -1):
        if number == configured:
            continue
        candidate = urlunsplit(parts._replace(path=f"/{number}"))
        client = redis.Redis.from_url(candidate)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, os.getpid(), nx=True, ex=3600):
            if client.dbsize() == 1:
                break
            client.delete(REDIS_CLAIM_KEY)
    else:
        pytest.skip("every Redis database 1-15 is in use; a drill needs one of its own")
    try:
        yield candidate
    finally:
        with contextlib.suppress(redis.ConnectionError):
            for key in client.scan_iter(count=1000):
                client.delete(key)


@pytest.fixture
def own_broker(tmp_path, monkeypatch, settings):
    """A new filesystem broker folder, or a Redis database of its own when CELERY_BROKER_URL names Redis."""
    configured = os.environ.get("CELERY_BROKER_URL", "")
    original_options = celery_app.conf.broker_transport_options
    with contextlib.ExitStack() as stack:
        if configured.startswith("redis"):
            url = stack.enter_context(claimed_redis_database(configured))
            broker = Broker(url, monkeypatch, settings, tmp_path, redis_url=url)
        else:
            folder = tmp_path / "broker"
            for name in ("queue", "control", "processed"):
                (folder / name).mkdir(parents=True)
            broker = Broker(f"filesystem://{folder}", monkeypatch, settings, tmp_path, folder=folder)
        broker.use()
        try:
            yield broker
        finally:
            celery_app.conf.broker_transport_options = original_options
            forget_broker_connections()
