"""The admin's inlines hold a bounded number of rows: a forged post with a thousand rows is
refused, and the backup rows pick a freelancer through a search box rather than a
drop-down of every freelancer."""

import datetime
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from common.admin_inlines import INLINE_MAX_ROWS
from freelancers.models import Freelancer
from freelancers.tests.factories import FreelancerFactory
from milestones.models import Milestone
from projects.models import Backup, Project
from projects.tests.factories import MilestoneFactory, ProjectFactory
from projects.tests.form_posts import form_on

pytestmark = pytest.mark.django_db

REFUSED = re.compile(r"At most \d+ rows? can be saved here\.")


@pytest.fixture
def project(owner):
    return ProjectFactory(owner=owner, freelancer=None, title="Shop rebuild")


@pytest.fixture
def ana():
    return FreelancerFactory(name="Ana Lima")


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def inline_prefixes(data):
    return sorted(name.removesuffix("-TOTAL_FORMS") for name in data if name.endswith("-TOTAL_FORMS"))


# A thousand rows in one post.


@pytest.mark.parametrize(
    "page, title_field, prefixes",
    [
        ("project", "title", ["assignments", "backups", "milestones", "payments"]),
        ("ana", "name", ["access_grants", "interviews", "references", "samples", "testimonials"]),
    ],
)
def test_a_forged_post_of_a_thousand_rows_in_any_inline_is_refused_and_saves_nothing(
    owner_client, request, page, title_field, prefixes
):
    obj = request.getfixturevalue(page)
    url = change_url(obj)
    page_data = form_on(owner_client.get(url).text, having=title_field)
    assert inline_prefixes(page_data) == prefixes  # every inline on the page is tried

    for prefix in prefixes:
        data = page_data.copy()
        data[title_field] = "Changed by a forged post"
        data[f"{prefix}-TOTAL_FORMS"] = "1000"

        response = owner_client.post(url, data)

        assert response.status_code == HTTPStatus.OK, prefix
        assert REFUSED.search(response.text), prefix
        obj.refresh_from_db()
        assert getattr(obj, title_field) != "Changed by a forged post", prefix


def new_milestone_rows(data, count, *, due_on):
    for index in range(count):
        row = f"milestones-{index}"
        data[f"{row}-project"] = data.get(f"{row}-project", "")
        data[f"{row}-order"] = str(index)
        data[f"{row}-title"] = f"Page {index}"
        data[f"{row}-due_on"] = due_on.isoformat()
        data[f"{row}-amount"] = "10.00"
        data[f"{row}-status"] = Milestone.Status.PLANNED
    data["milestones-TOTAL_FORMS"] = str(count)


def test_more_new_milestones_than_the_cap_in_one_post_are_refused_with_a_plain_error(owner_client, project):
    url = change_url(project)
    data = form_on(owner_client.get(url).text, having="title")
    new_milestone_rows(data, INLINE_MAX_ROWS + 1, due_on=project.due_on)

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert f"At most {INLINE_MAX_ROWS} rows can be saved here." in response.text
    assert not project.milestones.exists()


def test_as_many_new_milestones_as_the_cap_are_saved(owner_client, project):
    url = change_url(project)
    data = form_on(owner_client.get(url).text, having="title")
    new_milestone_rows(data, INLINE_MAX_ROWS, due_on=project.due_on)

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    assert project.milestones.count() == INLINE_MAX_ROWS


def test_a_project_with_more_milestones_than_the_cap_saved_before_can_still_be_edited(owner_client, project):
    MilestoneFactory.create_batch(INLINE_MAX_ROWS + 5, project=project)
    url = change_url(project)
    data = form_on(owner_client.get(url).text, having="title")
    data["title"] = "Shop rebuild, phase two"

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    project.refresh_from_db()
    assert project.title == "Shop rebuild, phase two"
    assert project.milestones.count() == INLINE_MAX_ROWS + 5


# The backup rows' freelancer: a search box.


def options_on(page):
    return page.count("<option")


def test_the_change_page_does_not_grow_with_the_number_of_freelancers(owner_client, project):
    for rank, freelancer in enumerate(FreelancerFactory.create_batch(3), start=1):
        Backup.objects.create(project=project, freelancer=freelancer, rank=rank)
    FreelancerFactory.create_batch(2)  # 5 freelancers
    with_5 = owner_client.get(change_url(project)).text

    FreelancerFactory.create_batch(45)  # 50 freelancers
    with_50 = owner_client.get(change_url(project)).text

    assert options_on(with_50) == options_on(with_5)
    assert len(with_50) == len(with_5)
    assert 'data-ajax--url="/admin/autocomplete/"' in with_50


def autocomplete(client, term):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "projects", "model_name": "backup", "field_name": "freelancer", "term": term},
    )
    assert response.status_code == HTTPStatus.OK
    return sorted(result["text"] for result in response.json()["results"])


def test_the_backup_search_offers_only_freelancers_the_inline_accepts(owner_client, ana):
    FreelancerFactory(name="Ana Archived", archived_at=timezone.now())
    FreelancerFactory(name="Ana Unwelcome", do_not_hire=True, do_not_hire_reason="Billed idle hours.")

    assert autocomplete(owner_client, "Ana") == ["Ana Lima"]


def test_a_backup_picked_through_the_search_box_is_saved(owner_client, project, ana):
    url = change_url(project)
    data = form_on(owner_client.get(url).text, having="title")
    data["backups-TOTAL_FORMS"] = "1"
    data["backups-0-rank"] = "1"
    data["backups-0-freelancer"] = str(ana.pk)
    data["backups-0-last_confirmed_on"] = datetime.date(2025, 6, 1).isoformat()

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    assert list(project.backups.values_list("freelancer__name", flat=True)) == ["Ana Lima"]


def test_an_archived_freelancer_posted_as_a_backup_is_refused(owner_client, project, ana):
    ana.archived_at = timezone.now()
    ana.save()
    url = change_url(project)
    data = form_on(owner_client.get(url).text, having="title")
    data["backups-TOTAL_FORMS"] = "1"
    data["backups-0-rank"] = "1"
    data["backups-0-freelancer"] = str(ana.pk)

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert not Backup.objects.exists()
    assert Freelancer.objects.filter(pk=ana.pk).exists()
    assert Project.objects.get(pk=project.pk).title == "Shop rebuild"
