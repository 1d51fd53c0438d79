import csv
import datetime
import io
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from milestones.models import CheckIn, Milestone
from milestones.resources import MilestoneResource
from projects.models import Assignment, Payment, Project
from projects.resources import PaymentResource, ProjectResource
from projects.tests.factories import (
    BackupFactory,
    CheckInFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    passed_trial,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:projects_project_changelist")
ADMIN_PAGES = ["projects_project", "projects_payment", "milestones_milestone", "milestones_checkin"]


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def run_action(client, action, objects, **extra):
    """Post the changelist's action form, as choosing an action and pressing Go does."""
    data = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(CHANGELIST, data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def changelist_edit(client, project, **values):
    """Post one editable changelist row as the admin's Save button does."""
    row = {"status": project.status, "due_on": project.due_on.isoformat(), **values}
    return client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(project.pk),
            **{f"form-0-{name}": value for name, value in row.items()},
            "_save": "Save",
        },
    )


def red_amber_and_green_projects():
    """One project per budget health: spent within the budget, inside the contingency, beyond it."""
    green = ProjectFactory(title="Green shop", budget=Decimal("1000.00"))
    amber = ProjectFactory(title="Amber shop", budget=Decimal("1000.00"))
    red = ProjectFactory(title="Red shop", budget=Decimal("1000.00"))
    PaymentFactory(project=green, amount=Decimal("900.00"))
    PaymentFactory(project=amber, amount=Decimal("1050.00"))
    PaymentFactory(project=red, amount=Decimal("1200.00"))
    return green, amber, red


@pytest.fixture
def staff_assistant(assistant, client):
    """An Assistant let into the admin: staff status without the Owner's permissions."""
    assistant.is_staff = True
    assistant.save()
    client.force_login(assistant)
    return client


# Every admin page opens --------------------------------------------------------


