"""A freelancer is chosen by typing a name or an email, with suggestions fetched as one
types, rather than from a drop-down of every freelancer of the business."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory, vetted_freelancer
from projects.models import Backup
from projects.tests.factories import ProjectFactory

NAMES = reverse("freelancers:names")


def add_backup(client, project, typed):
    return client.post(reverse("projects:backup_create", args=[project.pk]), {"freelancer": typed, "rank": 1})


@pytest.fixture
def project():
    return ProjectFactory(freelancer=vetted_freelancer())


@pytest.mark.django_db
def test_the_project_page_does_not_carry_every_freelancer_of_the_business(owner_client, project):
    FreelancerFactory.create_batch(3)
    small = owner_client.get(project.get_absolute_url())
    others = FreelancerFactory.create_batch(60)
    large = owner_client.get(project.get_absolute_url())

    assert small.status_code == large.status_code == HTTPStatus.OK
    assert not any(freelancer.email in large.text for freelancer in others)
    assert abs(len(large.content) - len(small.content)) < 200


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["{name}", "  {upper}  ", "{name} <{email}>", "{email}", "{pk}"])
def test_a_backup_is_added_by_typing_the_name_the_suggestion_the_email_or_the_id(
    owner_client, project, typed
):
    ana = FreelancerFactory(name="Ana Lima", email="ana@example.com")

    response = add_backup(
        owner_client, project, typed.format(name=ana.name, upper=ana.name.upper(), email=ana.email, pk=ana.pk)
    )

    assert response.status_code == HTTPStatus.FOUND
    assert list(Backup.objects.filter(project=project).values_list("freelancer", flat=True)) == [ana.pk]


@pytest.mark.django_db
def test_two_freelancers_of_the_same_name_are_told_apart_by_email(owner_client, project):
    FreelancerFactory(name="Sam Lee", email="sam.one@example.com")
    second = FreelancerFactory(name="Sam Lee", email="sam.two@example.com")

    refused = add_backup(owner_client, project, "Sam Lee")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "More than one freelancer is called “Sam Lee”. Type their email to choose one." in refused.text
    assert not Backup.objects.exists()

    add_backup(owner_client, project, "Sam Lee <sam.two@example.com>")
    assert list(Backup.objects.values_list("freelancer", flat=True)) == [second.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nobody", "do_not_hire", "archived", "current"])
def test_only_a_freelancer_who_may_be_a_backup_can_be_typed_in(owner_client, project, who):
    typed = {
        "nobody": "Nobody Here",
        "do_not_hire": FreelancerFactory(do_not_hire=True, do_not_hire_reason="Missed deadlines").email,
        "archived": FreelancerFactory(archived_at=timezone.now()).email,
        "current": project.freelancer.email,
    }[who]

    response = add_backup(owner_client, project, typed)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "No freelancer who can be chosen here is called" in response.text
    assert 'class="invalid-feedback"' in response.text or "is-invalid" in response.text
    assert not Backup.objects.exists()


@pytest.mark.django_db
def test_the_suggestions_are_the_first_twenty_matches_by_name_or_email(owner_client):
    for n in range(25):
        FreelancerFactory(name=f"Lee {n:02d}", email=f"lee{n:02d}@example.com")
    FreelancerFactory(name="Someone Else", email="writer.lee@example.net")
    FreelancerFactory(name="Kim Park", email="kim@example.com")

    found = owner_client.get(NAMES, {"q": "lee"}).json()["results"]

    assert len(found) == 20
    assert found[0] == "Lee 00 <lee00@example.com>"
    assert all("lee" in name.lower() for name in found)
    assert owner_client.get(NAMES, {"q": "writer.lee"}).json()["results"] == [
        "Someone Else <writer.lee@example.net>"
    ]


@pytest.mark.django_db
def test_the_hireable_suggestions_leave_out_who_may_not_be_hired(owner_client):
    FreelancerFactory(name="Dana Hireable")
    FreelancerFactory(name="Dana Flagged", do_not_hire=True, do_not_hire_reason="No-show")
    FreelancerFactory(name="Dana Archived", archived_at=timezone.now())

    hireable = owner_client.get(NAMES, {"q": "dana", "scope": "hireable"}).json()["results"]
    active = owner_client.get(NAMES, {"q": "dana"}).json()["results"]

    assert [name.split(" <")[0] for name in hireable] == ["Dana Hireable"]
    assert [name.split(" <")[0] for name in active] == ["Dana Flagged", "Dana Hireable"]


@pytest.mark.django_db
def test_the_suggestions_need_the_right_to_see_freelancers(client, outsider):
    assert client.get(NAMES, {"q": "a"}).status_code == HTTPStatus.FOUND  # to the login page
    client.force_login(outsider)
    assert client.get(NAMES, {"q": "a"}).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_the_suggestions_run_a_fixed_number_of_queries(owner_client, django_assert_num_queries, count):
    FreelancerFactory.create_batch(count, name="Robin Roe")

    # session, user, user permissions, group permissions; the first twenty matches.
    with django_assert_num_queries(5):
        response = owner_client.get(NAMES, {"q": "robin"})

    assert len(response.json()["results"]) == min(count, 20)
