"""A real Celery worker process takes a task from the broker and writes to the database.

This is the chain every reminder depends on, so it is tested with nothing replaced:
the broker the environment configures (files under var/broker, or Redis) and the
test database, reached by the worker through DATABASE_URL like in production.
"""

import uuid

import pytest
from django.utils import timezone

from dashboard.models import Heartbeat
from dashboard.tasks import record_heartbeat
from milestones.tests.processes import delete_queue, running_worker, wait_until

LAND_SECONDS = 60  # for the task to reach the database on a busy machine


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker that already consumes a queue of its own and sees the test database.

    The queue is the test's own, so a worker left running for development never takes
    the test's messages, and the test's worker never takes anyone else's."""
    queue = f"test-{uuid.uuid4().hex}"
    try:
        with running_worker(tmp_path / "worker.log", queue=queue) as running:
            yield running
    finally:
        delete_queue(queue)


@pytest.mark.slow
def test_a_real_worker_runs_a_task_sent_from_django_and_writes_to_the_database(worker):
    name = f"test-{uuid.uuid4().hex[:12]}"
    sent_at = timezone.now()

    record_heartbeat.apply_async(kwargs={"name": name}, queue=worker.queue)

    wait_until(
        lambda: Heartbeat.objects.filter(name=name).exists(),
        LAND_SECONDS,
        f"no heartbeat named {name} reached the database",
        [worker],
    )
    assert Heartbeat.objects.get(name=name).seen_at >= sent_at