@pytest.fixture
def one_of_everything():
    project = ProjectFactory(title="Shopify store migration", freelancer=FreelancerFactory(name="Ana Souza"))
    milestone = MilestoneFactory(project=project, title="Product import")
    PaymentFactory(project=project, milestone=milestone)
    CheckInFactory(project=project, milestone=milestone)
    BackupFactory(project=project)
    return project


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_the_changelist_opens(admin_client, one_of_everything, page):
    response = admin_client.get(reverse(f"admin:{page}_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert "Shopify store migration" in response.content.decode()


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_the_changelist_searches(admin_client, one_of_everything, page):
    response = admin_client.get(reverse(f"admin:{page}_changelist"), {"q": "Shopify"})

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["cl"].result_list) == 1


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_the_add_page_opens(admin_client, page):
    response = admin_client.get(reverse(f"admin:{page}_add"))

    assert response.status_code == HTTPStatus.OK


def test_the_project_change_page_and_its_history_open(admin_client, one_of_everything):
    project = one_of_everything
    change = admin_client.get(reverse("admin:projects_project_change", args=[project.pk]))
    history = admin_client.get(reverse("admin:projects_project_history", args=[project.pk]))

    assert change.status_code == HTTPStatus.OK
    assert history.status_code == HTTPStatus.OK
    assert "Product import" in change.content.decode()


def test_the_project_search_finds_projects_by_freelancer_name(admin_client):
    ProjectFactory(title="Bookkeeping", freelancer=FreelancerFactory(name="Priya Raman"))
    ProjectFactory(title="Shop", freelancer=FreelancerFactory(name="Kwame Mensah"))

    response = admin_client.get(CHANGELIST, {"q": "priya"})

    assert [project.title for project in response.context["cl"].result_list] == ["Bookkeeping"]


def test_the_changelist_shows_budget_with_currency_health_and_progress(admin_client):
    project = ProjectFactory(budget=Decimal("1000.00"), currency="EUR")
    MilestoneFactory(project=project, status=Milestone.Status.APPROVED)
    MilestoneFactory(project=project)
    PaymentFactory(project=project, amount=Decimal("1200.00"))

    content = admin_client.get(CHANGELIST).content.decode()

    assert "EUR 1,000.00" in content
    assert "beyond the contingency" in content  # the reason, shown on the red level
    assert "50%" in content


def test_the_changelist_runs_the_same_queries_for_3_and_for_30_projects(
    owner_client, django_assert_num_queries
):
    for count in (3, 30):
        while Project.objects.count() < count:
            project = ProjectFactory()
            MilestoneFactory.create_batch(2, project=project)
            PaymentFactory(project=project)
        # 1 session, 2 user, 3-4 the user's and their groups' permissions, 5 the table's
        # estimated size, 6 the exact count (a small table is counted), 7 the projects with
        # their freelancer, owner, money and health (with_health).
        with django_assert_num_queries(7):
            response = owner_client.get(CHANGELIST)
        assert len(response.context["cl"].result_list) == count


# Editing in the changelist ------------------------------------------------------


def test_the_status_can_be_changed_in_the_changelist(owner_client, owner):
    project = ProjectFactory(status=Project.Status.ACTIVE)

    response = changelist_edit(owner_client, project, status=Project.Status.ON_HOLD)

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.status == Project.Status.ON_HOLD
    assert project.history.first().history_user == owner


def test_activating_in_the_changelist_plans_the_check_ins(owner_client):
    project = ProjectFactory(status=Project.Status.DRAFT)

    changelist_edit(owner_client, project, status=Project.Status.ACTIVE)

    assert CheckIn.objects.filter(project=project).exists()


def test_completing_in_the_changelist_is_refused_with_the_way_to_do_it(owner_client):
    project = ProjectFactory(status=Project.Status.ACTIVE)

    response = changelist_edit(owner_client, project, status=Project.Status.COMPLETED)

    assert response.status_code == HTTPStatus.OK
    assert "Complete a project with the “Mark complete” action" in response.content.decode()
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_a_due_date_before_a_milestone_plus_the_leeway_is_refused_in_the_changelist(owner_client):
    project = ProjectFactory(due_on=days(20), schedule_buffer_days=3)
    MilestoneFactory(project=project, title="Go-live", due_on=days(20))

    response = changelist_edit(owner_client, project, due_on=days(10).isoformat())

    assert response.status_code == HTTPStatus.OK
    assert "“Go-live” is due" in response.content.decode()
    project.refresh_from_db()
    assert project.due_on == days(20)


def test_a_due_date_is_moved_in_the_changelist(owner_client):
    project = ProjectFactory(due_on=days(20), schedule_buffer_days=3)
    MilestoneFactory(project=project, due_on=days(12))

    response = changelist_edit(owner_client, project, due_on=days(10).isoformat())

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.due_on == days(10)


# The health filter ------------------------------------------------------------


@pytest.mark.parametrize("level", ["green", "amber", "red"])
def test_the_health_filter_keeps_the_projects_of_that_colour(admin_client, level):
    red_amber_and_green_projects()

    response = admin_client.get(CHANGELIST, {"health": level})

    assert [project.title for project in response.context["cl"].result_list] == [f"{level.title()} shop"]


def test_the_health_filter_also_goes_by_the_schedule(admin_client):
    late = ProjectFactory(title="Late", due_on=days(-10), start_on=days(-30), schedule_buffer_days=3)
    ProjectFactory(title="On time")

    response = admin_client.get(CHANGELIST, {"health": "red"})

    assert list(response.context["cl"].result_list) == [late]


def sorted_by(client, column, descending=False):
    """The changelist sorted by one of its columns, as clicking its header does."""
    columns = client.get(CHANGELIST).context["cl"].list_display
    position = columns.index(column)
    return client.get(CHANGELIST, {"o": f"{'-' if descending else ''}{position}"}).context["cl"].result_list


def test_sorting_by_spending_goes_by_the_sum_of_payments(owner_client):
    green, amber, red = red_amber_and_green_projects()
    PaymentFactory(project=green, amount=Decimal("400.00"))  # 1300 spent in two payments

    result = sorted_by(owner_client, "spent_with_currency", descending=True)

    assert [project.title for project in result] == ["Green shop", "Red shop", "Amber shop"]


def test_sorting_by_budget_health_puts_red_first(owner_client):
    # Created in neither the sorted order nor its reverse, so no fallback order passes for it.
    for title, spent in [("Red shop", "1200.00"), ("Green shop", "900.00"), ("Amber shop", "1050.00")]:
        PaymentFactory(project=ProjectFactory(title=title, budget=Decimal("1000.00")), amount=Decimal(spent))

    result = sorted_by(owner_client, "budget_health_level")

    assert [project.title for project in result] == ["Red shop", "Amber shop", "Green shop"]


def test_sorting_by_schedule_health_puts_the_late_first(owner_client):
    late = ProjectFactory(title="Late", due_on=days(40), start_on=days(-30), schedule_buffer_days=3)
    MilestoneFactory(project=late, due_on=days(-10))
    ProjectFactory(title="On time", due_on=days(20))
    ProjectFactory(title="Also on time", due_on=days(30))

    result = sorted_by(owner_client, "schedule_health_level")

    assert [project.title for project in result][0] == "Late"


def test_the_health_filter_pages_in_the_database(owner_client):
    for n in range(60):
        project = ProjectFactory(title=f"Over {n:02d}", budget=Decimal("100.00"), due_on=days(10 + n))
        PaymentFactory(project=project, amount=Decimal("500.00"))
    ProjectFactory(title="Calm")

    first = owner_client.get(CHANGELIST, {"health": "red"}).context["cl"]
    second = owner_client.get(CHANGELIST, {"health": "red", "p": "2"}).context["cl"]

    assert first.result_count == 60
    assert [project.title for project in first.result_list][:2] == ["Over 00", "Over 01"]
    assert [project.title for project in second.result_list] == [f"Over {n:02d}" for n in range(50, 60)]


def test_an_assistant_cannot_filter_by_spending(staff_assistant):
    red_amber_and_green_projects()

    response = staff_assistant.get(CHANGELIST, {"spent_total__gt": "1000"})

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_owner_can_filter_by_spending(owner_client):
    red_amber_and_green_projects()

    response = owner_client.get(CHANGELIST, {"spent_total__gt": "1100"})

    assert [project.title for project in response.context["cl"].result_list] == ["Red shop"]


# Actions ----------------------------------------------------------------------


def test_putting_on_hold_in_bulk(owner_client, owner):
    active, draft = ProjectFactory(title="A"), ProjectFactory(title="B", status=Project.Status.DRAFT)

    response = run_action(owner_client, "put_on_hold", [active, draft])

    for project in (active, draft):
        project.refresh_from_db()
        assert project.status == Project.Status.ON_HOLD
    assert active.history.first().history_user == owner
    assert messages_of(response) == ["Put on hold: A, B."]


def test_marking_complete_dates_the_completion_and_owes_the_review(owner_client):
    done = ProjectFactory(title="Checkout bug fixes")
    MilestoneFactory(project=done, status=Milestone.Status.APPROVED)
    CheckInFactory(project=done)  # planned for tomorrow: no longer needed

    response = run_action(owner_client, "mark_complete", [done])

    done.refresh_from_db()
    assert done.status == Project.Status.COMPLETED
    assert done.completed_on == timezone.localdate()
    assert list(Project.objects.reviews_owed()) == [done]
    assert not done.checkins.exists()
    (message,) = messages_of(response)
    assert message.startswith("Completed: Checkout bug fixes. Their reviews are owed")
    assert reverse("projects:reviews_owed") in message


def test_marking_complete_with_unfinished_milestones_is_refused_for_that_project_only(owner_client):
    done = ProjectFactory(title="Done")
    unfinished = ProjectFactory(title="Half done")
    MilestoneFactory(project=unfinished, title="Go-live", status=Milestone.Status.IN_PROGRESS)

    response = run_action(owner_client, "mark_complete", [done, unfinished])

    done.refresh_from_db()
    unfinished.refresh_from_db()
    assert done.status == Project.Status.COMPLETED
    assert unfinished.status == Project.Status.ACTIVE
    completed, refused = messages_of(response)
    assert completed.startswith("Completed: Done.")
    assert refused.startswith("Not completed: Half done (These milestones are not approved: “Go-live”.")


def test_shifting_milestones_first_asks_by_how_many_days(owner_client):
    project = ProjectFactory(title="Shopify store migration")
    milestone = MilestoneFactory(project=project, due_on=days(5))

    response = run_action(owner_client, "shift_milestones", [project])

    assert response.status_code == HTTPStatus.OK
    assert 'name="days"' in response.content.decode()
    assert "Shopify store migration" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.due_on == days(5)


def confirm_shift(client, projects, n):
    """Post the page asking for N, which leaves out "index" as the admin's confirmation pages do."""
    data = {"action": "shift_milestones", ACTION_CHECKBOX_NAME: [p.pk for p in projects], "apply": "1"}
    return client.post(CHANGELIST, {**data, "days": str(n)}, follow=True)


def test_shifting_moves_every_milestone_and_re_plans_the_check_ins(owner_client):
    project = ProjectFactory(due_on=days(20), schedule_buffer_days=3, checkin_every_days=30)
    first = MilestoneFactory(project=project, due_on=days(5))
    second = MilestoneFactory(project=project, due_on=days(10), status=Milestone.Status.APPROVED)

    response = confirm_shift(owner_client, [project], 7)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.due_on, second.due_on) == (days(12), days(17))
    # The check-in the day before the open milestone moved with it.
    planned = [timezone.localtime(c.scheduled_for).date() for c in project.checkins.all()]
    assert days(11) in planned
    assert days(4) not in planned
    assert messages_of(response) == [f"Milestones shifted by +7 day(s): {project.title}."]


