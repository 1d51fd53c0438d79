"""Helping Hands on several machines: two web servers, two Celery workers and one beat, sharing
PostgreSQL, Redis (broker and cache) and an S3-compatible file storage.

Every process is real and started as production starts it (DEBUG off, gunicorn, collected static
files; milestones.tests.processes): the two gunicorn servers stand for two web machines behind
a load balancer, each request going to whichever one the test chooses. Nothing is shared between
them but what the README's "Running on several machines" says must be: the database, the broker,
the cache and the storage (and the SECRET_KEY that signs sessions, messages and links).
"""

import http.client
import os
import re
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import SimpleCookie

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from common.roles import ASSISTANT
from conftest import make_user
from freelancers.models import WorkSample
from freelancers.tests.factories import FreelancerFactory
from milestones.public_views import REFUSED_POSTS_PER_ADDRESS
from milestones.tests import processes, smtp
from milestones.tests.processes import ROOT, running_beat, running_web, running_worker, wait_until
from milestones.tests.test_reminders_end_to_end import (
    all_sent,
    assert_each_arrived_once,
    due_checkins,
    expected_emails,
    fast_reminder_scan,
)

own_broker = processes.own_broker
smtp_server = smtp.smtp_server

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PASSWORD = "a-long-test-password"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# A browser, reduced to what the test needs.


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self):
        return self.body.decode(errors="replace")


class Browser:
    """Keeps cookies as a browser does for one site, whichever machine answered: cookies are not
    tied to a port, and behind the load balancer both machines are one address. It also keeps
    the cookies marked Secure (the servers believe a TLS proxy stands in front; the test speaks
    plain HTTP to them) and follows no redirect by itself."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, url, body=None, headers=None):
        parts = urllib.parse.urlsplit(url)
        server = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            server.request(method, parts.path, body, {**(headers or {}), "Cookie": cookie})
            response = server.getresponse()
            page = Page(response.status, response.headers, response.read())
        finally:
            server.close()
        for header in page.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return page

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, data):
        """Post a form as the page `url` shows it: with its CSRF token, files as multipart."""
        token = CSRF_FIELD.search(self.get(url).text)
        fields = {**data, "csrfmiddlewaretoken": token.group(1) if token else self.cookies["csrftoken"]}
        if any(hasattr(value, "read") for value in data.values()):
            body, content_type = encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", url, body, {"Content-Type": content_type})


# The machines.


def production_environment(s3_server, bucket, static_root):
    """Settings every machine gets, as a deployment sets them: DEBUG off, one SECRET_KEY, the
    files in S3, and no CACHE_URL, so the cache is the broker's Redis (the production default)."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": "several-machines-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(static_root),
        "CACHE_URL": "",
        **s3_server.environment(bucket),
    }


def collect_static(environment):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, **environment},
        check=True,
        timeout=300,
    )


@pytest.fixture
def shared_services(transactional_db, own_broker, s3_server, s3_storage):
    """PostgreSQL, Redis and S3: what several machines need in common."""
    if connection.vendor != "postgresql" or not own_broker.is_redis:
        pytest.skip("several machines share PostgreSQL and Redis: set DATABASE_URL and CELERY_BROKER_URL")
    return s3_storage


# What must work across the machines.


def files_uploaded_to_one_machine_download_from_the_other(browser, web_a, web_b, s3_server, bucket):
    freelancer = FreelancerFactory()
    profile = reverse("freelancers:detail", args=[freelancer.pk])
    upload = reverse("freelancers:item_create", args=[freelancer.pk, "samples"])

    added = browser.post(
        web_a.url + upload, {"title": "Brochure", "file": SimpleUploadedFile("brochure.pdf", PDF)}
    )

    assert added.status == HTTPStatus.FOUND, added.text[-3000:]
    sample = WorkSample.objects.get(freelancer=freelancer)
    assert s3_server.objects(bucket) == {sample.file.name: PDF}
    # The success message set by A is shown by B, once.
    assert "The work sample was added." in browser.get(web_b.url + profile).text
    assert "The work sample was added." not in browser.get(web_a.url + profile).text
    download = browser.get(web_b.url + sample.get_download_url())
    assert download.status == HTTPStatus.OK
    assert download.body == PDF
    assert download.headers["Content-Disposition"] == 'attachment; filename="brochure.pdf"'


