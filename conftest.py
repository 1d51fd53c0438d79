"""Fixtures shared by every app's tests: the three kinds of user a page meets."""

import pytest
from django.contrib.auth.models import Group

from common.roles import ASSISTANT, OWNER
from milestones.tests import processes
from outsourcing.tests import logins

# An S3-compatible server (moto's, started once per run) and an empty bucket per test, for
# every app's tests: the fixtures live with the other real processes tests start.
s3_server = processes.s3_server
s3_storage = processes.s3_storage


def make_user(django_user_model, username, role=None, **extra):
    user = django_user_model.objects.create_user(
        username=username, email=f"{username}@example.com", password="a-long-test-password", **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing is deliberately slow; tests check who may log in, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    """Django's test client, whose force_login includes the second factor (outsourcing/tests/logins.py)."""
    return logins.Client()


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client, logged in with the second factor a superuser needs."""
    client = logins.Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def owner(django_user_model):
    return make_user(django_user_model, "olivia", OWNER, first_name="Olivia", is_staff=True)


@pytest.fixture
def assistant(django_user_model):
    return make_user(django_user_model, "sam", ASSISTANT, first_name="Sam")


@pytest.fixture
def outsider(django_user_model):
    """Logged in, but in no role: may see nothing that needs a permission."""
    return make_user(django_user_model, "otto")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def assistant_client(client, assistant):
    client.force_login(assistant)
    return client