def test_shifting_earlier_works_too(owner_client):
    project = ProjectFactory()
    milestone = MilestoneFactory(project=project, due_on=days(10))

    confirm_shift(owner_client, [project], -3)

    milestone.refresh_from_db()
    assert milestone.due_on == days(7)


def test_a_shift_past_the_due_date_plus_leeway_is_refused_per_project(owner_client):
    roomy = ProjectFactory(title="Roomy", due_on=days(30), schedule_buffer_days=3)
    tight = ProjectFactory(title="Tight", due_on=days(20), schedule_buffer_days=3)
    MilestoneFactory(project=roomy, due_on=days(10))
    go_live = MilestoneFactory(project=tight, title="Go-live", due_on=days(18))

    response = confirm_shift(owner_client, [roomy, tight], 10)

    go_live.refresh_from_db()
    assert go_live.due_on == days(18)
    assert roomy.milestones.get().due_on == days(20)
    shifted, refused = messages_of(response)
    assert shifted == "Milestones shifted by +10 day(s): Roomy."
    latest = days(23)
    assert refused == (
        f"Not shifted: Tight: “Go-live” (due {days(28):%d %b %Y}): This is after the project's due date "
        f"plus its leeway ({latest:%d %b %Y}). Move it earlier or give the project more time."
    )


