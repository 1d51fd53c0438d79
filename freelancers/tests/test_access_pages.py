"""The access register on the profile and across freelancers, and who may see it."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from freelancers.models import AccessGrant
from freelancers.tests.factories import AccessGrantFactory, FreelancerFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def grant_url(freelancer):
    return reverse("freelancers:item_create", args=[freelancer.pk, "access"])


def test_the_owner_records_a_grant_with_a_revoke_by_date(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        grant_url(freelancer),
        {
            "system": "Shopify staff account",
            "access_level": "edit",
            "why_needed": "Update product descriptions",
            "granted_on": TODAY.isoformat(),
            "revoke_by": (TODAY + datetime.timedelta(days=14)).isoformat(),
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    grant = freelancer.access_grants.get()
    assert grant.revoke_by == TODAY + datetime.timedelta(days=14)
    assert grant.revoked_on is None


def test_a_revoke_by_date_before_the_grant_is_refused(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        grant_url(freelancer),
        {
            "system": "Mailbox",
            "access_level": "read",
            "why_needed": "Answer support email",
            "granted_on": TODAY.isoformat(),
            "revoke_by": (TODAY - datetime.timedelta(days=1)).isoformat(),
        },
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["forms"]["access"].errors
    assert errors["revoke_by"] == ["The revoke-by date cannot be before the grant date."]
    assert not AccessGrant.objects.exists()


def test_a_password_typed_into_the_grant_is_refused(owner_client):
    freelancer = FreelancerFactory()

    response = owner_client.post(
        grant_url(freelancer),
        {
            "system": "WordPress",
            "access_level": "admin",
            "why_needed": "Theme fixes. Password: hunter2",
            "granted_on": TODAY.isoformat(),
            "revoke_by": TODAY.isoformat(),
        },
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Never write a password" in response.context["forms"]["access"].errors["why_needed"][0]
    assert not AccessGrant.objects.exists()


def test_recording_a_revocation_stores_date_and_person(owner_client, owner):
    grant = AccessGrantFactory(overdue=True)

    response = owner_client.post(
        reverse("freelancers:revoke", args=[grant.freelancer.pk, grant.pk]), {"revoked_on": TODAY.isoformat()}
    )

    assert response.status_code == HTTPStatus.FOUND
    grant.refresh_from_db()
    assert grant.revoked_on == TODAY
    assert grant.revoked_by == owner


def test_a_revocation_before_the_grant_is_refused_beside_the_date(owner_client):
    grant = AccessGrantFactory()

    response = owner_client.post(
        reverse("freelancers:revoke", args=[grant.freelancer.pk, grant.pk]),
        {"revoked_on": (grant.granted_on - datetime.timedelta(days=1)).isoformat()},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Access cannot be revoked before it was granted." in response.text
    grant.refresh_from_db()
    assert grant.revoked_on is None


def test_the_register_lists_open_grants_overdue_first(owner_client):
    later = AccessGrantFactory(system="Later system")
    overdue = AccessGrantFactory(system="Overdue system", overdue=True)
    AccessGrantFactory(system="Closed system", revoked_on=TODAY)

    response = owner_client.get(reverse("freelancers:access"))

    text = response.text
    assert text.index(overdue.system) < text.index(later.system)
    assert "Closed system" not in text
    assert "Overdue" in text


def test_the_register_says_so_when_nothing_is_open(owner_client):
    assert "No access is open" in owner_client.get(reverse("freelancers:access")).text


def test_the_assistant_sees_no_access_grant_anywhere(assistant_client):
    grant = AccessGrantFactory(system="Bank portal", overdue=True)
    profile = assistant_client.get(grant.freelancer.get_absolute_url())

    assert profile.status_code == HTTPStatus.OK
    assert "Bank portal" not in profile.text
    assert "Access given" not in profile.text
    assert "Access overdue" not in profile.text
    assert assistant_client.get(reverse("freelancers:access")).status_code == HTTPStatus.FORBIDDEN
    edit = reverse("freelancers:item_edit", args=[grant.freelancer.pk, "access", grant.pk])
    assert assistant_client.get(edit).status_code == HTTPStatus.FORBIDDEN
    revoke = reverse("freelancers:revoke", args=[grant.freelancer.pk, grant.pk])
    assert (
        assistant_client.post(revoke, {"revoked_on": TODAY.isoformat()}).status_code == HTTPStatus.FORBIDDEN
    )


def test_grants_are_never_deleted_from_the_profile(owner_client):
    grant = AccessGrantFactory()

    response = owner_client.post(
        reverse("freelancers:item_delete", args=[grant.freelancer.pk, "access", grant.pk])
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert AccessGrant.objects.filter(pk=grant.pk).exists()
