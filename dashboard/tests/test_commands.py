"""The commands `make run` calls before start-up: seed_demo and ensure_admin."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from common.roles import OWNER

pytestmark = pytest.mark.django_db

User = get_user_model()


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def team():
    """Every account with its roles, as plain values that compare across runs."""
    return {
        user.username: sorted(group.name for group in user.groups.all())
        for user in User.objects.prefetch_related("groups")
    }


def test_seeding_twice_gives_the_same_accounts_and_roles():
    run("seed_demo")
    accounts, memberships, first = User.objects.count(), User.groups.through.objects.count(), team()

    output = run("seed_demo")

    assert accounts > 0
    assert User.objects.count() == accounts
    assert User.groups.through.objects.count() == memberships
    assert team() == first
    assert "0 new team accounts" in output


def test_demo_accounts_have_realistic_names():
    run("seed_demo")

    users = list(User.objects.all())
    assert users
    for user in users:
        assert user.first_name[:1].isupper(), user.username
        assert user.last_name[:1].isupper(), user.username
        assert "lorem" not in f"{user.username} {user.first_name} {user.last_name} {user.email}".lower()


def test_demo_accounts_ship_without_a_usable_password():
    run("seed_demo")

    # A password in the repository would work on every install that ran the seed.
    assert not [user.username for user in User.objects.all() if user.has_usable_password()]


def test_ensure_admin_creates_one_owner_superuser_and_prints_its_login_once():
    output = run("ensure_admin")

    admin = User.objects.get()
    assert admin.is_superuser
    assert list(admin.groups.values_list("name", flat=True)) == [OWNER]
    assert f"username: {admin.username}" in output
    assert output.count("password:") == 1


def test_ensure_admin_a_second_time_prints_nothing_and_creates_nothing():
    run("ensure_admin")

    output = run("ensure_admin")

    assert output == ""
    assert User.objects.count() == 1


def test_the_printed_admin_password_logs_in_and_leads_to_setting_up_two_factor_login(client):
    output = run("ensure_admin")
    username = re.search(r"username: (\S+)", output).group(1)
    password = re.search(r"password: (\S+)", output).group(1)

    response = client.post(reverse("login"), {"username": username, "password": password}, follow=True)

    assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:setup"))
    assertContains(response, "Set up two-factor login")