def test_a_shift_of_zero_days_is_refused(owner_client):
    project = ProjectFactory()
    milestone = MilestoneFactory(project=project, due_on=days(10))

    response = confirm_shift(owner_client, [project], 0)

    assert "Shift by at least one day" in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.due_on == days(10)


# Saving a project goes through the services --------------------------------------


def project_form_data(client, url, **values):
    """What the change or add form posts, every inline empty."""
    page = client.get(url)
    data = {
        "title": "Shopify store migration",
        "brief": "",
        "status": Project.Status.ACTIVE,
        "start_on": days(0).isoformat(),
        "due_on": days(30).isoformat(),
        "schedule_buffer_days": "3",
        "budget": "400.00",
        "currency": "USD",
        "budget_buffer_percent": "10",
        "checkin_every_days": "7",
        **values,
    }
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_adding_a_project_starts_the_assignment_and_plans_the_check_ins(owner_client, owner):
    freelancer = FreelancerFactory()
    url = reverse("admin:projects_project_add")

    response = owner_client.post(url, project_form_data(owner_client, url, freelancer=freelancer.pk))

    assert response.status_code == HTTPStatus.FOUND
    project = Project.objects.get()
    assert project.owner == owner
    assert Assignment.objects.get(project=project).freelancer == freelancer
    assert project.checkins.exists()


def test_an_untested_freelancer_on_a_big_budget_needs_the_override_reason(owner_client):
    freelancer = FreelancerFactory()
    url = reverse("admin:projects_project_add")
    data = project_form_data(owner_client, url, freelancer=freelancer.pk, budget="5000.00")

    refused = owner_client.post(url, data)
    allowed = owner_client.post(url, {**data, "override_reason": "Referred by our accountant."})

    assert refused.status_code == HTTPStatus.OK
    assert "has no finished trial project" in refused.content.decode()
    assert allowed.status_code == HTTPStatus.FOUND
    assert Project.objects.get().trust_override_reason == "Referred by our accountant."


