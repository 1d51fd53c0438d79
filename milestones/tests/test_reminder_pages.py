"""The reminder settings page, the failed reminders page, and muting a project's reminders."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from milestones import scan, tasks
from milestones.forms import chosen_kinds
from milestones.models import Reminder, ReminderPreference
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("milestones:reminder_preferences")
FAILED = reverse("milestones:failed_reminders")
RETRY_ALL = reverse("milestones:retry_failed_reminders")
Kind = Reminder.Kind
State = Reminder.State
# The kinds on the settings page: all but the emails the owner sends by acting.
CHOSEN = chosen_kinds()


def retry_url(reminder):
    return reverse("milestones:retry_reminder", args=[reminder.pk])


def mute_url(project):
    return reverse("projects:mute_reminders", args=[project.pk])


@pytest.fixture
def sent_ids(monkeypatch):
    """The reminder ids handed to the broker: enqueue is its boundary."""
    batches = []
    monkeypatch.setattr(tasks, "enqueue", batches.append)
    return batches


def failed_reminder(project=None, error="SMTPServerDisconnected: Connection unexpectedly closed", **fields):
    """A reminder the mail server refused until the last try."""
    project = project or ProjectFactory()
    milestone = MilestoneFactory(project=project, due_on=timezone.localdate() - datetime.timedelta(days=1))
    return Reminder.objects.create(
        kind=Kind.MILESTONE_OVERDUE,
        target=milestone,
        recipient=project.owner.email,
        user=project.owner,
        project=project,
        due_slot=milestone.due_on.isoformat(),
        state=fields.pop("state", State.FAILED),
        attempts=fields.pop("attempts", 6),
        last_error=error,
        **fields,
    )


def settings_for(**changes):
    """What a user ticks on the settings page: every kind received unless left out."""
    data = {"receive": list(CHOSEN), "daily_digest": "", "updates_mark_held": ""}
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


# Reminder settings


def test_the_settings_page_is_at_checkins_reminders_preferences():
    assert PREFERENCES == "/checkins/reminders/preferences/"
    assert FAILED == "/checkins/reminders/failed/"


def test_every_kind_is_received_and_the_digest_off_until_the_user_says_otherwise(owner_client):
    response = owner_client.get(PREFERENCES)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"]["receive"].value() == CHOSEN
    for value, label in Kind.choices:
        assert (f'value="{value}"' in response.text) == (value in CHOSEN)
        assert (label in response.text) == (value in CHOSEN)
    assert "one morning digest" in response.text.lower()
    assert "from 7:00" in response.text
    assert "counts as the check-in" in response.text
    assert not ReminderPreference.objects.exists()


def test_saving_switches_kinds_off_and_the_digest_on_and_says_so(owner_client, owner):
    kept = [kind for kind in CHOSEN if kind not in {Kind.GONE_QUIET, Kind.BUDGET_ALERT}]

    response = owner_client.post(
        PREFERENCES, settings_for(receive=kept, daily_digest="on", updates_mark_held="on"), follow=True
    )

    assert response.redirect_chain == [(PREFERENCES, HTTPStatus.FOUND)]
    assert "Your reminder settings were saved." in response.text
    preference = ReminderPreference.objects.get(user=owner)
    assert preference.muted_kinds == [Kind.GONE_QUIET, Kind.BUDGET_ALERT]
    assert preference.daily_digest and preference.updates_mark_held
    assert response.context["form"]["receive"].value() == kept


def test_unticking_everything_mutes_every_kind_and_ticking_again_brings_them_back(owner_client, owner):
    owner_client.post(PREFERENCES, {})
    assert ReminderPreference.objects.get(user=owner).muted_kinds == CHOSEN

    owner_client.post(PREFERENCES, settings_for())
    assert ReminderPreference.objects.get(user=owner).muted_kinds == []


def test_an_unknown_kind_is_refused_what_was_ticked_is_kept_and_nothing_is_saved(owner_client, owner):
    typed = settings_for(receive=[Kind.REVIEW_OWED, "carrier_pigeon"], daily_digest="on")

    response = owner_client.post(PREFERENCES, typed)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Tick only the kinds of reminder listed." in response.text
    assert "Nothing was saved" in response.text
    assert response.context["form"]["daily_digest"].value() is True
    assert Kind.REVIEW_OWED in response.context["form"]["receive"].value()
    assert not ReminderPreference.objects.exists()


def test_each_user_edits_only_their_own_settings(client, assistant, owner):
    ReminderPreference.objects.create(user=owner, muted_kinds=[Kind.REVIEW_OWED])
    client.force_login(assistant)

    response = client.post(PREFERENCES, settings_for(daily_digest="on"))

    assert response.status_code == HTTPStatus.FOUND
    assert ReminderPreference.objects.get(user=assistant).daily_digest
    assert ReminderPreference.objects.get(user=owner).muted_kinds == [Kind.REVIEW_OWED]
    assert not ReminderPreference.objects.get(user=owner).daily_digest


def test_a_user_in_no_role_may_still_choose_their_reminders(client, outsider):
    client.force_login(outsider)

    assert client.get(PREFERENCES).status_code == HTTPStatus.OK
    assert client.post(PREFERENCES, settings_for()).status_code == HTTPStatus.FOUND


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in (PREFERENCES, FAILED):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("login"))


def test_every_page_links_to_the_settings_from_the_user_menu(assistant_client):
    page = assistant_client.get(reverse("dashboard")).text

    assert f'<a class="dropdown-item" href="{PREFERENCES}">Reminder settings</a>' in page


def test_the_failed_reminders_page_is_linked_from_the_settings_for_those_who_may_retry(
    client, owner, assistant
):
    client.force_login(owner)
    assert f'href="{FAILED}"' in client.get(PREFERENCES).text
    client.force_login(assistant)
    assert f'href="{FAILED}"' not in client.get(PREFERENCES).text


# Failed reminders


def test_failed_reminders_show_kind_recipient_project_attempts_error_and_when(owner_client):
    project = ProjectFactory(title="Shop launch")
    reminder = failed_reminder(project, error="SMTPRecipientsRefused: mailbox full")
    failed_reminder(state=State.SENT, error="")
    failed_reminder(state=State.PENDING, error="")

    response = owner_client.get(FAILED)

    assert response.status_code == HTTPStatus.OK
    assert [r.pk for r in response.context["page"]] == [reminder.pk]
    page = response.text
    assert "Milestone overdue" in page
    assert project.owner.email in page
    assert f'<a href="{project.get_absolute_url()}">Shop launch</a>' in page
    assert '<td class="text-end">6</td>' in page
    assert "SMTPRecipientsRefused: mailbox full" in page
    assert f"{timezone.localtime(reminder.created_at):%-d %b %Y, %H:%M}" in page
    assert f'action="{retry_url(reminder)}"' in page
    assert f'action="{RETRY_ALL}"' in page


def test_with_nothing_failed_the_page_says_so(owner_client):
    failed_reminder(state=State.SENT, error="")

    response = owner_client.get(FAILED)

    assert "No failed reminders" in response.text
    assert "Retry all" not in response.text


def test_retry_puts_the_reminder_back_in_the_queue_after_commit(
    owner_client, sent_ids, django_capture_on_commit_callbacks
):
    reminder = failed_reminder()
    other = failed_reminder()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(retry_url(reminder), follow=True)

    assert response.redirect_chain == [(FAILED, HTTPStatus.FOUND)]
    assert f"The reminder to {reminder.recipient} is on its way again." in response.text
    assert sent_ids == [[reminder.pk]]
    reminder.refresh_from_db()
    assert (reminder.state, reminder.last_error) == (State.PENDING, "")
    assert [r.pk for r in response.context["page"]] == [other.pk]


def test_retrying_a_reminder_already_retried_changes_nothing(
    owner_client, sent_ids, django_capture_on_commit_callbacks
):
    reminder = failed_reminder(state=State.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(retry_url(reminder), follow=True)

    assert "That reminder had already been retried; nothing was changed." in response.text
    assert sent_ids == []


def test_retry_all_puts_every_failed_reminder_back_and_no_other(
    owner_client, sent_ids, django_capture_on_commit_callbacks
):
    failed = [failed_reminder(), failed_reminder(), failed_reminder()]
    sent = failed_reminder(state=State.SENT, error="")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(RETRY_ALL, follow=True)

    assert "3 reminders are on the way again." in response.text
    assert "No failed reminders" in response.text
    assert [sorted(batch) for batch in sent_ids] == [sorted(r.pk for r in failed)]
    assert set(Reminder.objects.exclude(pk=sent.pk).values_list("state", flat=True)) == {State.PENDING}


def test_retry_all_with_nothing_failed_says_so(owner_client, sent_ids):
    response = owner_client.post(RETRY_ALL, follow=True)

    assert "No reminder had failed; nothing was changed." in response.text
    assert sent_ids == []


def test_an_unknown_reminder_is_not_found(owner_client):
    assert owner_client.post(reverse("milestones:retry_reminder", args=[999999])).status_code == 404


def test_retrying_takes_a_post(owner_client):
    reminder = failed_reminder()

    assert owner_client.get(retry_url(reminder)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert owner_client.get(RETRY_ALL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("who", ["assistant", "outsider"])
def test_only_those_who_may_change_reminders_see_or_retry_failed_ones(client, request, sent_ids, who):
    client.force_login(request.getfixturevalue(who))
    reminder = failed_reminder()

    assert client.get(FAILED).status_code == HTTPStatus.FORBIDDEN
    assert client.post(retry_url(reminder)).status_code == HTTPStatus.FORBIDDEN
    assert client.post(RETRY_ALL).status_code == HTTPStatus.FORBIDDEN
    reminder.refresh_from_db()
    assert reminder.state == State.FAILED


@pytest.mark.parametrize("count", [2, 20])
def test_the_failed_page_runs_the_same_queries_whatever_the_number_of_rows(
    owner_client, django_assert_num_queries, count
):
    for _ in range(count):
        failed_reminder()

    # session, user, the user's permissions, the user's group permissions,
    # the count for the pages, the failed reminders with their projects.
    with django_assert_num_queries(6):
        response = owner_client.get(FAILED)
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["page"]) == count


# Muting a project's reminders


def test_muting_a_project_silences_its_reminders_and_unmuting_brings_them_back(owner_client, owner):
    project = ProjectFactory()

    muted = owner_client.post(mute_url(project), {"muted": "on"}, follow=True)

    project.refresh_from_db()
    assert project.reminders_muted
    assert "Reminders about this project are muted" in muted.text
    assert "Muted: no reminder emails about this project" in muted.text
    assert 'name="muted" value="off"' in muted.text and "Unmute reminders" in muted.text
    assert project.history.latest().history_user == owner

    unmuted = owner_client.post(mute_url(project), {"muted": "off"}, follow=True)

    project.refresh_from_db()
    assert not project.reminders_muted
    assert "Reminders about this project are on again." in unmuted.text
    assert 'name="muted" value="on"' in unmuted.text and "Mute reminders" in unmuted.text


def test_a_muted_project_is_left_out_of_the_scan(owner_client):
    project = ProjectFactory()
    MilestoneFactory(project=project, due_on=timezone.localdate() - datetime.timedelta(days=1))
    owner_client.post(mute_url(project), {"muted": "on"})

    assert scan.scan(dry_run=True) == []


@pytest.mark.parametrize("data", [{}, {"muted": "maybe"}])
def test_an_unclear_mute_request_changes_nothing(owner_client, data):
    project = ProjectFactory()

    response = owner_client.post(mute_url(project), data, follow=True)

    assert "Say whether to mute the reminders; nothing was changed." in response.text
    project.refresh_from_db()
    assert not project.reminders_muted


def test_the_assistant_may_mute_and_the_outsider_may_not(client, assistant, outsider):
    project = ProjectFactory()

    client.force_login(assistant)
    assert client.post(mute_url(project), {"muted": "on"}).status_code == HTTPStatus.FOUND
    client.force_login(outsider)
    assert client.post(mute_url(project), {"muted": "off"}).status_code == HTTPStatus.FORBIDDEN
    project.refresh_from_db()
    assert project.reminders_muted


def test_muting_takes_a_post(owner_client):
    assert owner_client.get(mute_url(ProjectFactory())).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# Who reminders cannot reach


def test_the_project_page_says_when_reminders_cannot_reach_the_owner_or_the_freelancer(owner_client):
    project = ProjectFactory(
        owner__email="", owner__first_name="Olga", owner__last_name="Berg", freelancer__email=""
    )

    page = owner_client.get(project.get_absolute_url()).text

    assert "Reminders cannot reach Olga Berg (the owner): no email address." in page
    assert f"Reminders cannot reach {project.freelancer.name} (the freelancer): no email address." in page


def test_no_note_when_everyone_has_an_address_or_nobody_is_to_be_reminded(owner_client):
    reachable = ProjectFactory()
    no_freelancer = ProjectFactory(freelancer=None)
    muted = ProjectFactory(owner__email="", reminders_muted=True)

    for project in (reachable, no_freelancer, muted):
        assert "Reminders cannot reach" not in owner_client.get(project.get_absolute_url()).text
