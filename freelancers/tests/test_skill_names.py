"""Skills typed as free text: one rule decides when two names are the same skill, the one
the database's unique index uses, and a freelancer is saved with their skills or not at all."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from freelancers import services
from freelancers.models import Freelancer, Skill
from freelancers.tests.factories import FreelancerFactory

pytestmark = pytest.mark.django_db

KELVIN_SIGN = "\u212a"  # looks like K; the database lowercases it to k


def add_freelancer(client, email, new_skills):
    data = {
        "name": "Ana Souza",
        "email": email,
        "currency": "USD",
        "status": "prospect",
        "new_skills": new_skills,
    }
    return client.post(reverse("freelancers:create"), data)


def test_a_skill_written_with_a_kelvin_sign_is_the_skill_already_there(owner_client):
    add_freelancer(owner_client, "first@example.com", "Kombucha")
    freelancers_before = Freelancer.objects.count()

    response = add_freelancer(owner_client, "second@example.com", f"{KELVIN_SIGN}ombucha")

    assert response.status_code == HTTPStatus.FOUND
    assert Freelancer.objects.count() == freelancers_before + 1
    assert list(Skill.objects.values_list("name", flat=True)) == ["Kombucha"]
    second = Freelancer.objects.get(email="second@example.com")
    assert list(second.skills.values_list("name", flat=True)) == ["Kombucha"]


def test_a_new_skill_is_stored_in_its_plain_letters(owner_client):
    add_freelancer(owner_client, "ana@example.com", f"{KELVIN_SIGN}ombucha, ｆｕｌｌ width")

    assert sorted(Skill.objects.values_list("name", flat=True)) == ["Kombucha", "full width"]


def test_editing_a_freelancer_with_a_kelvin_sign_skill_keeps_one_skill(owner_client):
    existing = Skill.objects.create(name="Kombucha")
    freelancer = FreelancerFactory(email="ana@example.com")
    data = {
        "name": freelancer.name,
        "email": freelancer.email,
        "currency": "USD",
        "status": freelancer.status,
        "new_skills": f"{KELVIN_SIGN}OMBUCHA",
    }

    response = owner_client.post(reverse("freelancers:edit", args=[freelancer.pk]), data)

    assert response.status_code == HTTPStatus.FOUND
    assert list(freelancer.skills.all()) == [existing]
    assert Skill.objects.count() == 1


def test_a_skill_too_long_once_in_plain_letters_is_an_error_beside_it_and_saves_nothing(owner_client):
    # One Arabic ligature stands for eighteen letters: four of them make 72, over the 60 allowed.
    freelancers_before = Freelancer.objects.count()

    response = add_freelancer(owner_client, "ana@example.com", "\ufdfa" * 4)

    assert response.status_code == HTTPStatus.OK
    assert "too long for a skill name" in response.context["form"].errors["new_skills"][0]
    assert Freelancer.objects.count() == freelancers_before
    assert not Skill.objects.exists()


def test_a_freelancer_whose_skills_cannot_be_saved_is_not_saved_either():
    unsaved = Skill(name="Never stored")

    with pytest.raises(ValueError):
        services.save_freelancer(
            freelancer=Freelancer(name="Ana Souza", email="ana@example.com", currency="USD"), skills=[unsaved]
        )

    assert not Freelancer.objects.filter(email="ana@example.com").exists()
