"""The reminder log in the admin: read, filtered, searched, and failed reminders retried."""

import datetime
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from milestones import tasks
from milestones.models import Reminder
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:milestones_reminder_changelist")
Kind = Reminder.Kind
State = Reminder.State


@pytest.fixture
def sent_ids(monkeypatch):
    """The reminder ids handed to the broker: tasks.enqueue is its boundary."""
    batches = []
    monkeypatch.setattr(tasks, "enqueue", batches.append)
    return batches


def reminder(kind=Kind.MILESTONE_OVERDUE, state=State.PENDING, recipient=None, project=None, **fields):
    project = project or ProjectFactory()
    milestone = MilestoneFactory(project=project, due_on=timezone.localdate() - datetime.timedelta(days=1))
    return Reminder.objects.create(
        kind=kind,
        target=milestone,
        recipient=recipient or project.owner.email,
        user=project.owner,
        project=project,
        due_slot=fields.pop("due_slot", milestone.due_on.isoformat()),
        state=state,
        **fields,
    )


def found(response):
    return list(response.context["cl"].result_list)


def retry(client, *chosen):
    data = {"action": "retry", "index": "0", ACTION_CHECKBOX_NAME: [r.pk for r in chosen]}
    return client.post(CHANGELIST, data, follow=True)


@pytest.fixture
def reader_without_money(django_user_model):
    """Staff who may read and retry reminders, but not see money or access grants."""
    user = django_user_model.objects.create_user(username="rita", email="rita@example.com", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="milestones", codename__in=["view_reminder", "change_reminder"]
        )
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_log_lists_kind_recipient_project_slot_state_attempts_and_when_sent(owner_client):
    project = ProjectFactory(title="Shop relaunch")
    reminder(
        project=project, recipient="ana@example.com", state=State.FAILED, attempts=6, due_slot="2026-03-01"
    )

    response = owner_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK
    for shown in ("Milestone overdue", "ana@example.com", "Shop relaunch", "2026-03-01", "Failed", ">6<"):
        assert shown in response.text


def test_the_state_filter_finds_the_failed_ones(owner_client):
    failed = reminder(state=State.FAILED)
    reminder(state=State.SENT)
    reminder(state=State.PENDING)

    assert found(owner_client.get(CHANGELIST, {"state__exact": "failed"})) == [failed]


def test_the_kind_filter_finds_that_kind(owner_client):
    quiet = reminder(kind=Kind.GONE_QUIET)
    reminder(kind=Kind.MILESTONE_OVERDUE)

    assert found(owner_client.get(CHANGELIST, {"kind": Kind.GONE_QUIET})) == [quiet]


def test_the_search_finds_by_recipient(owner_client):
    ana = reminder(recipient="ana@example.com")
    reminder(recipient="kwame@example.com")

    assert found(owner_client.get(CHANGELIST, {"q": "ana@"})) == [ana]


def test_retry_puts_the_failed_ones_back_in_the_queue_and_leaves_the_others(
    owner_client, sent_ids, django_capture_on_commit_callbacks
):
    failed = reminder(state=State.FAILED, attempts=6, last_error="SMTPServerDisconnected")
    sent = reminder(state=State.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(owner_client, failed, sent)

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.state == State.PENDING and failed.last_error == ""
    assert sent.state == State.SENT
    assert sent_ids == [[failed.pk]]
    said = [str(message) for message in response.context["messages"]]
    assert "1 reminder(s) on the way again." in said
    assert "1 selected reminder(s) had not failed and were left as they were." in said


def test_the_log_is_read_only(owner_client):
    row = reminder(state=State.FAILED)

    add = owner_client.get(reverse("admin:milestones_reminder_add"))
    change = owner_client.post(
        reverse("admin:milestones_reminder_change", args=[row.pk]),
        {"state": "sent", "recipient": "x@example.com"},
    )
    delete = owner_client.get(reverse("admin:milestones_reminder_delete", args=[row.pk]))

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    row.refresh_from_db()
    assert row.state == State.FAILED


def test_money_and_access_reminders_are_shown_only_to_who_may_read_them(reader_without_money, owner_client):
    budget = reminder(kind=Kind.BUDGET_ALERT, state=State.FAILED, due_slot="90%")
    overdue = reminder(kind=Kind.MILESTONE_OVERDUE, state=State.FAILED)

    response = reader_without_money.get(CHANGELIST)
    kinds = [
        choice["display"] for choice in response.context["cl"].filter_specs[1].choices(response.context["cl"])
    ]
    budget_page = reader_without_money.get(reverse("admin:milestones_reminder_change", args=[budget.pk]))
    as_budget = reader_without_money.get(CHANGELIST, {"kind": Kind.BUDGET_ALERT})

    assert found(response) == [overdue]
    assert "Budget alert" not in kinds and "Access to revoke" not in kinds
    assert budget_page.status_code == HTTPStatus.FOUND  # "not found", as for a row that does not exist
    assert found(as_budget) == []
    assert set(found(owner_client.get(CHANGELIST))) == {budget, overdue}


def test_a_forecast_overrun_about_the_contingency_is_hidden_from_who_may_not_see_money(
    reader_without_money, owner_client
):
    about_money = reminder(
        kind=Kind.FORECAST_OVERRUN, state=State.FAILED, due_slot="contingency before 2026-05-01"
    )
    about_time = reminder(kind=Kind.FORECAST_OVERRUN, state=State.FAILED, due_slot="finish after 2026-05-04")

    response = reader_without_money.get(CHANGELIST, {"kind": Kind.FORECAST_OVERRUN})
    money_page = reader_without_money.get(reverse("admin:milestones_reminder_change", args=[about_money.pk]))

    assert found(response) == [about_time]
    assert money_page.status_code == HTTPStatus.FOUND
    assert set(found(owner_client.get(CHANGELIST))) == {about_money, about_time}


def test_a_hidden_reminder_cannot_be_retried_through_the_log(
    reader_without_money, sent_ids, django_capture_on_commit_callbacks
):
    budget = reminder(kind=Kind.BUDGET_ALERT, state=State.FAILED, due_slot="90%")

    with django_capture_on_commit_callbacks(execute=True):
        retry(reader_without_money, budget)

    budget.refresh_from_db()
    assert budget.state == State.FAILED
    assert sent_ids == []


def test_an_assistant_cannot_open_the_log(client, assistant):
    assistant.is_staff = True
    assistant.save()
    client.force_login(assistant)

    assert client.get(CHANGELIST).status_code == HTTPStatus.FORBIDDEN


def test_the_log_runs_the_same_queries_for_3_and_for_30_reminders(owner_client, django_assert_num_queries):
    for count in (3, 30):
        while Reminder.objects.count() < count:
            reminder(state=State.FAILED)
        # 1 session, 2 user, 3-4 the user's and their groups' permissions, 5 the table's
        # estimated size, 6 the exact count (a small table is counted), 7 the reminders
        # with their project.
        with django_assert_num_queries(7):
            response = owner_client.get(CHANGELIST)
        assert len(found(response)) == count
