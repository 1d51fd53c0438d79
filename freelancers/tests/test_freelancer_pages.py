"""The freelancer list, profile and forms, as the owner and the assistant use them."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from freelancers.models import Freelancer, Reference
from freelancers.tests.factories import (
    AccessGrantFactory,
    FreelancerFactory,
    InterviewFactory,
    ReferenceFactory,
    SkillFactory,
    vetted_freelancer,
)

pytestmark = pytest.mark.django_db

LIST = reverse("freelancers:list")


def test_the_list_says_what_to_do_when_there_are_no_freelancers(owner_client):
    response = owner_client.get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert "No freelancers yet" in response.text
    assert "import a CSV" in response.text


def test_the_list_shows_stage_skills_rate_and_vetting_progress(owner_client):
    freelancer = vetted_freelancer(name="Ana Souza", hourly_rate="1250.00", currency="EUR")
    freelancer.skills.add(SkillFactory(name="Copywriting"))

    response = owner_client.get(LIST)

    assert "Ana Souza" in response.text
    assert "Trial" in response.text
    assert "Copywriting" in response.text
    assert "EUR 1,250.00" in response.text
    assert 'aria-valuenow="100"' in response.text


@pytest.mark.parametrize("query", ["souza", "SOUZA@example", "copy"])
def test_search_finds_by_name_email_or_skill(owner_client, query):
    FreelancerFactory(name="Ana Souza", email="souza@example.com").skills.add(
        SkillFactory(name="Copywriting")
    )
    FreelancerFactory(name="Bo Lind", email="bo@example.com")

    response = owner_client.get(LIST, {"q": query})

    assert "Ana Souza" in response.text
    assert "Bo Lind" not in response.text


def test_filters_by_status_trust_and_do_not_hire(owner_client):
    FreelancerFactory(name="Prospect Pia", status=Freelancer.Status.PROSPECT)
    vetted_freelancer(name="Trial Tom")
    FreelancerFactory(name="Banned Ben", do_not_hire=True, do_not_hire_reason="Missed every deadline")

    assert "Trial Tom" in owner_client.get(LIST, {"trust": "trial_passed"}).text
    assert "Prospect Pia" not in owner_client.get(LIST, {"trust": "trial_passed"}).text
    only_banned = owner_client.get(LIST, {"do_not_hire": "yes"}).text
    assert "Banned Ben" in only_banned and "Prospect Pia" not in only_banned
    only_prospects = owner_client.get(LIST, {"status": "prospect"}).text
    assert "Prospect Pia" in only_prospects and "Trial Tom" not in only_prospects


def test_an_invalid_filter_is_reported_and_the_list_still_shows(owner_client):
    FreelancerFactory(name="Ana Souza")

    response = owner_client.get(LIST, {"status": "hired-yesterday", "sort": "shoe-size"})

    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.text
    assert "Ana Souza" in response.text


def test_archived_freelancers_are_hidden_unless_asked_for(owner_client):
    FreelancerFactory(name="Gone Gail", archived_at="2026-01-01T00:00:00Z")

    assert "Gone Gail" not in owner_client.get(LIST).text
    assert "Gone Gail" in owner_client.get(LIST, {"archived": "on"}).text


def test_the_list_flags_overdue_access_for_the_owner_only(owner_client, client, assistant):
    AccessGrantFactory(freelancer=FreelancerFactory(name="Ana Souza"), overdue=True)

    assert "Revoke access" in owner_client.get(LIST).text
    client.force_login(assistant)
    assert "Revoke access" not in client.get(LIST).text


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_runs_the_same_queries_whatever_the_number_of_freelancers(
    owner_client, django_assert_num_queries, count
):
    for _ in range(count):
        freelancer = FreelancerFactory()
        freelancer.skills.add(SkillFactory(name="SEO"))
        ReferenceFactory(freelancer=freelancer, positive=True)
        AccessGrantFactory(freelancer=freelancer, overdue=True)

    # session, user, the user's permissions, the user's group permissions,
    # the count for the paginator, the page of freelancers with their vetting
    # counts, their skills, and the skills for the filter's drop-down.
    with django_assert_num_queries(8):
        response = owner_client.get(LIST)
    assert response.status_code == HTTPStatus.OK


def test_the_list_is_paginated(owner_client):
    FreelancerFactory.create_batch(30)

    response = owner_client.get(LIST, {"sort": "name"})

    assert "Page 1 of 2" in response.text
    assert "30 in all" in response.text


def test_the_profile_shows_what_vetting_is_missing(owner_client):
    freelancer = FreelancerFactory(name="Ana Souza")

    response = owner_client.get(freelancer.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "Vetting: 0% done" in response.text
    assert "No reference has vouched for them yet" in response.text
    assert "No interview yet" in response.text


def test_the_profile_shows_the_questions_asked_in_an_interview(owner_client):
    interview = InterviewFactory(questions_asked="How do you handle scope changes?\nWhen are you online?")

    response = owner_client.get(interview.freelancer.get_absolute_url())

    assert "Asked:</span> How do you handle scope changes?<br>When are you online?" in response.text


def test_an_unknown_freelancer_is_a_404(owner_client):
    assert owner_client.get(reverse("freelancers:detail", args=[999999])).status_code == HTTPStatus.NOT_FOUND


def test_creating_a_freelancer_with_a_new_skill(owner_client):
    response = owner_client.post(
        reverse("freelancers:create"),
        {
            "name": "Ana Souza",
            "email": "ana@example.com",
            "currency": "USD",
            "status": "prospect",
            "new_skills": "Shopify, copywriting",
        },
    )

    freelancer = Freelancer.objects.get(email="ana@example.com")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == freelancer.get_absolute_url()
    assert sorted(freelancer.skills.values_list("name", flat=True)) == ["Shopify", "copywriting"]


def test_a_duplicate_email_in_any_case_is_refused_beside_the_field(owner_client):
    FreelancerFactory(email="ana@example.com")

    response = owner_client.post(
        reverse("freelancers:create"),
        {"name": "Ana Again", "email": "ANA@Example.com", "currency": "USD", "status": "prospect"},
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"] == ["Another freelancer already has this email address."]
    assert 'value="Ana Again"' in response.text  # what was typed is kept
    assert Freelancer.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hourly_rate", "-5", "The hourly rate cannot be negative."),
        ("timezone", "Mars/Olympus", "is not a time zone we know"),
        ("currency", "US1", "three-letter currency code"),
        ("email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_bad_freelancer_input_is_refused_in_plain_words(owner_client, field, value, message):
    data = {"name": "Ana", "email": "ana@example.com", "currency": "USD", "status": "prospect", field: value}

    response = owner_client.post(reverse("freelancers:create"), data)

    assert response.status_code == HTTPStatus.OK
    assert message in " ".join(response.context["form"].errors[field])
    assert not Freelancer.objects.exists()


def test_approving_without_vetting_is_refused_with_the_reasons(owner_client):
    freelancer = FreelancerFactory(status=Freelancer.Status.TRIAL)

    response = owner_client.post(reverse("freelancers:status", args=[freelancer.pk]), {"status": "approved"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "No reference has given a positive outcome yet." in response.text
    freelancer.refresh_from_db()
    assert freelancer.status == Freelancer.Status.TRIAL


def test_approving_a_vetted_freelancer_moves_them(owner_client):
    freelancer = vetted_freelancer()

    response = owner_client.post(reverse("freelancers:status", args=[freelancer.pk]), {"status": "approved"})

    assert response.status_code == HTTPStatus.FOUND
    freelancer.refresh_from_db()
    assert freelancer.status == Freelancer.Status.APPROVED


def test_do_not_hire_needs_a_reason(owner_client):
    freelancer = FreelancerFactory()
    url = reverse("freelancers:do_not_hire", args=[freelancer.pk])

    assert owner_client.post(url, {"do_not_hire_reason": "  "}).status_code == HTTPStatus.BAD_REQUEST
    freelancer.refresh_from_db()
    assert not freelancer.do_not_hire

    owner_client.post(url, {"do_not_hire_reason": "Shared client data publicly"})
    freelancer.refresh_from_db()
    assert freelancer.do_not_hire
    assert freelancer.do_not_hire_reason == "Shared client data publicly"


def test_adding_a_reference_from_the_profile(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        reverse("freelancers:item_create", args=[freelancer.pk, "references"]),
        {
            "name": "Joan Miller",
            "contact": "joan@example.com",
            "outcome": "positive",
            "contacted_on": "2026-11-20",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    reference = freelancer.references.get()
    assert reference.outcome == Reference.Outcome.POSITIVE
    assert str(reference.contacted_on) == "2026-11-20"


def test_an_outcome_without_a_contact_date_is_refused_on_the_profile(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        reverse("freelancers:item_create", args=[freelancer.pk, "references"]),
        {"name": "Joan Miller", "contact": "joan@example.com", "outcome": "positive"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["forms"]["references"].errors["contacted_on"]
    assert 'value="Joan Miller"' in response.text
    assert not freelancer.references.exists()


def test_a_sample_rating_outside_1_to_5_is_refused(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        reverse("freelancers:item_create", args=[freelancer.pk, "samples"]),
        {"title": "Logo", "url": "https://example.com/logo", "rating": "6"},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "A rating goes from 1 to 5." in response.context["forms"]["samples"].errors["rating"]
    assert not freelancer.samples.exists()


def test_editing_a_reference_returns_to_the_profile(owner_client):
    reference = ReferenceFactory()
    url = reverse("freelancers:item_edit", args=[reference.freelancer.pk, "references", reference.pk])

    assert owner_client.get(url).status_code == HTTPStatus.OK
    response = owner_client.post(
        url,
        {"name": "New Name", "contact": "x@example.com", "outcome": "mixed", "contacted_on": "2026-11-01"},
    )

    assert response["Location"] == reference.freelancer.get_absolute_url()
    reference.refresh_from_db()
    assert reference.name == "New Name"


def test_an_unknown_section_is_a_404(owner_client):
    freelancer = FreelancerFactory()
    url = reverse("freelancers:item_create", args=[freelancer.pk, "passwords"])

    assert owner_client.post(url, {}).status_code == HTTPStatus.NOT_FOUND


def test_archiving_keeps_the_record_and_can_be_undone(owner_client):
    freelancer = FreelancerFactory(name="Ana Souza")
    url = reverse("freelancers:archive", args=[freelancer.pk])

    owner_client.post(url)
    freelancer.refresh_from_db()
    assert freelancer.archived_at is not None
    assert owner_client.get(freelancer.get_absolute_url()).status_code == HTTPStatus.OK

    owner_client.post(url, {"restore": "1"})
    freelancer.refresh_from_db()
    assert freelancer.archived_at is None


def test_archive_does_not_answer_get(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.get(reverse("freelancers:archive", args=[freelancer.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_assistant_edits_but_cannot_archive_or_delete(assistant_client):
    reference = ReferenceFactory()
    freelancer = reference.freelancer

    assert (
        assistant_client.get(reverse("freelancers:edit", args=[freelancer.pk])).status_code == HTTPStatus.OK
    )
    archive = assistant_client.post(reverse("freelancers:archive", args=[freelancer.pk]))
    delete = assistant_client.post(
        reverse("freelancers:item_delete", args=[freelancer.pk, "references", reference.pk])
    )

    assert archive.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    freelancer.refresh_from_db()
    assert freelancer.archived_at is None
    assert freelancer.references.exists()


def test_a_user_without_a_role_sees_no_freelancer(client, outsider):
    freelancer = FreelancerFactory()
    client.force_login(outsider)

    assert client.get(LIST).status_code == HTTPStatus.FORBIDDEN
    assert client.get(freelancer.get_absolute_url()).status_code == HTTPStatus.FORBIDDEN
    response = client.post(reverse("freelancers:create"), {"name": "X", "email": "x@example.com"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Freelancer.objects.count() == 1


def test_the_profile_shows_projects_average_ratings_and_rehire_rate(owner_client):
    from projects.tests.factories import ProjectFactory, ReviewFactory

    freelancer = FreelancerFactory()
    ReviewFactory(project=ProjectFactory(freelancer=freelancer, title="Logo"), quality=5, would_rehire="yes")
    ReviewFactory(project=ProjectFactory(freelancer=freelancer, title="Flyer"), quality=2, would_rehire="no")

    response = owner_client.get(freelancer.get_absolute_url())

    assert "Logo" in response.text and "Flyer" in response.text
    assert "Average over 2 reviews" in response.text
    assert "quality 3.5" in response.text
    assert "Would rehire: 50% of the time" in response.text
