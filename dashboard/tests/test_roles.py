"""The Owner and Assistant roles, kept in step with the models by `migrate`."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from common import roles

# Models whose rows an Assistant must never see: who holds access to what, and the money paid.
HIDDEN_FROM_ASSISTANTS = {"accessgrant", "payment"}


def codes(permissions):
    return {(permission.content_type.app_label, permission.codename) for permission in permissions}


def group_codes(name):
    return codes(Group.objects.get(name=name).permissions.select_related("content_type"))


def existing_assistant_codes():
    # Models named in ASSISTANT_PERMISSIONS may belong to a feature not built yet.
    return roles.assistant_permission_codes() & codes(Permission.objects.select_related("content_type"))


@pytest.mark.django_db
def test_the_owner_group_holds_every_permission():
    assert group_codes(roles.OWNER) == codes(Permission.objects.select_related("content_type"))


@pytest.mark.django_db
def test_the_assistant_group_holds_exactly_the_listed_permissions_that_exist():
    held = group_codes(roles.ASSISTANT)

    assert held
    assert held == existing_assistant_codes()


@pytest.mark.django_db
def test_the_assistant_group_cannot_delete_anything():
    held = group_codes(roles.ASSISTANT)

    assert held
    assert not [codename for _, codename in held if codename.startswith("delete_")]


@pytest.mark.django_db
def test_syncing_the_roles_again_changes_nothing():
    before = {name: group_codes(name) for name in (roles.OWNER, roles.ASSISTANT)}

    roles.sync_roles()
    roles.sync_roles()

    assert {name: group_codes(name) for name in (roles.OWNER, roles.ASSISTANT)} == before
    assert Group.objects.filter(name__in=[roles.OWNER, roles.ASSISTANT]).count() == 2


@pytest.mark.django_db
def test_syncing_the_roles_undoes_changes_made_by_hand():
    assistant = Group.objects.get(name=roles.ASSISTANT)
    granted = assistant.permissions.first()
    delete = Permission.objects.filter(codename__startswith="delete_").first()
    assistant.permissions.remove(granted)
    assistant.permissions.add(delete)

    roles.sync_roles()

    assert assistant.permissions.filter(pk=granted.pk).exists()
    assert not assistant.permissions.filter(pk=delete.pk).exists()
    assert group_codes(roles.ASSISTANT) == existing_assistant_codes()


def test_the_assistant_rules_never_grant_delete():
    for model_label, actions in roles.ASSISTANT_PERMISSIONS.items():
        assert "delete" not in actions, model_label


def test_the_assistant_rules_never_name_access_grants_or_payments():
    model_names = {model_label.split(".")[1] for model_label in roles.ASSISTANT_PERMISSIONS}

    assert model_names
    assert not model_names & HIDDEN_FROM_ASSISTANTS


def test_the_assistant_codes_follow_the_rules():
    assert roles.assistant_permission_codes()
    for _, codename in roles.assistant_permission_codes():
        action, model_name = codename.split("_", 1)
        assert action in roles.VIEW_AND_EDIT, codename
        assert model_name not in HIDDEN_FROM_ASSISTANTS, codename


def test_a_user_in_no_role_can_open_the_dashboard(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("dashboard"))

    # The dashboard needs a login only; what it lists will depend on the role.
    assert response.status_code == HTTPStatus.OK


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("admin:index"))

    assertRedirects(response, f"{reverse('admin:login')}?next={reverse('admin:index')}")
