"""Every way to write goes through the same permissions and steps as the obvious form:
the admin's history revert, a milestone's delete box, a status with its own step."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from freelancers import services as freelancer_services
from freelancers.models import Freelancer
from freelancers.tests.factories import FreelancerFactory, vetted_freelancer
from milestones import project_services
from milestones.models import CheckIn, Milestone
from outsourcing.tests.posts import formset_data, post_data
from projects.models import Project
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def staff_assistant(assistant):
    """An Assistant let into the admin: staff status without the Owner's permissions."""
    assistant.is_staff = True
    assistant.save()
    return assistant


def as_user(client, user):
    client.force_login(user)
    return client


# The history revert ---------------------------------------------------------------


def revert_url(instance, record):
    opts = instance._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[instance.pk, record.pk])


def post_revert(client, instance, record):
    """Open an old version in the admin's history and post its form as the Revert button did."""
    page = client.get(revert_url(instance, record))
    assert page.status_code == HTTPStatus.OK
    form = page.context["adminform"].form
    return client.post(revert_url(instance, record), post_data(form, _save="Revert"), follow=True)


def assert_revert_refused(response, instance):
    """Back on the history page, told why, rather than a saved old version or a server error."""
    opts = instance._meta
    history_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[instance.pk])
    assert response.redirect_chain == [(history_url, HTTPStatus.FOUND)]
    assert response.status_code == HTTPStatus.OK
    assert "reverting to one is off" in response.text


def project_with_raised_budget(owner):
    """A project the owner created at 10,000.00 and then raised to 12,345.00."""
    project = project_services.create_project(
        project=ProjectFactory.build(
            owner=owner, freelancer=vetted_freelancer(), status=Project.Status.DRAFT, budget=Decimal("10000")
        ),
        by=owner,
    )
    project.budget = Decimal("12345.00")
    project_services.update_project(project=project, by=owner)
    return project


@pytest.mark.parametrize("role", ["owner", "staff_assistant"])
def test_reverting_a_project_to_an_older_budget_changes_nothing(client, owner, role, request):
    project = project_with_raised_budget(owner)
    older = project.history.order_by("history_date").first()
    assert older.budget == Decimal("10000.00")

    response = post_revert(as_user(client, request.getfixturevalue(role)), project, older)

    assert_revert_refused(response, project)
    project.refresh_from_db()
    assert project.budget == Decimal("12345.00")


def test_the_history_of_a_project_stays_readable_without_a_revert_button(owner_client, owner):
    project = project_with_raised_budget(owner)
    older = project.history.order_by("history_date").first()

    history = owner_client.get(reverse("admin:projects_project_history", args=[project.pk]))
    version = owner_client.get(revert_url(project, older))

    assert history.status_code == HTTPStatus.OK
    assert version.status_code == HTTPStatus.OK
    assert 'value="Revert"' not in version.text
    assert "10000.00" in version.text


@pytest.mark.parametrize("role", ["owner", "staff_assistant"])
def test_reverting_to_before_a_trial_rule_override_changes_nothing(client, owner, role, request, settings):
    settings.TRIAL_BUDGET_LIMIT = 500
    project = project_services.create_project(
        project=ProjectFactory.build(owner=owner, freelancer=None, budget=Decimal("2000.00")), by=owner
    )
    before_override = project.history.first()
    project.freelancer = FreelancerFactory(name="Untested Uma")
    project_services.update_project(project=project, by=owner, override_reason="Known from a friend's shop")

    response = post_revert(as_user(client, request.getfixturevalue(role)), project, before_override)

    assert_revert_refused(response, project)
    project.refresh_from_db()
    assert project.freelancer.name == "Untested Uma"
    assert project.trust_override_reason == "Known from a friend's shop"


@pytest.mark.parametrize("role", ["owner", "staff_assistant"])
def test_reverting_a_freelancer_to_an_archived_version_changes_nothing(client, owner, role, request):
    freelancer = FreelancerFactory()
    freelancer_services.archive_freelancer(freelancer=freelancer, by=owner)
    archived = freelancer.history.first()
    freelancer_services.restore_freelancer(freelancer=freelancer, by=owner)

    response = post_revert(as_user(client, request.getfixturevalue(role)), freelancer, archived)

    assert_revert_refused(response, freelancer)
    freelancer.refresh_from_db()
    assert freelancer.archived_at is None
    assert Freelancer.objects.active().filter(pk=freelancer.pk).exists()


def test_reverting_a_milestone_changes_nothing(owner_client, owner):
    milestone = MilestoneFactory(title="Homepage draft")
    milestone.title = "Homepage, final"
    milestone.save()
    first = milestone.history.order_by("history_date").first()

    response = post_revert(owner_client, milestone, first)

    assert_revert_refused(response, milestone)
    milestone.refresh_from_db()
    assert milestone.title == "Homepage, final"


# The project edit form ----------------------------------------------------------


def edit_url(project):
    return reverse("projects:edit", args=[project.pk])


def edit_post(client, project, **overrides):
    """The edit page posted as shown, with `overrides` typed in."""
    page = client.get(edit_url(project))
    form, formset = page.context["form"], page.context["formset"]
    data = {**post_data(form), **formset_data(formset)}
    data.update(overrides)
    return client.post(edit_url(project), data)


def test_a_forged_delete_box_from_an_assistant_removes_no_milestone(assistant_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    milestone = MilestoneFactory(project=project, title="Homepage draft")

    response = edit_post(assistant_client, project, **{"milestones-0-DELETE": "on"})

    assert response.status_code == HTTPStatus.FOUND
    assert Milestone.objects.filter(pk=milestone.pk).exists()


def test_the_assistant_is_not_offered_a_delete_box(assistant_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    MilestoneFactory(project=project)

    page = assistant_client.get(edit_url(project))

    assert "milestones-0-DELETE" not in page.text


def test_the_owner_still_removes_a_milestone_and_no_check_in_is_planned_for_it(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())
    milestone = MilestoneFactory(project=project)

    response = edit_post(owner_client, project, **{"milestones-0-DELETE": "on"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Milestone.objects.filter(pk=milestone.pk).exists()
    assert not CheckIn.objects.filter(milestone_id=milestone.pk).exists()
    assert CheckIn.objects.filter(project=project).exists()


@pytest.mark.parametrize("client_fixture", ["owner_client", "assistant_client"])
def test_the_edit_form_refuses_completing_beside_the_status(client_fixture, request):
    client = request.getfixturevalue(client_fixture)
    project = ProjectFactory(freelancer=vetted_freelancer())

    response = edit_post(client, project, status="completed")

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors["status"]
    assert "completion page" in " ".join(errors)
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert project.completed_on is None


def test_the_edit_form_offers_only_the_statuses_it_may_set(owner_client):
    project = ProjectFactory(freelancer=vetted_freelancer())

    form = owner_client.get(edit_url(project)).context["form"]

    offered = [value for value, _ in form.fields["status"].choices]
    assert Project.Status.COMPLETED not in offered
    assert Project.Status.ON_HOLD in offered


def test_a_completed_project_can_still_be_edited(owner_client):
    project = ProjectFactory(
        freelancer=vetted_freelancer(), status=Project.Status.COMPLETED, completed_on=TODAY
    )

    response = edit_post(owner_client, project, title="Shop relaunch, done")

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert (project.title, project.status) == ("Shop relaunch, done", Project.Status.COMPLETED)


def test_a_new_project_cannot_start_completed(owner_client):
    response = owner_client.get(reverse("projects:create"))

    offered = [value for value, _ in response.context["form"].fields["status"].choices]
    assert Project.Status.COMPLETED not in offered