def test_a_do_not_hire_freelancer_is_refused(owner_client):
    freelancer = FreelancerFactory(do_not_hire=True, do_not_hire_reason="Leaked client files.")
    passed_trial(freelancer)
    url = reverse("admin:projects_project_add")

    response = owner_client.post(url, project_form_data(owner_client, url, freelancer=freelancer.pk))

    assert response.status_code == HTTPStatus.OK
    assert "is marked do-not-hire: Leaked client files." in response.content.decode()
    assert not Project.objects.filter(title="Shopify store migration").exists()


def test_a_milestone_after_the_due_date_plus_leeway_is_refused_in_the_inline(owner_client):
    project = ProjectFactory(due_on=days(20), schedule_buffer_days=3)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = project_form_data(owner_client, url, title=project.title, start_on=project.start_on.isoformat())
    data.update(
        {
            "due_on": days(20).isoformat(),
            "milestones-TOTAL_FORMS": "1",
            "milestones-0-title": "Go-live",
            "milestones-0-due_on": days(24).isoformat(),
            "milestones-0-amount": "100.00",
            "milestones-0-status": Milestone.Status.PLANNED,
            "milestones-0-order": "1",
        }
    )

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "after the project&#x27;s due date plus its leeway" in response.content.decode()
    assert not project.milestones.exists()