def a_session_started_on_one_machine_is_known_to_the_other(browser, web_a, web_b, username):
    logged_in = browser.post(web_a.url + reverse("login"), {"username": username, "password": PASSWORD})

    assert logged_in.status == HTTPStatus.FOUND, logged_in.text[-3000:]
    assert logged_in.headers["Location"] == reverse("dashboard")
    dashboard = browser.get(web_b.url + reverse("dashboard"))
    assert dashboard.status == HTTPStatus.OK
    assert f'<i class="bi bi-person-circle" aria-hidden="true"></i> {username}' in dashboard.text
    assert browser.get(web_a.url + reverse("freelancers:list")).status == HTTPStatus.OK
    assert Browser().get(web_b.url + reverse("dashboard")).status == HTTPStatus.FOUND  # to the login page


def the_check_in_links_rate_limit_counts_posts_to_both_machines(web_a, web_b):
    stranger = Browser()
    allowed, _ = REFUSED_POSTS_PER_ADDRESS
    answers = []
    for attempt in range(allowed + 1):
        web = (web_a, web_b)[attempt % 2]
        made_up = web.url + reverse("checkin_update", args=[f"made-up-{attempt}"])
        stranger.get(web_a.url + reverse("login"))  # a page that sets the CSRF cookie
        page = stranger.request(
            "POST",
            made_up,
            urllib.parse.urlencode({"csrfmiddlewaretoken": stranger.cookies["csrftoken"], "progress": "Hi"}),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        answers.append((page.status, "This link does not work" in page.text))

    # Each machine alone saw about half the posts: only a count they share reaches the limit.
    assert answers[:allowed] == [(HTTPStatus.FORBIDDEN, True)] * allowed
    assert answers[allowed] == (HTTPStatus.TOO_MANY_REQUESTS, False)


def reminders_go_out_once_with_two_workers(own_broker, smtp_server, workers, beat, expected):
    smtp_server.wait_for(len(expected), timeout=90, failure="".join(w.output()[-2000:] for w in workers))
    wait_until(all_sent(len(expected)), 30, "not every reminder was marked sent", [*workers, beat])
    # Two more scans find the same check-ins due; the database says they were sent.
    scans = lambda: sum(worker.output().count("Reminder scan:") for worker in workers)  # noqa: E731
    done = scans()
    wait_until(lambda: scans() >= done + 2, 30, "beat ran no more scans", [*workers, beat])
    own_broker.wait_until_settled(workers)

    assert_each_arrived_once(smtp_server.messages, expected)
    for worker in workers:  # both took their share: the exactly-once held with two takers
        assert "milestones.tasks.send_reminder" in worker.output(), worker.output()[-3000:]


@pytest.mark.slow
def test_two_web_machines_and_two_workers_share_files_sessions_rate_limits_and_reminders(
    shared_services, own_broker, s3_server, smtp_server, django_user_model, settings, tmp_path
):
    bucket = shared_services
    environment = production_environment(s3_server, bucket, tmp_path / "static")
    collect_static(environment)
    # The servers run with production's password hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    username = make_user(django_user_model, "sam", ASSISTANT).username
    checkins = due_checkins(10, per_project=5)
    expected = expected_emails(checkins)
    fast_reminder_scan(every_seconds=2)
    logs = own_broker.log_folder
    workers_environment = {**environment, **smtp_server.environment()}

    with (
        running_web(logs / "web-a.log", environment) as web_a,
        running_web(logs / "web-b.log", environment) as web_b,
        running_worker(logs / "worker-a.log", environment=workers_environment, name="worker-a") as worker_a,
        running_worker(logs / "worker-b.log", environment=workers_environment, name="worker-b") as worker_b,
        running_beat(logs / "beat.log", environment) as beat,
    ):
        assert web_a.url != web_b.url
        browser = Browser()
        a_session_started_on_one_machine_is_known_to_the_other(browser, web_a, web_b, username)
        files_uploaded_to_one_machine_download_from_the_other(browser, web_a, web_b, s3_server, bucket)
        the_check_in_links_rate_limit_counts_posts_to_both_machines(web_a, web_b)
        reminders_go_out_once_with_two_workers(own_broker, smtp_server, [worker_a, worker_b], beat, expected)
