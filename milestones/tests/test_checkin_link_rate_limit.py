"""Rate limits on the freelancer's check-in link: per link, per client address, and a
separate, lower budget for links that do not work, so made-up links silence no one."""

import datetime
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from milestones.links import checkin_token
from projects.tests.factories import CheckInFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # our TLS proxy: every request behind it arrives from here


@pytest.fixture(autouse=True)
def fresh_counters_and_outbox(settings):
    # The counters live in the cache, which outlives a test.
    cache.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield
    cache.clear()


@pytest.fixture
def behind_the_proxy(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner, freelancer=FreelancerFactory(name="Ana Lima"))


def a_checkin(project):
    return CheckInFactory(project=project, scheduled_for=timezone.now() - datetime.timedelta(hours=2))


@pytest.fixture
def checkin(project):
    return a_checkin(project)


def url_for(checkin):
    return reverse("checkin_update", args=[checkin_token(checkin, checkin.project.freelancer)])


def an_update(progress="The homepage layout is done."):
    return {"progress": progress, "on_track": "green", "questions": "", "blockers": ""}


def post(client, url, data, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data, **extra)


def post_made_up_links(client, count, django_capture_on_commit_callbacks, **extra):
    statuses = []
    for attempt in range(count):
        bogus = reverse("checkin_update", args=[f"guess-{attempt}"])
        statuses.append(
            post(client, bogus, an_update(), django_capture_on_commit_callbacks, **extra).status_code
        )
    return statuses


def test_a_sixth_post_on_one_link_within_ten_minutes_is_refused_and_stores_nothing(
    client, checkin, django_capture_on_commit_callbacks
):
    url = url_for(checkin)
    for attempt in range(1, 6):
        response = post(client, url, an_update(f"Version {attempt}"), django_capture_on_commit_callbacks)
        assert response.status_code == HTTPStatus.OK, attempt

    refused = post(client, url, an_update("Version 6"), django_capture_on_commit_callbacks)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many updates were posted" in refused.text
    assert refused.headers["Retry-After"] == "600"
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "Version 5"
    assert len(mail.outbox) == 5


def test_the_limit_per_link_holds_whatever_address_the_posts_come_from(
    client, checkin, behind_the_proxy, django_capture_on_commit_callbacks
):
    url = url_for(checkin)
    for attempt in range(1, 6):
        address = f"198.51.100.{attempt}"
        response = post(
            client,
            url,
            an_update(f"Version {attempt}"),
            django_capture_on_commit_callbacks,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=address,
        )
        assert response.status_code == HTTPStatus.OK, attempt

    refused = post(
        client,
        url,
        an_update("Version 6"),
        django_capture_on_commit_callbacks,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "Version 5"


def test_a_twenty_first_update_from_one_address_within_an_hour_is_refused(
    client, project, django_capture_on_commit_callbacks
):
    address = "203.0.113.7"
    for number in range(4):  # five posts per link, so twenty take four links
        url = url_for(a_checkin(project))
        for attempt in range(5):
            response = post(
                client,
                url,
                an_update(f"Take {number}.{attempt}"),
                django_capture_on_commit_callbacks,
                REMOTE_ADDR=address,
            )
            assert response.status_code == HTTPStatus.OK, (number, attempt)
    last = a_checkin(project)

    refused = post(
        client, url_for(last), an_update(), django_capture_on_commit_callbacks, REMOTE_ADDR=address
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.headers["Retry-After"] == "3600"
    last.refresh_from_db()
    assert last.freelancer_updated_at is None
    elsewhere = post(
        client, url_for(last), an_update(), django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.2"
    )
    assert elsewhere.status_code == HTTPStatus.OK, "another address is not held back"


def test_made_up_links_through_the_proxy_do_not_hold_back_a_freelancer_elsewhere(
    client, checkin, behind_the_proxy, django_capture_on_commit_callbacks
):
    statuses = post_made_up_links(
        client, 25, django_capture_on_commit_callbacks, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert HTTPStatus.OK not in statuses

    response = post(
        client,
        url_for(checkin),
        an_update(),
        django_capture_on_commit_callbacks,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )

    assert response.status_code == HTTPStatus.OK
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "The homepage layout is done."
    assert len(mail.outbox) == 1


def test_made_up_links_do_not_use_up_the_updates_of_the_address_they_came_from(
    client, checkin, django_capture_on_commit_callbacks
):
    # A freelancer sharing an office network with whoever typed the made-up links.
    address = "203.0.113.7"
    post_made_up_links(client, 25, django_capture_on_commit_callbacks, REMOTE_ADDR=address)

    response = post(
        client, url_for(checkin), an_update(), django_capture_on_commit_callbacks, REMOTE_ADDR=address
    )

    assert response.status_code == HTTPStatus.OK
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is not None


def test_an_eleventh_made_up_link_from_one_address_within_an_hour_is_told_to_wait(
    client, django_capture_on_commit_callbacks
):
    statuses = post_made_up_links(client, 11, django_capture_on_commit_callbacks, REMOTE_ADDR="203.0.113.7")

    assert statuses[:10] == [HTTPStatus.FORBIDDEN] * 10
    assert statuses[10] == HTTPStatus.TOO_MANY_REQUESTS
    other = post_made_up_links(client, 1, django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.2")
    assert other == [HTTPStatus.FORBIDDEN], "another address keeps its own count"


def test_without_the_proxy_setting_a_forged_forwarded_address_is_ignored(
    client, project, settings, django_capture_on_commit_callbacks
):
    settings.BEHIND_TLS_PROXY = False
    address = "203.0.113.7"
    for number in range(4):
        url = url_for(a_checkin(project))
        for attempt in range(5):
            response = post(
                client,
                url,
                an_update(f"Take {number}.{attempt}"),
                django_capture_on_commit_callbacks,
                REMOTE_ADDR=address,
                HTTP_X_FORWARDED_FOR=f"198.51.100.{number * 5 + attempt}",
            )
            assert response.status_code == HTTPStatus.OK, (number, attempt)

    refused = post(
        client,
        url_for(a_checkin(project)),
        an_update(),
        django_capture_on_commit_callbacks,
        REMOTE_ADDR=address,
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_reading_the_page_is_not_rate_limited(client, checkin):
    url = url_for(checkin)

    statuses = {client.get(url).status_code for _ in range(8)}

    assert statuses == {HTTPStatus.OK}