def test_a_payment_added_in_the_admin_records_who_added_it(owner_client, owner):
    project = ProjectFactory()

    response = owner_client.post(
        reverse("admin:projects_payment_add"),
        {"project": project.pk, "amount": "250.00", "paid_on": days(0).isoformat(), "note": "Deposit"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Payment.objects.get().recorded_by == owner


# What an Assistant may do ---------------------------------------------------------


def test_an_assistant_sees_no_payments_and_cannot_open_their_changelist(staff_assistant):
    project = ProjectFactory()
    PaymentFactory(project=project, note="Deposit for the theme")

    change = staff_assistant.get(reverse("admin:projects_project_change", args=[project.pk]))
    payments = staff_assistant.get(reverse("admin:projects_payment_changelist"))

    assert change.status_code == HTTPStatus.OK
    inline_models = [inline.opts.model for inline in change.context["inline_admin_formsets"]]
    assert Milestone in inline_models
    assert Payment not in inline_models
    assert "Deposit for the theme" not in change.content.decode()
    assert payments.status_code == HTTPStatus.FORBIDDEN


def test_the_owner_sees_the_payments_inline(owner_client):
    project = ProjectFactory()
    PaymentFactory(project=project, note="Deposit for the theme")

    change = owner_client.get(reverse("admin:projects_project_change", args=[project.pk]))

    assert Payment in [inline.opts.model for inline in change.context["inline_admin_formsets"]]
    assert "Deposit for the theme" in change.content.decode()


def test_an_assistant_cannot_change_the_budget(staff_assistant):
    project = ProjectFactory(budget=Decimal("1000.00"), budget_buffer_percent=Decimal("10"))
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = project_form_data(
        staff_assistant,
        url,
        title="Renamed by Sam",
        start_on=project.start_on.isoformat(),
        due_on=project.due_on.isoformat(),
        budget="9000.00",
        budget_buffer_percent="50",
    )

    page = staff_assistant.get(url)
    response = staff_assistant.post(url, data)

    assert "budget" not in page.context["adminform"].form.fields
    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.title == "Renamed by Sam"
    assert (project.budget, project.budget_buffer_percent) == (Decimal("1000.00"), Decimal("10.00"))


def test_the_owner_can_change_the_budget(owner_client):
    project = ProjectFactory(
        budget=Decimal("1000.00"), freelancer=passed_trial(FreelancerFactory()).freelancer
    )
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = project_form_data(
        owner_client,
        url,
        title=project.title,
        start_on=project.start_on.isoformat(),
        due_on=project.due_on.isoformat(),
        budget="1500.00",
    )

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.budget == Decimal("1500.00")


def test_an_assistant_can_neither_complete_nor_delete_projects(staff_assistant):
    ProjectFactory()

    response = staff_assistant.get(CHANGELIST)

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"put_on_hold", "shift_milestones"} <= set(actions)
    assert "mark_complete" not in actions
    assert "delete_selected" not in actions


# Milestones ----------------------------------------------------------------------


def test_a_milestone_status_is_changed_in_its_changelist(owner_client, owner):
    milestone = MilestoneFactory()

    response = owner_client.post(
        reverse("admin:milestones_milestone_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(milestone.pk),
            "form-0-status": Milestone.Status.APPROVED,
            "_save": "Save",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.APPROVED
    assert milestone.history.first().history_user == owner


def test_a_milestone_after_the_due_date_plus_leeway_is_refused_on_its_own_page(owner_client):
    project = ProjectFactory(due_on=days(20), schedule_buffer_days=3)

    response = owner_client.post(
        reverse("admin:milestones_milestone_add"),
        {
            "project": project.pk,
            "order": "1",
            "title": "Go-live",
            "due_on": days(24).isoformat(),
            "amount": "100.00",
            "status": Milestone.Status.PLANNED,
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "after the project&#x27;s due date plus its leeway" in response.content.decode()
    assert not Milestone.objects.exists()


def test_the_check_in_filter_tells_held_from_not_held(admin_client):
    held = CheckInFactory(held_on=days(-1), scheduled_for=timezone.now() - datetime.timedelta(days=1))
    CheckInFactory()

    response = admin_client.get(reverse("admin:milestones_checkin_changelist"), {"held": "yes"})

    assert list(response.context["cl"].result_list) == [held]


# Export ----------------------------------------------------------------------------


def export(client, page, resource):
    """Post the export form: CSV (the first format), every column ticked."""
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    return client.post(reverse(f"admin:{page}_export"), {"format": "0", "resource": "0", **fields})


def test_projects_export_to_csv_with_plain_money_and_iso_dates(owner_client):
    project = ProjectFactory(
        title="Shopify store migration",
        budget=Decimal("3200.00"),
        currency="EUR",
        due_on=datetime.date(2031, 3, 31),
        freelancer=FreelancerFactory(name="Kwame Mensah", email="kwame@example.com"),
    )
    PaymentFactory(project=project, amount=Decimal("3400.00"))

    response = export(owner_client, "projects_project", ProjectResource)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(row) == list(ProjectResource().get_export_order())
    assert row["title"] == "Shopify store migration"
    assert row["freelancer"] == "Kwame Mensah"
    assert row["freelancer_email"] == "kwame@example.com"
    assert (row["budget"], row["currency"], row["spent"]) == ("3200.00", "EUR", "3400.00")
    assert row["due_on"] == "2031-03-31"
    assert row["budget_health"] == "amber"
    assert row["status"] == "active"


def test_payments_export_to_csv_with_the_project_currency(owner_client):
    project = ProjectFactory(title="Bookkeeping", currency="GBP")
    milestone = MilestoneFactory(project=project, title="First quarter")
    PaymentFactory(
        project=project, milestone=milestone, amount=Decimal("1250.50"), paid_on=datetime.date(2025, 1, 9)
    )

    response = export(owner_client, "projects_payment", PaymentResource)

    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row == {
        "id": str(Payment.objects.get().pk),
        "project": "Bookkeeping",
        "paid_on": "2025-01-09",
        "currency": "GBP",
        "amount": "1250.50",
        "milestone": "First quarter",
        "note": "",
        "recorded_by": "",
    }


def test_milestones_export_to_csv(owner_client):
    MilestoneFactory(
        project=ProjectFactory(title="Shop", currency="USD"), title="Import", amount=Decimal("900")
    )

    response = export(owner_client, "milestones_milestone", MilestoneResource)

    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["project"], row["title"], row["currency"], row["amount"]) == (
        "Shop",
        "Import",
        "USD",
        "900.00",
    )


def test_an_assistant_cannot_export_payments(staff_assistant):
    response = staff_assistant.get(reverse("admin:projects_payment_export"))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_project_changelist_does_not_list_every_freelancer_as_a_filter(admin_client):
    for name in ("Ana Souza", "Kwame Mensah", "Priya Raman"):
        ProjectFactory(freelancer=FreelancerFactory(name=name))

    page = admin_client.get(reverse("admin:projects_project_changelist")).text
    found = admin_client.get(reverse("admin:projects_project_changelist"), {"q": "Kwame"})

    assert "freelancer__id__exact" not in page
    assert [project.freelancer.name for project in found.context["cl"].result_list] == ["Kwame Mensah"]
