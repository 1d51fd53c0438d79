"""The project list, page and forms, with the bad input the owner can type."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory, vetted_freelancer
from milestones.models import Milestone
from projects.models import Project
from projects.tests.factories import (
    AssignmentFactory,
    BackupFactory,
    CheckInFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def project_data(**overrides):
    data = {
        "title": "Shop relaunch",
        "status": "draft",
        "start_on": TODAY.isoformat(),
        "due_on": (TODAY + 30 * DAY).isoformat(),
        "schedule_buffer_days": "3",
        "budget": "1000.00",
        "currency": "USD",
        "budget_buffer_percent": "10",
        "checkin_every_days": "7",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Landing page",
        "milestones-0-due_on": (TODAY + 20 * DAY).isoformat(),
        "milestones-0-amount": "400",
        "milestones-0-status": "planned",
        "milestones-0-order": "1",
    }
    data.update(overrides)
    return data


def create(client, **overrides):
    return client.post(reverse("projects:create"), project_data(**overrides))


def test_creating_a_project_with_a_milestone(owner_client, owner):
    freelancer = vetted_freelancer()

    response = create(owner_client, freelancer=freelancer.pk, status="active")

    project = Project.objects.get(title="Shop relaunch")
    assert response.status_code == HTTPStatus.FOUND
    assert project.owner == owner
    assert project.milestones.get().title == "Landing page"
    assert project.assignments.get().freelancer == freelancer
    assert project.checkins.exists()  # active projects get their check-ins planned


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", "-1", "The budget cannot be negative."),
        ("budget", "a lot", "Enter a number."),
        ("budget_buffer_percent", "150", "The contingency is a percentage from 0 to 100."),
        ("due_on", (TODAY - DAY).isoformat(), "The due date cannot be before the start."),
    ],
)
def test_bad_project_input_is_refused_beside_the_field(owner_client, field, value, message):
    response = create(owner_client, **{field: value})

    assert response.status_code == HTTPStatus.OK
    assert message in response.context["form"].errors[field]
    assert not Project.objects.exists()


def test_a_negative_milestone_amount_is_refused(owner_client):
    response = create(owner_client, **{"milestones-0-amount": "-5"})

    assert "The amount cannot be negative." in response.context["formset"].forms[0].errors["amount"]
    assert not Project.objects.exists()


def test_a_milestone_due_after_the_due_date_plus_leeway_is_refused(owner_client):
    response = create(owner_client, **{"milestones-0-due_on": (TODAY + 34 * DAY).isoformat()})

    errors = response.context["formset"].forms[0].errors["due_on"]
    assert "after the project's due date plus its leeway" in errors[0]
    assert not Project.objects.exists()


def test_a_milestone_on_the_last_day_of_the_leeway_is_accepted(owner_client):
    response = create(owner_client, **{"milestones-0-due_on": (TODAY + 33 * DAY).isoformat()})

    assert response.status_code == HTTPStatus.FOUND


def test_milestones_beyond_budget_and_contingency_need_a_confirmation(owner_client):
    over = {"milestones-0-amount": "1100.01"}

    refused = create(owner_client, **over)
    assert "Tick this box to save anyway" in refused.context["form"].errors["confirm_over_budget"][0]
    assert "USD 1,100.01" in refused.text
    assert not Project.objects.exists()

    accepted = create(owner_client, confirm_over_budget="on", **over)
    assert accepted.status_code == HTTPStatus.FOUND
    assert Project.objects.get().committed == Decimal("1100.01")


def test_a_do_not_hire_freelancer_is_refused_beside_the_field(owner_client):
    banned = FreelancerFactory(do_not_hire=True, do_not_hire_reason="Leaked client files")

    response = create(owner_client, freelancer=banned.pk, trust_override="on", override_reason="Need them")

    assert "is marked do-not-hire" in response.context["form"].errors["freelancer"][0]
    assert not Project.objects.exists()


def test_an_untested_freelancer_on_a_big_budget_needs_the_override(owner_client, owner):
    untested = FreelancerFactory()

    refused = create(owner_client, freelancer=untested.pk)
    assert "no finished trial project" in refused.context["form"].errors["freelancer"][0]
    assert "USD 500.00" in refused.context["form"].errors["freelancer"][0]
    assert not Project.objects.exists()

    no_reason = create(owner_client, freelancer=untested.pk, trust_override="on")
    assert no_reason.context["form"].errors["override_reason"] == ["Say why you override the trial rule."]

    accepted = create(
        owner_client, freelancer=untested.pk, trust_override="on", override_reason="Known agency"
    )
    assert accepted.status_code == HTTPStatus.FOUND
    project = Project.objects.get()
    assert project.trust_override_reason == "Known agency"
    assert project.trust_override_by == owner
    assert "Trial rule overridden" in owner_client.get(project.get_absolute_url()).text


def test_the_trial_rule_names_no_amount_to_an_assistant(assistant_client):
    untested = FreelancerFactory(name="Ana Silva")

    refused = create(assistant_client, freelancer=untested.pk)

    problem = refused.context["form"].errors["freelancer"][0]
    assert problem == (
        "Ana Silva has no finished trial project, and this budget is above the trial limit. "
        "Start with a small trial job, or tick the override and say why."
    )
    assert "500" not in refused.text
    assert not Project.objects.exists()


def test_an_untested_freelancer_on_a_small_budget_needs_no_override(owner_client):
    response = create(owner_client, freelancer=FreelancerFactory().pk, budget="500.00")

    assert response.status_code == HTTPStatus.FOUND


def test_the_assistant_cannot_change_the_budget(assistant_client):
    project = ProjectFactory(freelancer=vetted_freelancer(), budget=Decimal("1000.00"))
    data = project_data(
        title="Renamed",
        status="active",
        freelancer=project.freelancer.pk,
        budget="9999",
        budget_buffer_percent="50",
        **{"milestones-TOTAL_FORMS": "0"},
    )

    response = assistant_client.post(reverse("projects:edit", args=[project.pk]), data)

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.title == "Renamed"
    assert project.budget == Decimal("1000.00")
    assert project.budget_buffer_percent == Decimal("10")


def test_the_assistant_sees_no_payment_and_cannot_record_one(assistant_client):
    project = ProjectFactory()
    PaymentFactory(project=project, amount=Decimal("777.00"))

    page = assistant_client.get(project.get_absolute_url())
    assert page.status_code == HTTPStatus.OK
    assert "777" not in page.text
    assert "Payments" not in page.text
    response = assistant_client.post(reverse("projects:payment_create", args=[project.pk]), {"amount": "5"})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_the_assistant_moves_a_milestone(assistant_client):
    milestone = MilestoneFactory()

    assistant_client.post(
        reverse("projects:milestone_status", args=[milestone.project.pk, milestone.pk]),
        {"status": "submitted"},
    )

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED


def test_recording_a_payment_into_the_contingency_turns_the_budget_amber(owner_client):
    project = ProjectFactory(budget=Decimal("1000.00"), budget_buffer_percent=Decimal("10"))

    owner_client.post(
        reverse("projects:payment_create", args=[project.pk]), {"amount": "1050", "paid_on": TODAY}
    )

    page = owner_client.get(project.get_absolute_url()).text
    assert "Budget: At risk" in page
    assert "spent 105% of budget, 50% of contingency left" in page


@pytest.mark.parametrize("amount", ["0", "-3", "lots"])
def test_a_bad_payment_is_refused_and_nothing_saved(owner_client, amount):
    project = ProjectFactory()

    response = owner_client.post(reverse("projects:payment_create", args=[project.pk]), {"amount": amount})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["forms"]["payment"].errors["amount"]
    assert not project.payments.exists()


def test_replacing_the_freelancer_keeps_milestones_and_payments(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    AssignmentFactory(project=project)
    MilestoneFactory(project=project)
    PaymentFactory(project=project)
    newcomer = vetted_freelancer()

    response = owner_client.post(
        reverse("projects:replace", args=[project.pk]), {"freelancer": newcomer.pk, "reason": "Moved abroad"}
    )

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.freelancer == newcomer
    assert project.milestones.count() == 1
    assert project.payments.count() == 1
    ended = project.assignments.get(ended_on__isnull=False)
    assert ended.end_reason == "Moved abroad"


def test_replacing_with_a_do_not_hire_freelancer_is_refused(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    banned = FreelancerFactory(do_not_hire=True, do_not_hire_reason="No-show")

    response = owner_client.post(
        reverse("projects:replace", args=[project.pk]), {"freelancer": banned.pk, "reason": "Try again"}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["freelancer"]
    project.refresh_from_db()
    assert project.freelancer != banned


def complete(client, project, **overrides):
    data = {
        "quality": "2",
        "communication": "2",
        "timeliness": "1",
        "budget": "2",
        "would_rehire": "no",
        "do_differently": "Missed every deadline",
        **overrides,
    }
    return client.post(reverse("projects:complete", args=[project.pk]), data)


def test_completing_with_unfinished_milestones_needs_a_note(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    MilestoneFactory(project=project, title="Checkout page")

    refused = complete(owner_client, project)
    assert "“Checkout page”" in refused.context["form"].errors["unfinished_note"][0]
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert not project.reviews.exists()

    accepted = complete(owner_client, project, unfinished_note="Client dropped the checkout")
    assert accepted.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.completion_note == "Client dropped the checkout"


def test_would_not_rehire_marks_the_freelancer_do_not_hire_when_asked(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())

    complete(owner_client, project, mark_do_not_hire="on")

    project.freelancer.refresh_from_db()
    assert project.freelancer.do_not_hire
    assert "Missed every deadline" in project.freelancer.do_not_hire_reason


def test_a_completed_project_without_review_is_owed_until_reviewed(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer(), status=Project.Status.COMPLETED)

    assert list(owner_client.get(reverse("projects:reviews_owed")).context["projects"]) == [project]
    complete(owner_client, project, would_rehire="yes")
    assert not owner_client.get(reverse("projects:reviews_owed")).context["projects"]


def test_the_list_filters_by_health(owner_client):
    ProjectFactory(title="Calm project")
    PaymentFactory(project=ProjectFactory(title="Burning project"), amount=Decimal("5000"))

    # The table, not the portfolio above it (which plots every active project).
    page = owner_client.get(reverse("projects:list"), {"health": "red"}).text
    red = page.split('<table class="table', 1)[1]
    assert "Burning project" in red
    assert "Calm project" not in red


def test_the_list_finds_projects_by_part_of_the_freelancers_name(owner_client):
    ProjectFactory(title="Ana's shop", freelancer=FreelancerFactory(name="Ana Souza"))
    ProjectFactory(title="Kwame's blog", freelancer=FreelancerFactory(name="Kwame Mensah"))

    response = owner_client.get(reverse("projects:list"), {"freelancer": " souza "})

    assert [project.title for project in response.context["page"]] == ["Ana's shop"]


def test_an_invalid_list_filter_is_reported_not_a_500(owner_client):
    response = owner_client.get(reverse("projects:list"), {"health": "purple", "freelancer": "x" * 121})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors


def fill(count):
    for _ in range(count):
        project = ProjectFactory()
        MilestoneFactory(project=project)
        PaymentFactory(project=project)
        CheckInFactory(project=project)
        BackupFactory(project=project)


@pytest.mark.parametrize("count", [2, 30])
def test_the_project_list_runs_a_fixed_number_of_queries(owner_client, django_assert_num_queries, count):
    fill(count)

    # session, user, user permissions, group permissions, the count for the
    # paginator, the ids of one page, those projects with freelancer, owner and
    # health annotated, and the active projects' spending for the portfolio, and their
    # milestones for its cost against schedule performance.
    with django_assert_num_queries(9):
        response = owner_client.get(reverse("projects:list"))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("count", [1, 10])
def test_the_project_page_runs_a_fixed_number_of_queries(owner_client, django_assert_num_queries, count):
    project = ProjectFactory(freelancer=vetted_freelancer())
    for _ in range(count):
        MilestoneFactory(project=project)
        PaymentFactory(project=project)
        CheckInFactory(project=project)
        BackupFactory(project=project)
        AssignmentFactory(project=project, ended_on=TODAY)

    with django_assert_num_queries(QUERIES_ON_PROJECT_PAGE):
        response = owner_client.get(project.get_absolute_url())
    assert response.status_code == HTTPStatus.OK


# session, user, user permissions, group permissions; the project with
# freelancer and owner, its milestones, its payments; the counts of payments,
# held and planned check-ins and one page of each (payments with their
# milestones); the next check-in; the project's skills (for backup
# suggestions); the milestones for the payment form; assignments; backups;
# reviews; history; the newest deliverables with their count; the shares declared of its
# milestones (the forecast). The backup form's freelancer is typed, not picked from all of them.
QUERIES_ON_PROJECT_PAGE = 21


def test_the_project_page_shows_a_page_of_check_ins_and_payments_with_the_rest_a_click_away(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    planned = [
        CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(days=n + 1))
        for n in range(25)
    ]
    for n in range(12):
        PaymentFactory(project=project, amount=Decimal("1.00"), note=f"Invoice {n}")

    first = owner_client.get(project.get_absolute_url())
    last = owner_client.get(project.get_absolute_url(), {"planned_page": 3})

    assert [c.pk for c in first.context["planned_checkins"]["page"]] == [c.pk for c in planned[:10]]
    assert [c.pk for c in last.context["planned_checkins"]["page"]] == [c.pk for c in planned[20:]]
    assert first.context["payments"]["page"].paginator.count == 12
    assert len(first.context["payments"]["page"]) == 10
    assert first.context["next_checkin"] == planned[0]
    assert "?planned_page=2#checkins" in first.content.decode()


def test_the_project_page_shows_who_changed_the_budget_from_what_to_what(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer(), budget=Decimal("1000.00"))
    data = project_data(
        status="active", freelancer=project.freelancer.pk, budget="1200.00", **{"milestones-TOTAL_FORMS": "0"}
    )

    owner_client.post(reverse("projects:edit", args=[project.pk]), data)
    page = owner_client.get(project.get_absolute_url()).text

    assert "Budget: 1000.00 → 1200.00" in page
    assert "Changed by olivia" in page


def test_archiving_a_project_hides_it_and_can_be_undone(owner_client):
    project = ProjectFactory(title="Old campaign")
    url = reverse("projects:archive", args=[project.pk])

    owner_client.post(url)
    project.refresh_from_db()
    assert project.archived_at is not None
    assert not project.checkins.planned().exists()
    listed = owner_client.get(reverse("projects:list")).context["page"].object_list
    assert project not in listed
    archived = owner_client.get(reverse("projects:list"), {"archived": "on"}).context["page"].object_list
    assert project in archived

    owner_client.post(url, {"restore": "1"})
    project.refresh_from_db()
    assert project.archived_at is None


def test_the_assistant_cannot_archive_a_project(assistant_client):
    project = ProjectFactory()

    response = assistant_client.post(reverse("projects:archive", args=[project.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    project.refresh_from_db()
    assert project.archived_at is None
