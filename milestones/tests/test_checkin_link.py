"""The freelancer's signed check-in link: a page outside the login that shows one check-in
and takes the freelancer's update, and a plain 403 for every link that does not work."""

import datetime
import time
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from milestones import project_services, services
from milestones.links import SALT, checkin_token
from milestones.models import CheckIn, ReminderPreference
from projects.models import Project
from projects.services import replace_freelancer
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DAY = 24 * 3600
INVALID_WORDS = "This link does not work"


@pytest.fixture(autouse=True)
def fresh_counters_and_outbox(settings):
    # The rate limit's counters live in the cache, which outlives a test.
    cache.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield
    cache.clear()


@pytest.fixture
def project(owner):
    return ProjectFactory(
        owner=owner,
        title="Bakery website",
        brief="Private: keep an eye on the hours, the last designer overbilled.",
        budget=Decimal("4321.00"),
        freelancer=FreelancerFactory(name="Ana Lima"),
    )


@pytest.fixture
def milestone(project):
    return MilestoneFactory(
        project=project,
        title="Homepage draft",
        due_on=timezone.localdate() + datetime.timedelta(days=9),
        amount=Decimal("987.00"),
    )


@pytest.fixture
def checkin(project, milestone):
    return CheckInFactory(
        project=project,
        milestone=milestone,
        scheduled_for=timezone.now() - datetime.timedelta(hours=2),
        next_steps="Owner's own notes: ask about the invoice.",
    )


def url_for(checkin, freelancer=None):
    return reverse("checkin_update", args=[checkin_token(checkin, freelancer or checkin.project.freelancer)])


def an_update(**changes):
    """What a freelancer types into the form."""
    data = {
        "progress": "The homepage layout is done, the menu page is half way.",
        "on_track": "amber",
        "questions": "Which photos go on the homepage?",
        "blockers": "Waiting for the hosting login.",
    }
    return {**data, **changes}


def post(client, url, data, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data, **extra)


def long_date(day):
    return f"{day:%A} {day.day} {day:%B %Y}"


def invalid_page(client):
    return client.get(reverse("checkin_update", args=["not-a-token"]))


# Reading the page


def test_the_link_shows_the_project_title_the_milestone_and_its_due_date_without_a_login(client, checkin):
    response = client.get(url_for(checkin))

    assert response.status_code == HTTPStatus.OK
    assert "Bakery website" in response.text
    assert "Homepage draft" in response.text
    assert long_date(checkin.milestone.due_on) in response.text
    assert 'name="progress"' in response.text
    assert 'name="on_track"' in response.text
    assert 'name="questions"' in response.text
    assert 'name="blockers"' in response.text


def test_the_page_shows_nothing_else_of_the_business(client, checkin, owner):
    other = ProjectFactory(owner=owner, title="Secret rebrand", freelancer=checkin.project.freelancer)
    CheckInFactory(project=other)

    page = client.get(url_for(checkin)).text

    for private in [
        "Secret rebrand",  # another project
        "overbilled",  # the owner's brief
        "4,321",  # the budget
        "4321",
        "987",  # the milestone's amount
        "ask about the invoice",  # the owner's notes on the check-in
        owner.email,
        f'href="{reverse("dashboard")}"',  # no way into the app
        reverse("milestones:checkins"),
        reverse("projects:list"),
        reverse("freelancers:list"),
        "navbar",
    ]:
        assert private not in page, private


def test_a_check_in_without_a_milestone_shows_the_projects_due_date(client, project):
    checkin = CheckInFactory(project=project)

    response = client.get(url_for(checkin))

    assert response.status_code == HTTPStatus.OK
    assert "Milestone" not in response.text
    assert long_date(project.due_on) in response.text


def test_the_page_reads_its_check_in_in_one_query(client, checkin, django_assert_num_queries):
    url = url_for(checkin)
    # The check-in joined with its project, freelancer and milestone (one SELECT).
    with django_assert_num_queries(1):
        response = client.get(url)

    assert response.status_code == HTTPStatus.OK


def test_the_page_allows_only_its_own_scripts_and_has_no_inline_script_or_style(client, checkin):
    response = client.get(url_for(checkin))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "<script" not in response.text
    assert "<style" not in response.text
    assert "no-store" in response.headers["Cache-Control"]


