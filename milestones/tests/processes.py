"""The background processes tests start, and how they wait for them.

Every test that runs a real Celery worker or beat, a gunicorn web server or the S3 server
starts it here: as a subprocess reaching the test database through DATABASE_URL, like in
production, logging to a file the test reads, and stopped on leaving whatever happened. The
broker is the kind the environment configures (kombu's filesystem transport, or Redis when
CELERY_BROKER_URL says so), and `own_broker` gives a test one no other run uses. The SMTP
server they send to is milestones.tests.smtp's. The S3-compatible server is moto's standalone
one (`s3_server`, once per test run), and `s3_storage` gives a test an empty bucket of its own.

Nothing here sleeps for a fixed time: wait_until() (milestones.tests.waiting) polls a
condition until a deadline, and fails early, with the log, when a process it depends on
has died.
"""

import contextlib
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import boto3
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
# The address gunicorn and moto's server log once they listen on the port the system chose.
GUNICORN_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
MOTO_LISTENING = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")


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
def running_worker(log, queue=DEFAULT_QUEUE, environment=None, name=None):
    """A Celery worker consuming only `queue`, ready when the block starts.

    Settings are read from the environment, so `environment` is how the worker is told
    about an SMTP server or retry timings; the test process's own settings stay as they are.
    Workers running side by side need a `name` each (their node name)."""
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "worker", "--pool=solo", "-Q", queue]
    # Mingle, gossip and heartbeats only talk to other workers; a test's worker has none.
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    if name:
        command += ["--hostname", f"{name}@%h"]
    with running_process(command, log, environment, cls=Worker) as worker:
        worker.queue = queue
        wait_until(worker.is_ready, START_SECONDS, "the worker did not report ready", [worker])
        yield worker


@contextlib.contextmanager
def running_beat(log, environment=None):
    """Celery beat with the database scheduler, as deployed."""
    command = [sys.executable, "-m", "celery", "-A", "outsourcing", "beat", "--loglevel=INFO"]
    command += ["--pidfile=", "--max-interval=1"]
    with running_process(command, log, environment) as beat:
        yield beat


@dataclass
class Server(Process):
    """A process serving HTTP on 127.0.0.1, at the address it logged once listening."""

    url: str = ""

    def listening(self, pattern):
        match = pattern.search(self.output())
        if match:
            self.url = match.group(1)
        return bool(match)

    def answers(self, path="/"):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5):
                return True
        except urllib.error.HTTPError:
            return True  # any answer, even an error page, means it serves
        except OSError:
            return False


@contextlib.contextmanager
def running_web(log, environment=None):
    """gunicorn serving the site on a port the system chooses, answering when the block starts.

    One worker: a test's two web processes stand for two machines."""
    command = [sys.executable, "-m", "gunicorn", "outsourcing.wsgi", "--workers", "1"]
    # Two servers on one machine would share gunicorn's control socket; the tests need none.
    command += ["--bind", "127.0.0.1:0", "--no-control-socket", "--log-level", "info"]
    with running_process(command, log, environment, cls=Server) as web:
        wait_until(lambda: web.listening(GUNICORN_LISTENING), START_SECONDS, "gunicorn did not listen", [web])
        wait_until(lambda: web.answers("/healthz"), START_SECONDS, "gunicorn did not answer", [web])
        yield web


# An S3-compatible server.


@dataclass
class S3Server(Server):
    """moto's standalone S3 server: a real HTTP endpoint speaking the S3 protocol, keeping its
    buckets in memory until it stops. Any key pair is accepted."""

    access_key: str = "test-access-key"
    secret_key: str = "test-secret-key"
    region: str = "us-east-1"

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self):
        """An empty bucket no other test uses."""
        name = f"hands-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket):
        """{key: content} of every object in `bucket`."""
        client = self.client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        keys = [entry["Key"] for page in pages for entry in page.get("Contents", ())]
        return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    def environment(self, bucket):
        """What a process needs in its environment to keep its uploaded files in `bucket`."""
        return {
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_S3_REGION_NAME": self.region,
        }

    def use(self, settings, bucket):
        """Point this process's file storage (settings, the pytest-django fixture) at `bucket`."""
        settings.AWS_STORAGE_BUCKET_NAME = bucket
        settings.AWS_S3_ENDPOINT_URL = self.url
        settings.AWS_ACCESS_KEY_ID = self.access_key
        settings.AWS_SECRET_ACCESS_KEY = self.secret_key
        settings.AWS_S3_REGION_NAME = self.region
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}


@contextlib.contextmanager
def running_s3_server(log):
    """moto's S3 server on a port the system chooses, answering when the block starts."""
    command = [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", "0"]
    with running_process(command, log, cls=S3Server) as server:
        wait_until(lambda: server.listening(MOTO_LISTENING), START_SECONDS, "moto did not listen", [server])
        wait_until(server.answers, START_SECONDS, "moto did not answer", [server])
        yield server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One S3 server for the whole test run; each test takes a bucket of its own."""
    with running_s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as server:
        yield server


@pytest.fixture
def s3_storage(s3_server, settings):
    """This process's uploaded files go to an empty bucket of the S3 server; yields its name."""
    bucket = s3_server.new_bucket()
    s3_server.use(settings, bucket)
    return bucket


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
