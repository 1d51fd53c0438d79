"""Services are the only writers: whichever way a payment, a backup or a milestone is
written (a page, the admin's forms and inlines, a direct call; the demo seeding in
dashboard/tests/test_demo_rules.py), the
same rule refuses the same thing, beside the field it concerns, and nothing is written."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from milestones import planning, project_services
from milestones.models import CheckIn, Milestone
from projects import services
from projects.models import Backup, Payment
from projects.tests.factories import BackupFactory, MilestoneFactory, ProjectFactory
from projects.tests.form_posts import fill_new_row, form_on, row_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
LATE = "after the project&#x27;s due date plus its leeway"
OVER = "more than the budget plus contingency"


def days(n):
    return TODAY + n * DAY


@pytest.fixture
def project(owner):
    """Active, due in 20 days with 3 days' leeway, USD 1,000.00 with 10% contingency."""
    return ProjectFactory(owner=owner, due_on=days(20), schedule_buffer_days=3, budget=Decimal("1000.00"))


def admin_page_data(client, url, having):
    """What the admin page at `url` posts untouched, to change before posting it back."""
    return form_on(client.get(url).text, having=having)


# Direct calls: the rule is in the service (or the model it saves), not only in forms ----------


def test_update_project_refuses_a_milestone_moved_past_the_due_date_plus_leeway(owner, project):
    milestone = MilestoneFactory(project=project, title="Go-live", due_on=days(20))
    milestone.due_on = days(24)

    with pytest.raises(ValidationError) as raised:
        project_services.update_project(project=project, milestones=[milestone], by=owner)

    assert "after the project's due date plus its leeway" in " ".join(raised.value.messages)
    milestone.refresh_from_db()
    assert milestone.due_on == days(20)


def test_save_milestones_needs_a_confirmation_above_budget_plus_contingency(owner, project):
    milestone = Milestone(project=project, title="Everything", due_on=days(10), amount=Decimal("1100.01"))

    with pytest.raises(ValidationError) as raised:
        project_services.save_milestones(project=project, milestones=[milestone], by=owner)

    assert (
        "USD 1,100.01, more than the budget plus contingency"
        in raised.value.message_dict["confirm_over_budget"][0]
    )
    assert not Milestone.objects.exists()

    project_services.save_milestones(
        project=project, milestones=[milestone], by=owner, confirm_over_budget=True
    )
    assert project.milestones.get().amount == Decimal("1100.01")


def test_the_over_budget_refusal_names_no_amount_to_an_assistant(assistant, project):
    milestone = Milestone(project=project, title="Everything", due_on=days(10), amount=Decimal("1100.01"))

    with pytest.raises(ValidationError) as raised:
        project_services.save_milestones(project=project, milestones=[milestone], by=assistant)

    assert raised.value.message_dict["confirm_over_budget"] == [
        "The milestones add up to more than the budget plus contingency. Tick this box to save anyway."
    ]


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5")])
def test_record_payment_refuses_nothing_or_less(owner, project, amount):
    with pytest.raises(ValidationError) as raised:
        services.record_payment(project=project, amount=amount, paid_on=TODAY, by=owner)

    assert raised.value.message_dict["amount"] == ["A payment must be more than zero."]
    assert not Payment.objects.exists()


def test_add_backup_refuses_the_same_freelancer_twice(owner, project):
    backup = BackupFactory(project=project)

    with pytest.raises(ValidationError) as raised:
        services.add_backup(project=project, freelancer=backup.freelancer, by=owner)

    assert raised.value.message_dict["freelancer"] == ["This freelancer is already a backup on this project."]
    assert Backup.objects.count() == 1


# The project's pages -----------------------------------------------------------------------


def test_a_payment_of_nothing_is_refused_beside_the_amount_on_the_project_page(owner_client, project):
    url = reverse("projects:payment_create", args=[project.pk])

    response = owner_client.post(url, {"amount": "0", "paid_on": TODAY.isoformat()})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["forms"]["payment"].errors["amount"] == ["A payment must be more than zero."]
    assert not Payment.objects.exists()


