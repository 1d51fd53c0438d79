"""Request ids on responses and log lines, and JSON log lines in production."""

import json
import re
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from common.request_id import current
from milestones.tasks import scan_reminders
from milestones.tests.processes import delete_queue, running_worker, wait_until
from outsourcing.tests.failing_urls import MESSAGE
from outsourcing.tests.test_configuration import PRODUCTION, manage

ROOT = Path(__file__).resolve().parents[2]
LAND_SECONDS = 60

# With DEBUG off, a failing request through the whole middleware stack, as a server would run it.
FAILING_REQUEST = """
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="outsourcing.tests.failing_urls"):
    response = Client(raise_request_exception=False).get(
        "/broken-for-anyone/", secure=True, HTTP_HOST="hands.example.com"
    )
print(response.status_code, response["X-Request-ID"])
"""


def json_lines(text):
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue  # Celery's banner, printed before logging starts
    return lines


@pytest.mark.django_db
def test_every_response_carries_a_new_request_id(client):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_the_request_id_a_proxy_gave_is_kept(client):
    response = client.get(reverse("login"), headers={"X-Request-ID": "lb-4f2a9c-77"})

    assert response["X-Request-ID"] == "lb-4f2a9c-77"


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["short", "has spaces in it", "x" * 65, "<script>-0000"])
def test_a_request_id_that_does_not_look_like_one_is_replaced(client, given):
    response = client.get(reverse("login"), headers={"X-Request-ID": given})

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_with_debug_off_a_failing_request_logs_one_json_line_with_its_request_id():
    result = manage("shell", "--no-imports", "-c", FAILING_REQUEST, **PRODUCTION)

    status, request_id = result.stdout.split()
    assert status == "500"
    errors = [line for line in json_lines(result.stderr) if line["level"] == "ERROR"]
    assert len(errors) == 1, result.stderr
    assert errors[0]["logger"] == "django.request"
    assert errors[0]["request_id"] == request_id
    assert errors[0]["status_code"] == 500
    assert f"RuntimeError: {MESSAGE}" in errors[0]["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", errors[0]["time"])


def test_development_keeps_plain_log_lines():
    result = manage(
        "shell", "--no-imports", "-c", "import logging; logging.getLogger('hands').warning('plain words')"
    )

    assert result.stderr.strip() == "plain words"


def test_a_log_format_other_than_json_or_text_stops_start_up():
    result = manage("check", LOG_FORMAT="xml")

    assert result.stderr.strip() == "Configuration error: LOG_FORMAT must be one of json, text, not 'xml'."


@pytest.fixture
def json_worker(transactional_db, tmp_path):
    queue = f"test-{uuid.uuid4().hex}"
    try:
        with running_worker(
            tmp_path / "worker.log", queue=queue, environment={"LOG_FORMAT": "json"}
        ) as worker:
            yield worker
    finally:
        delete_queue(queue)


@pytest.mark.slow
def test_a_task_logs_with_the_id_of_the_request_that_enqueued_it(json_worker):
    token = current.set("req-5d1c0e7a")  # as RequestIdMiddleware sets it while a request runs
    try:
        scan_reminders.apply_async(queue=json_worker.queue)
    finally:
        current.reset(token)

    def scan_line():
        return next(
            (line for line in json_lines(json_worker.output()) if "Reminder scan" in line["message"]), None
        )

    wait_until(lambda: scan_line() is not None, LAND_SECONDS, "the worker logged no scan", [json_worker])
    assert scan_line()["request_id"] == "req-5d1c0e7a"
    ready = next(line for line in json_lines(json_worker.output()) if "ready." in line["message"])
    assert "request_id" not in ready
