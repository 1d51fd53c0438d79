"""Input no person types, sent anyway: each gets a 400 or a plain error beside the field,
never a 500, and changes nothing."""

import datetime
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory, vetted_freelancer
from milestones.forms import MAX_MILESTONES
from outsourcing.tests.logins import Client
from projects.models import Backup, Project
from projects.tests.factories import BackupFactory, MilestoneFactory, ProjectFactory
from projects.tests.test_project_pages import project_data as valid_project_data

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
HUGE_YEAR = "99999999999999999999999"


def changelist_urls():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@pytest.fixture
def owner_admin(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


# NUL characters


def test_a_nul_in_the_calendar_feeds_address_is_a_bad_request(anonymous):
    assert anonymous.get("/calendar/%00.ics").status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("query", ["?q=%00", "?name=%00", "?status=%00"])
def test_a_nul_in_a_query_is_a_bad_request_on_every_admin_list(owner_admin, query):
    statuses = {url: owner_admin.get(url + query).status_code for url in changelist_urls()}

    assert set(statuses.values()) == {HTTPStatus.BAD_REQUEST}, statuses


def test_a_nul_in_a_query_is_a_bad_request_on_the_apps_own_lists(owner_admin):
    for url in [reverse("freelancers:list"), reverse("projects:list"), reverse("milestones:checkins")]:
        assert owner_admin.get(url, {"q": "\x00"}).status_code == HTTPStatus.BAD_REQUEST, url


def test_a_nul_in_a_posted_form_is_a_bad_request_and_saves_nothing(owner_admin):
    response = owner_admin.post(reverse("projects:create"), project_data(title="Shop\x00relaunch"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Project.objects.exists()


def test_a_nul_in_the_session_cookie_is_a_bad_request(anonymous):
    anonymous.cookies["sessionid"] = "\x00" * 32

    assert anonymous.get(reverse("login")).status_code == HTTPStatus.BAD_REQUEST


# Admin date filters and autocomplete fields


def admins_with(attribute):
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if getattr(model_admin, attribute)
    ]


@pytest.mark.parametrize(
    "drill_down",
    [
        {"year": HUGE_YEAR},
        {"year": "9999", "month": "12"},
        {"year": "2020", "month": HUGE_YEAR},
        {"year": "0"},
    ],
)
def test_a_date_drill_down_out_of_range_is_a_bad_request_on_every_admin_list(owner_admin, drill_down):
    lists = admins_with("date_hierarchy")
    assert lists, "some admin lists have a date drill-down"
    for model, model_admin in lists:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        query = {f"{model_admin.date_hierarchy}__{part}": value for part, value in drill_down.items()}

        assert owner_admin.get(url, query).status_code == HTTPStatus.BAD_REQUEST, url


def test_a_due_date_filter_with_a_huge_year_is_refused(owner_admin):
    url = reverse("admin:milestones_milestone_changelist")

    response = owner_admin.get(url, {"due_on__gte": HUGE_YEAR})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.endswith("?e=1")


def test_a_non_numeric_id_in_any_admin_autocomplete_field_is_an_error_beside_it(owner_admin):
    forms = admins_with("autocomplete_fields")
    assert forms, "some admin forms have autocomplete fields"
    for model, model_admin in forms:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        before = model.objects.count()
        posted = dict.fromkeys(model_admin.autocomplete_fields, "abc")

        response = owner_admin.post(url, posted)

        assert response.status_code == HTTPStatus.OK, (url, response.status_code)
        errors = response.context["adminform"].form.errors
        for name in model_admin.autocomplete_fields:
            assert name in errors, (url, name)
        assert model.objects.count() == before


# Dates at the ends of the calendar


def project_data(**overrides):
    """The project page tests' form data, for an active project."""
    return valid_project_data(**{"status": "active", **overrides})


OUT_OF_RANGE = "Enter a date between 1900 and 2199."


def test_a_due_date_at_the_end_of_the_calendar_is_an_error_beside_it(owner_client):
    response = owner_client.post(
        reverse("projects:create"), project_data(freelancer=vetted_freelancer().pk, due_on="9999-12-31")
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["due_on"] == [OUT_OF_RANGE]
    assert not Project.objects.filter(title="Shop relaunch").exists()


def test_a_milestone_at_the_start_of_the_calendar_is_an_error_beside_it(owner_client):
    response = owner_client.post(
        reverse("projects:create"),
        project_data(freelancer=vetted_freelancer().pk, **{"milestones-0-due_on": "0001-01-01"}),
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["formset"].forms[0].errors["due_on"] == [OUT_OF_RANGE]
    assert not Project.objects.filter(title="Shop relaunch").exists()


def test_moving_a_milestone_of_an_active_project_to_the_start_of_the_calendar_changes_nothing(
    owner_client, owner
):
    project = ProjectFactory(owner=owner, status=Project.Status.ACTIVE)
    milestone = MilestoneFactory(project=project, due_on=TODAY + 5 * DAY)
    data = project_data(
        title=project.title,
        freelancer=project.freelancer_id,
        start_on=project.start_on.isoformat(),
        due_on=project.due_on.isoformat(),
        **{
            "milestones-INITIAL_FORMS": "1",
            "milestones-0-id": milestone.pk,
            "milestones-0-project": project.pk,
            "milestones-0-title": milestone.title,
            "milestones-0-due_on": "0001-01-01",
            "milestones-0-amount": "100",
        },
    )

    response = owner_client.post(reverse("projects:edit", args=[project.pk]), data)

    assert response.status_code == HTTPStatus.OK
    assert response.context["formset"].forms[0].errors["due_on"] == [OUT_OF_RANGE]
    milestone.refresh_from_db()
    assert milestone.due_on == TODAY + 5 * DAY


def test_a_forged_milestone_row_count_is_an_error_and_builds_no_more_rows_than_a_project_has(owner_client):
    data = project_data(freelancer=vetted_freelancer().pk, **{"milestones-TOTAL_FORMS": "1000000"})

    response = owner_client.post(reverse("projects:create"), data)

    assert response.status_code == HTTPStatus.OK
    formset = response.context["formset"]
    assert formset.non_form_errors() == [f"A project has at most {MAX_MILESTONES} milestones."]
    assert len(formset.forms) == MAX_MILESTONES
    assert not Project.objects.filter(title="Shop relaunch").exists()


# A backup added twice


def test_adding_the_same_backup_twice_is_an_error_beside_the_freelancer(owner_client, owner):
    project = ProjectFactory(owner=owner)
    backup = BackupFactory(project=project, freelancer=FreelancerFactory(name="Bea Costa"))

    response = owner_client.post(
        reverse("projects:backup_create", args=[project.pk]),
        {"freelancer": backup.freelancer_id, "rank": "2"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["forms"]["backup"].errors["freelancer"] == [
        "This freelancer is already a backup on this project."
    ]
    assert Backup.objects.filter(project=project).count() == 1


# Logging in with a username longer than any account's


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_a_300_character_username_is_an_error_beside_it(anonymous, url_name):
    response = anonymous.post(reverse(url_name), {"username": "u" * 300, "password": "whatever-it-is"})

    assert response.status_code == HTTPStatus.OK
    assert "at most 150 characters" in response.context["form"].errors["username"][0]
    assert not AccessAttempt.objects.exists()
