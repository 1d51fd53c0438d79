"""The dashboard shows each panel only to those who may open the pages behind it."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from freelancers.models import Freelancer
from freelancers.tests.factories import FreelancerFactory
from projects.tests.factories import CheckInFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


@pytest.fixture
def business():
    """A project in trouble with its freelancer, spending and an update, and a freelancer in vetting."""
    project = ProjectFactory(
        title="Secret relaunch", freelancer__name="Priya Patel", budget=Decimal("1000.00")
    )
    PaymentFactory(project=project, amount=Decimal("1234.00"))
    CheckInFactory(project=project, freelancer_progress="Drafts done", freelancer_updated_at=timezone.now())
    FreelancerFactory(name="Vera Vetting", status=Freelancer.Status.VETTING)
    return project


def grant(user, *codenames):
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))


def test_a_user_without_a_role_sees_no_business_and_is_told_to_ask_for_access(
    client, outsider, business, django_assert_num_queries
):
    client.force_login(outsider)

    # session, user, the user's permissions, their groups' permissions: no panel runs a query.
    with django_assert_num_queries(4):
        response = client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.OK
    assert "Ask the owner for access" in response.text
    for secret in ("Secret relaunch", "Priya Patel", "Vera Vetting", "Drafts done", "1234", "105%"):
        assert secret not in response.text
    assert client.get(reverse("projects:list")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("freelancers:list")).status_code == HTTPStatus.FORBIDDEN


def test_who_may_see_freelancers_only_gets_the_freelancer_panels(client, outsider, business):
    grant(outsider, "freelancers.view_freelancer")
    client.force_login(outsider)

    response = client.get(DASHBOARD)

    assert "Vera Vetting" in response.text
    assert "Secret relaunch" not in response.text and "Drafts done" not in response.text
    assert "Ask the owner for access" not in response.text
    assert "attention" not in response.context and "updates" not in response.context


def test_who_may_see_projects_only_gets_the_project_panels(client, outsider, business):
    grant(outsider, "projects.view_project")
    client.force_login(outsider)

    response = client.get(DASHBOARD)

    assert "Secret relaunch" in response.text
    assert "Vera Vetting" not in response.text
    # The freelancers' updates are check-ins, which need their own permission.
    assert "Drafts done" not in response.text
    assert "stages" not in response.context and "bench" not in response.context


def test_the_assistant_still_sees_projects_freelancers_and_updates(assistant_client, business):
    response = assistant_client.get(DASHBOARD)

    for shown in ("Secret relaunch", "Vera Vetting", "Drafts done"):
        assert shown in response.text
    assert "Ask the owner for access" not in response.text