def test_the_page_answers_only_get_and_post(client, checkin):
    response = client.put(url_for(checkin), an_update())

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# Posting an update


def test_posting_stores_the_update_emails_the_owner_and_thanks_the_freelancer(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    CheckIn.objects.filter(pk=checkin.pk).update(update_read_at=timezone.now())

    response = post(client, url_for(checkin), an_update(), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.OK
    assert "Thank you: your update was sent to the project owner." in response.text
    assert "Bakery website" in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "The homepage layout is done, the menu page is half way."
    assert checkin.freelancer_on_track == CheckIn.OnTrack.AMBER
    assert checkin.freelancer_questions == "Which photos go on the homepage?"
    assert checkin.freelancer_blockers == "Waiting for the hosting login."
    assert checkin.freelancer_updated_at is not None
    assert checkin.update_read_at is None, "the owner sees it as unread"
    assert checkin.progress_note == "", "the owner's own notes stay apart"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [owner.email]
    assert message.subject == "Update from Ana Lima: Bakery website"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Bakery website" in body
        assert "Which photos go on the homepage?" in body
        assert "Waiting for the hosting login." in body
        assert "Amber: some concerns" in body
        assert "Homepage draft" in body
        assert reverse("milestones:record", args=[checkin.pk]) in body


def test_an_update_marks_the_check_in_held_when_the_owner_wants_that(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    ReminderPreference.objects.create(user=owner, updates_mark_held=True)

    post(client, url_for(checkin), an_update(), django_capture_on_commit_callbacks)

    checkin.refresh_from_db()
    assert checkin.held_on == timezone.localdate()
    assert "this check-in is now marked held" in mail.outbox[0].body


@pytest.mark.parametrize("preference", [None, False], ids=["no preferences", "preference off"])
def test_an_update_leaves_the_check_in_planned_unless_the_owner_wants_it_held(
    client, checkin, owner, preference, django_capture_on_commit_callbacks
):
    if preference is not None:
        ReminderPreference.objects.create(user=owner, updates_mark_held=preference)

    post(client, url_for(checkin), an_update(), django_capture_on_commit_callbacks)

    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is not None
    assert checkin.held_on is None


def test_a_second_post_replaces_the_update_and_says_so(client, checkin, django_capture_on_commit_callbacks):
    url = url_for(checkin)
    post(client, url, an_update(), django_capture_on_commit_callbacks)

    response = post(
        client,
        url,
        an_update(on_track="green", questions="Can we talk Friday?"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == HTTPStatus.OK
    assert "Your update was updated" in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_on_track == CheckIn.OnTrack.GREEN
    assert checkin.freelancer_questions == "Can we talk Friday?"
    assert [m.subject for m in mail.outbox] == [
        "Update from Ana Lima: Bakery website",
        "Changed update from Ana Lima: Bakery website",
    ]
    assert "changed their update" in mail.outbox[1].body
    assert "Can we talk Friday?" in mail.outbox[1].alternatives[0][0]


def test_a_second_visit_starts_from_the_update_already_sent(
    client, checkin, django_capture_on_commit_callbacks
):
    url = url_for(checkin)
    post(client, url, an_update(), django_capture_on_commit_callbacks)

    response = client.get(url)

    assert "You already sent an update for this check-in" in response.text
    assert "Waiting for the hosting login." in response.text


def test_the_same_update_posted_twice_is_stored_once_and_emailed_once(
    client, checkin, django_capture_on_commit_callbacks
):
    url = url_for(checkin)
    post(client, url, an_update(), django_capture_on_commit_callbacks)
    checkin.refresh_from_db()
    first_posted_at = checkin.freelancer_updated_at

    response = post(client, url, an_update(), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.OK
    assert "We already had this update: nothing was changed." in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at == first_posted_at
    assert len(mail.outbox) == 1
    assert checkin.history.count() == 2, "created, then the one update"


def test_a_double_post_is_thanked_even_when_the_first_one_held_the_check_in(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    ReminderPreference.objects.create(user=owner, updates_mark_held=True)
    url = url_for(checkin)
    post(client, url, an_update(), django_capture_on_commit_callbacks)

    response = post(client, url, an_update(), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.OK
    assert "We already had this update" in response.text
    assert "open the same link again" not in response.text
    assert len(mail.outbox) == 1


def test_a_different_post_after_the_update_held_the_check_in_is_refused(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    ReminderPreference.objects.create(user=owner, updates_mark_held=True)
    url = url_for(checkin)
    post(client, url, an_update(), django_capture_on_commit_callbacks)

    response = post(client, url, an_update(progress="Changed my mind"), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.content == invalid_page(client).content
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == an_update()["progress"]
    assert len(mail.outbox) == 1


# Bad input


def test_progress_is_required_and_nothing_is_stored(client, checkin, django_capture_on_commit_callbacks):
    response = post(client, url_for(checkin), an_update(progress="   "), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Say how the work is going." in response.text
    assert "Nothing was sent." in response.text
    assert "Which photos go on the homepage?" in response.text, "what was typed is kept"
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None
    assert mail.outbox == []


def test_an_oversized_question_gets_an_error_beside_it_and_keeps_what_was_typed(
    client, checkin, django_capture_on_commit_callbacks
):
    response = post(
        client, url_for(checkin), an_update(questions="?" * 5001), django_capture_on_commit_callbacks
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["form"].errors
    assert errors["questions"] == ["Keep this under 5000 characters (it has 5001)."]
    assert list(errors) == ["questions"]
    assert "The homepage layout is done" in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_questions == ""
    assert mail.outbox == []


def test_an_answer_other_than_green_amber_or_red_is_refused(
    client, checkin, django_capture_on_commit_callbacks
):
    response = post(
        client, url_for(checkin), an_update(on_track="purple"), django_capture_on_commit_callbacks
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["on_track"] == ["Choose green, amber or red."]
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_a_script_in_the_question_is_stored_as_text_and_shown_escaped(
    client, checkin, django_capture_on_commit_callbacks
):
    script = "<script>alert('hi')</script> & more"
    url = url_for(checkin)

    post(client, url, an_update(questions=script), django_capture_on_commit_callbacks)

    checkin.refresh_from_db()
    assert checkin.freelancer_questions == script
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt; &amp; more" in html
    assert script in mail.outbox[0].body, "plain text carries the words as typed"
    page = client.get(url).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_an_owner_without_an_email_address_gets_no_email_and_the_update_is_kept(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    owner.email = ""
    owner.save(update_fields=["email"])

    response = post(client, url_for(checkin), an_update(), django_capture_on_commit_callbacks)

    assert response.status_code == HTTPStatus.OK
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is not None
    assert mail.outbox == []


def test_the_service_refuses_oversized_text_and_a_freelancer_no_longer_on_the_project(checkin):
    with pytest.raises(ValidationError) as oversized:
        services.post_freelancer_update(
            checkin=checkin, freelancer=checkin.project.freelancer, **an_update(blockers="x" * 5001)
        )
    with pytest.raises(ValidationError) as stranger:
        services.post_freelancer_update(checkin=checkin, freelancer=FreelancerFactory(), **an_update())

    assert list(oversized.value.message_dict) == ["blockers"]
    assert stranger.value.code == "closed"
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


# Links that do not work: one plain 403 page for all


def tampered(checkin, **_):
    token = checkin_token(checkin, checkin.project.freelancer)
    return reverse("checkin_update", args=[token[:-1] + ("A" if token[-1] != "A" else "B")])


def malformed(checkin, **_):
    return reverse("checkin_update", args=["eyJjaGVja2luIjoxfQ:abc:def"])


def signed_for_something_else(checkin, **_):
    data = {"checkin": checkin.pk, "freelancer": checkin.project.freelancer.pk}
    return reverse("checkin_update", args=[signing.TimestampSigner(salt="another.feature").sign_object(data)])


def not_a_pair_of_ids(checkin, **_):
    data = {"checkin": str(checkin.pk), "freelancer": f"{checkin.project.freelancer.pk} OR 1=1"}
    return reverse("checkin_update", args=[signing.TimestampSigner(salt=SALT).sign_object(data)])


def not_a_dict(checkin, **_):
    return reverse("checkin_update", args=[signing.TimestampSigner(salt=SALT).sign_object([checkin.pk])])


def expired(checkin, monkeypatch, **_):
    # Signed 15 days ago; links work for CHECKIN_LINK_MAX_AGE = 14 days.
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 15 * DAY)
        )
        return url_for(checkin)


def for_a_deleted_check_in(checkin, **_):
    url = url_for(checkin)
    checkin.delete()
    return url


def for_a_freelancer_not_on_the_project(checkin, **_):
    return url_for(checkin, FreelancerFactory())


def completed(checkin, owner, **_):
    project_services.change_status(project=checkin.project, status=Project.Status.COMPLETED, by=owner)
    return url_for(checkin)


def cancelled(checkin, owner, **_):
    project_services.change_status(project=checkin.project, status=Project.Status.CANCELLED, by=owner)
    return url_for(checkin)


def archived(checkin, **_):
    Project.objects.filter(pk=checkin.project_id).update(archived_at=timezone.now())
    return url_for(checkin)


def after_the_freelancer_was_replaced(checkin, owner, **_):
    url = url_for(checkin)
    replace_freelancer(
        project=checkin.project,
        new=FreelancerFactory(),
        reason="Moved to another job",
        by=owner,
        override_reason="Worked with us for years elsewhere",
    )
    return url


def already_held_by_the_owner(checkin, owner, **_):
    services.record_checkin(
        checkin=checkin,
        held_on=timezone.localdate(),
        progress_note="Talked on the phone",
        on_track="green",
        by=owner,
    )
    return url_for(checkin)


BROKEN_LINKS = [
    tampered,
    malformed,
    signed_for_something_else,
    not_a_pair_of_ids,
    not_a_dict,
    expired,
    for_a_deleted_check_in,
    for_a_freelancer_not_on_the_project,
    completed,
    cancelled,
    archived,
    after_the_freelancer_was_replaced,
    already_held_by_the_owner,
]


@pytest.mark.parametrize("broken", BROKEN_LINKS, ids=[f.__name__ for f in BROKEN_LINKS])
def test_a_link_that_does_not_work_gets_the_same_plain_403_page_and_stores_nothing(
    client, checkin, owner, monkeypatch, broken, django_capture_on_commit_callbacks
):
    url = broken(checkin, owner=owner, monkeypatch=monkeypatch)
    reference = invalid_page(client)

    page = client.get(url)
    posted = post(client, url, an_update(), django_capture_on_commit_callbacks)

    assert reference.status_code == HTTPStatus.FORBIDDEN
    assert INVALID_WORDS in reference.text
    assert "Bakery website" not in reference.text
    for response in (page, posted):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.content == reference.content
    assert not CheckIn.objects.filter(freelancer_updated_at__isnull=False).exists()
    assert mail.outbox == []


def test_the_check_in_survives_the_project_closing_so_the_403_is_not_for_a_missing_row(checkin, owner):
    completed(checkin, owner=owner)

    assert CheckIn.objects.filter(pk=checkin.pk).exists()


def test_a_link_works_until_its_last_day(client, checkin, monkeypatch, settings):
    settings.CHECKIN_LINK_MAX_AGE = 3
    ages = {}
    for days in (2, 4):
        with monkeypatch.context() as patch:
            signed_at = int(time.time()) - days * DAY
            patch.setattr(
                signing.TimestampSigner, "timestamp", lambda self, at=signed_at: signing.b62_encode(at)
            )
            ages[days] = url_for(checkin)

    assert client.get(ages[2]).status_code == HTTPStatus.OK
    assert client.get(ages[4]).status_code == HTTPStatus.FORBIDDEN


def test_the_new_freelancer_gets_a_working_link_after_a_replacement(client, checkin, owner):
    newcomer = FreelancerFactory()
    replace_freelancer(
        project=checkin.project, new=newcomer, reason="Moved on", by=owner, override_reason="Known to us"
    )

    assert client.get(url_for(checkin, newcomer)).status_code == HTTPStatus.OK


def test_a_project_on_hold_still_takes_updates(client, checkin, owner):
    project_services.change_status(project=checkin.project, status=Project.Status.ON_HOLD, by=owner)

    assert client.get(url_for(checkin)).status_code == HTTPStatus.OK


# The share done of a milestone


def test_the_page_asks_how_much_of_the_milestone_is_done_and_stores_it_with_that_milestone(
    client, checkin, owner, django_capture_on_commit_callbacks
):
    page = client.get(url_for(checkin)).text
    assert "How much of “Homepage draft” is done? (%)" in page
    assert 'name="percent_done"' in page

    response = post(
        client, url_for(checkin), an_update(percent_done="60"), django_capture_on_commit_callbacks
    )

    assert response.status_code == HTTPStatus.OK
    checkin.refresh_from_db()
    assert (checkin.freelancer_percent_done, checkin.freelancer_percent_of) == (60, checkin.milestone)
    message = mail.outbox[0]
    assert "Done: 60% of “Homepage draft”" in message.body
    assert "60% of “Homepage draft”" in message.alternatives[0][0]


def test_a_check_in_without_a_milestone_asks_about_the_projects_current_milestone(
    client, project, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    MilestoneFactory(
        project=project, title="Logo", due_on=today - datetime.timedelta(days=3), status="approved"
    )
    current = MilestoneFactory(project=project, title="Menu page", due_on=today + datetime.timedelta(days=4))
    MilestoneFactory(project=project, title="Launch", due_on=today + datetime.timedelta(days=20))
    checkin = CheckInFactory(project=project, scheduled_for=timezone.now())

    assert "How much of “Menu page” is done? (%)" in client.get(url_for(checkin)).text
    post(client, url_for(checkin), an_update(percent_done="25"), django_capture_on_commit_callbacks)

    checkin.refresh_from_db()
    assert (checkin.freelancer_percent_done, checkin.freelancer_percent_of) == (25, current)
    assert checkin.milestone is None, "the check-in keeps its place in the plan"


def test_the_share_done_may_be_left_empty(client, checkin, django_capture_on_commit_callbacks):
    post(client, url_for(checkin), an_update(percent_done=""), django_capture_on_commit_callbacks)

    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is not None
    assert (checkin.freelancer_percent_done, checkin.freelancer_percent_of) == (None, None)


@pytest.mark.parametrize("typed", ["101", "-1", "half", "12.5"])
def test_a_share_done_outside_0_to_100_gets_an_error_beside_it_and_stores_nothing(
    client, checkin, typed, django_capture_on_commit_callbacks
):
    response = post(
        client, url_for(checkin), an_update(percent_done=typed), django_capture_on_commit_callbacks
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Say how much is done as a whole number from 0 to 100, or leave it empty." in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None
    assert mail.outbox == []


@pytest.mark.parametrize("percent", [101, -1, True, "50"])
def test_the_service_refuses_a_share_done_that_is_not_a_whole_number_from_0_to_100(checkin, percent):
    with pytest.raises(ValidationError) as refused:
        services.post_freelancer_update(
            checkin=checkin, freelancer=checkin.project.freelancer, **an_update(), percent_done=percent
        )

    assert set(refused.value.message_dict) == {"percent_done"}
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_the_database_refuses_a_share_done_above_100(checkin):
    checkin.freelancer_percent_done = 101

    with pytest.raises(ValidationError) as refused:
        checkin.full_clean()

    assert refused.value.message_dict == {"freelancer_percent_done": ["Say how much is done, from 0 to 100."]}


def test_with_every_milestone_finished_the_question_is_not_asked(client, checkin):
    checkin.milestone.status = "approved"
    checkin.milestone.save()

    page = client.get(url_for(checkin)).text

    assert 'name="percent_done"' not in page


def test_changing_only_the_share_done_is_a_revised_update(
    client, checkin, django_capture_on_commit_callbacks
):
    url = url_for(checkin)
    post(client, url, an_update(percent_done="40"), django_capture_on_commit_callbacks)

    response = post(client, url, an_update(percent_done="70"), django_capture_on_commit_callbacks)

    assert "Your update was updated" in response.text
    checkin.refresh_from_db()
    assert checkin.freelancer_percent_done == 70
    assert 'value="70"' in client.get(url).text, "the next visit starts from it"
