""" "Recent changes" on a project or freelancer page says what changed, in words, for every entry."""

import datetime
from http import HTTPStatus

import pytest
from django.forms.formsets import BaseFormSet
from django.urls import reverse
from django.utils import timezone

from common.history import recent_changes
from freelancers.tests.factories import FreelancerFactory, SkillFactory, vetted_freelancer
from milestones import project_services
from milestones.models import Milestone
from projects import services
from projects.models import Project
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def as_posted(*forms):
    """The data a browser posts for these unchanged forms and formsets."""
    data = {}
    for form in forms:
        if isinstance(form, BaseFormSet):
            data.update(as_posted(form.management_form, *form.forms))
            continue
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            else:
                data[field.html_name] = str(value)
    return data


def edit_project(client, project, **changes):
    url = reverse("projects:edit", args=[project.pk])
    page = client.get(url)
    data = {**as_posted(page.context["form"], page.context["formset"]), **changes}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    return response


def edit_in_admin(client, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    formsets = [inline.formset for inline in page.context["inline_admin_formsets"]]
    data = {**as_posted(page.context["adminform"].form, *formsets), **changes, "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    return response


def words(instance):
    """Each entry of the history as the page shows it: its headline, then its field changes."""
    return [
        [entry["headline"], *(f"{label}: {old} → {new}" for label, old, new in entry["changes"])]
        for entry in recent_changes(instance.history)
    ]


def latest_words(instance):
    return words(instance)[0]


@pytest.fixture
def project(owner):
    project = ProjectFactory(
        owner=owner, freelancer=None, status=Project.Status.DRAFT, due_on=TODAY + datetime.timedelta(days=40)
    )
    MilestoneFactory(project=project, title="Design", due_on=TODAY + datetime.timedelta(days=10))
    return project


def test_a_new_project_says_created(owner):
    project = project_services.create_project(
        project=ProjectFactory.build(owner=owner, freelancer=None, title="Shop"), by=owner
    )

    assert latest_words(project) == ["Created by olivia"]


def test_adding_a_milestone_on_the_edit_page_names_it(owner_client, project):
    edit_project(
        owner_client,
        project,
        **{
            "milestones-TOTAL_FORMS": "2",
            "milestones-1-title": "Launch",
            "milestones-1-due_on": (TODAY + datetime.timedelta(days=20)).isoformat(),
            "milestones-1-amount": "100",
            "milestones-1-status": Milestone.Status.PLANNED,
            "milestones-1-order": "2",
        },
    )

    assert latest_words(project) == ["Changed by olivia: Milestones: “Launch” added"]
    page = owner_client.get(project.get_absolute_url())
    assert "Changed by olivia: Milestones: “Launch” added" in page.content.decode()


def test_changing_and_removing_milestones_names_them(owner_client, project):
    MilestoneFactory(project=project, title="Old draft", due_on=TODAY + datetime.timedelta(days=15))

    edit_project(owner_client, project, **{"milestones-0-title": "Design v2", "milestones-1-DELETE": "on"})

    assert latest_words(project) == [
        "Changed by olivia: Milestones: “Design v2” changed, “Old draft” removed"
    ]


def test_changing_only_the_skills_names_them_before_and_after(owner_client, project):
    writing, design = SkillFactory(name="Writing"), SkillFactory(name="Design")
    project.skills.set([writing])

    edit_project(owner_client, project, skills=[str(writing.pk), str(design.pk)])

    assert latest_words(project) == ["Changed by olivia: Skills: Writing → Design, Writing"]


def test_saving_the_edit_page_unchanged_says_so(owner_client, project):
    edit_project(owner_client, project)

    assert latest_words(project) == ["Changed by olivia: nothing changed"]


def test_a_field_change_names_the_field_and_a_freelancer_by_name(owner_client, owner, project):
    freelancer = vetted_freelancer(name="Ada Lovelace")

    edit_project(owner_client, project, title="Shop relaunch", freelancer=str(freelancer.pk))

    assert latest_words(project)[0] == "Changed by olivia"
    assert set(latest_words(project)[1:]) == {
        f"title: {project.title} → Shop relaunch",
        "freelancer: — → Ada Lovelace",
    }


def test_archiving_and_restoring_say_so(owner, project):
    project_services.archive_project(project=project, by=owner)
    project_services.restore_project(project=project, by=owner)

    assert words(project)[:2] == [["Changed by olivia: Restored"], ["Changed by olivia: Archived"]]


def test_a_replacement_gives_its_reason_and_the_names(owner, project):
    first, second = vetted_freelancer(name="Ada"), vetted_freelancer(name="Grace")
    project.freelancer = first
    project.save()

    services.replace_freelancer(project=project, new=second, reason="Missed two check-ins.", by=owner)

    assert latest_words(project) == [
        "Changed by olivia: Freelancer replaced: Missed two check-ins.",
        "freelancer: Ada → Grace",
    ]


def test_a_status_change_shows_the_statuses_as_words(owner, project):
    project_services.change_status(project=project, status=Project.Status.ON_HOLD, by=owner)

    assert latest_words(project) == ["Changed by olivia", "status: Draft → On hold"]


def test_an_admin_edit_of_milestones_only_names_them(admin_client, project):
    edit_in_admin(admin_client, project, **{"milestones-0-title": "Design, final"})

    assert latest_words(project) == ["Changed by admin: Milestones: “Design, final” changed"]


def test_an_admin_edit_of_a_freelancers_skills_names_them(admin_client):
    freelancer = FreelancerFactory()
    skill = SkillFactory(name="Bookkeeping")

    edit_in_admin(admin_client, freelancer, skills=[str(skill.pk)])

    assert latest_words(freelancer) == ["Changed by admin: Skills: none → Bookkeeping"]


def test_editing_a_freelancers_skills_on_their_page_names_them(owner_client):
    freelancer = FreelancerFactory()
    skill = SkillFactory(name="Copywriting")
    url = reverse("freelancers:edit", args=[freelancer.pk])
    data = {**as_posted(owner_client.get(url).context["form"]), "skills": [str(skill.pk)]}

    assert owner_client.post(url, data).status_code == HTTPStatus.FOUND

    assert latest_words(freelancer) == ["Changed by olivia: Skills: none → Copywriting"]
    page = owner_client.get(freelancer.get_absolute_url()).content.decode()
    assert "Changed by olivia: Skills: none → Copywriting" in page


def test_every_entry_of_a_busy_history_has_words(owner_client, owner, project):
    edit_project(owner_client, project)
    edit_project(owner_client, project, **{"milestones-0-title": "Design v2"})
    project_services.change_status(project=project, status=Project.Status.ACTIVE, by=owner)
    project_services.archive_project(project=project, by=owner)

    entries = recent_changes(project.history)

    assert len(entries) == 5
    # "Changed by olivia" alone would say nothing: such an entry lists its field changes.
    assert all(entry["changes"] for entry in entries if entry["headline"] == "Changed by olivia")
    assert entries[-1]["headline"] == "Created by the system"