def test_a_payment_on_the_project_page_is_recorded_by_the_service_with_who_recorded_it(
    owner_client, owner, project
):
    url = reverse("projects:payment_create", args=[project.pk])

    owner_client.post(url, {"amount": "250.00", "paid_on": TODAY.isoformat(), "note": "Deposit"})

    payment = Payment.objects.get()
    assert (payment.amount, payment.note, payment.recorded_by) == (Decimal("250.00"), "Deposit", owner)
    assert payment.history.get().history_user == owner


def test_the_same_backup_twice_is_refused_beside_the_freelancer_on_the_project_page(owner_client, project):
    backup = BackupFactory(project=project)
    url = reverse("projects:backup_create", args=[project.pk])

    response = owner_client.post(url, {"freelancer": backup.freelancer.pk, "rank": "2"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["forms"]["backup"].errors["freelancer"]
    assert errors == ["This freelancer is already a backup on this project."]
    assert Backup.objects.count() == 1


def test_confirming_and_removing_a_backup_are_recorded_with_who_did_it(owner_client, owner, project):
    backup = BackupFactory(project=project, last_confirmed_on=None)

    owner_client.post(reverse("projects:backup_confirm", args=[project.pk, backup.pk]))
    backup.refresh_from_db()
    owner_client.post(reverse("projects:backup_remove", args=[project.pk, backup.pk]))

    assert backup.last_confirmed_on == TODAY
    assert not Backup.objects.exists()
    confirmed, removed = backup.history.order_by("history_date")[1:]
    assert (confirmed.history_type, confirmed.history_user) == ("~", owner)
    assert (removed.history_type, removed.history_user) == ("-", owner)


def test_muting_reminders_is_recorded_in_the_projects_history(owner_client, owner, project):
    owner_client.post(reverse("projects:mute_reminders", args=[project.pk]), {"muted": "on"})

    project.refresh_from_db()
    assert project.reminders_muted
    assert project.history.first().history_user == owner


def test_editing_only_the_title_of_a_project_already_over_budget_asks_no_confirmation(
    owner_client, owner, project
):
    """The confirmation is asked when the milestones or the budget change, not on every save."""
    project_services.save_milestones(
        project=project,
        milestones=[Milestone(title="Everything", due_on=days(10), amount=Decimal("1500.00"))],
        by=owner,
        confirm_over_budget=True,
    )
    url = reverse("projects:edit", args=[project.pk])
    data = form_on(owner_client.get(url).text, having="milestones-TOTAL_FORMS")
    data["title"] = "Website refresh, renamed"

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.title == "Website refresh, renamed"


def test_raising_an_over_budget_milestone_on_the_project_form_asks_again(owner_client, owner, project):
    project_services.save_milestones(
        project=project,
        milestones=[Milestone(title="Everything", due_on=days(10), amount=Decimal("1500.00"))],
        by=owner,
        confirm_over_budget=True,
    )
    url = reverse("projects:edit", args=[project.pk])
    data = form_on(owner_client.get(url).text, having="milestones-TOTAL_FORMS")
    data[f"{row_of(data, 'milestones', 'Everything')}-amount"] = "1600.00"

    response = owner_client.post(url, data)

    assert OVER in response.context["form"].errors["confirm_over_budget"][0]
    assert project.milestones.get().amount == Decimal("1500.00")


def project_with_a_draft_due_in_11_days(owner):
    """Active from today, a check-in every 7 days and one the day before the draft."""
    return project_services.create_project(
        project=ProjectFactory.build(
            owner=owner, freelancer=None, start_on=TODAY, due_on=days(28), budget=Decimal("400.00")
        ),
        milestones=[MilestoneFactory.build(title="Draft", due_on=days(11), amount=Decimal("100.00"))],
        by=owner,
    )


def test_approving_a_milestone_re_plans_the_check_ins_of_its_project(owner_client, owner):
    project = project_with_a_draft_due_in_11_days(owner)
    draft = project.milestones.get()
    assert CheckIn.objects.filter(milestone=draft).exists()  # the day before it

    owner_client.post(
        reverse("projects:milestone_status", args=[project.pk, draft.pk]),
        {"status": Milestone.Status.APPROVED},
    )

    assert not CheckIn.objects.filter(milestone=draft).exists()
    planned_days = {timezone.localdate(c.scheduled_for) for c in project.checkins.all()}
    assert days(10) not in planned_days


# The admin -----------------------------------------------------------------------------------


def test_admin_inline_milestones_above_budget_plus_contingency_need_the_confirmation(owner_client, project):
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_page_data(owner_client, url, having="milestones-TOTAL_FORMS")
    row = fill_new_row(data, "milestones", title="Everything", due_on=days(10).isoformat(), amount="1200.00")
    data[f"{row}-status"] = Milestone.Status.PLANNED
    data[f"{row}-order"] = "1"

    refused = owner_client.post(url, data)

    assert refused.status_code == HTTPStatus.OK
    assert "USD 1,200.00, more than the budget plus contingency (USD 1,100.00)" in refused.text
    assert not Milestone.objects.exists()

    data["confirm_over_budget"] = "on"
    accepted = owner_client.post(url, data)

    assert accepted.status_code == HTTPStatus.FOUND
    assert project.milestones.get().amount == Decimal("1200.00")


def test_admin_inline_milestone_moves_re_plan_the_check_ins_by_who_moved_them(owner_client, owner, project):
    MilestoneFactory(project=project, title="Go-live", due_on=days(15))
    planning.plan_checkins(project=project)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_page_data(owner_client, url, having="milestones-TOTAL_FORMS")
    data[f"{row_of(data, 'milestones', 'Go-live')}-due_on"] = days(12).isoformat()

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    before_go_live = CheckIn.objects.get(milestone__title="Go-live")
    assert timezone.localdate(before_go_live.scheduled_for) == days(11)
    assert before_go_live.history.first().history_change_reason == "Re-planned"
    assert before_go_live.history.first().history_user == owner


def test_admin_inline_refuses_the_projects_own_freelancer_as_its_backup(owner_client, project):
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_page_data(owner_client, url, having="backups-TOTAL_FORMS")
    fill_new_row(data, "backups", rank="1", freelancer=str(project.freelancer_id))

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "works on this project: a backup is someone else." in response.text
    assert not Backup.objects.exists()


def test_admin_inline_refuses_a_payment_of_nothing(owner_client, project):
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_page_data(owner_client, url, having="payments-TOTAL_FORMS")
    fill_new_row(data, "payments", amount="0", paid_on=TODAY.isoformat())

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "A payment must be more than zero." in response.text
    assert not Payment.objects.exists()


def test_a_payment_added_in_the_admin_inline_is_recorded_by_who_added_it(owner_client, owner, project):
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_page_data(owner_client, url, having="payments-TOTAL_FORMS")
    fill_new_row(data, "payments", amount="120.00", paid_on=TODAY.isoformat(), note="Deposit")

    owner_client.post(url, data)

    payment = Payment.objects.get()
    assert payment.recorded_by == owner
    assert payment.history.get().history_user == owner


def test_the_admin_milestone_page_asks_for_the_confirmation_above_budget(owner_client, project):
    url = reverse("admin:milestones_milestone_add")
    fields = {
        "project": project.pk,
        "order": "1",
        "title": "Everything",
        "due_on": days(10).isoformat(),
        "amount": "1200.00",
        "status": Milestone.Status.PLANNED,
    }

    refused = owner_client.post(url, fields)

    assert refused.status_code == HTTPStatus.OK
    assert OVER in refused.context["adminform"].form.errors["confirm_over_budget"][0]
    assert not Milestone.objects.exists()

    accepted = owner_client.post(url, {**fields, "confirm_over_budget": "on"})
    assert accepted.status_code == HTTPStatus.FOUND
    assert project.milestones.get().title == "Everything"


def test_the_admin_milestone_page_re_plans_the_check_ins_when_a_milestone_is_approved(owner_client, owner):
    project = project_with_a_draft_due_in_11_days(owner)
    draft = project.milestones.get()

    owner_client.post(
        reverse("admin:milestones_milestone_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(draft.pk),
            "form-0-status": Milestone.Status.APPROVED,
            "_save": "Save",
        },
    )

    draft.refresh_from_db()
    assert draft.status == Milestone.Status.APPROVED
    assert not CheckIn.objects.filter(milestone=draft).exists()
