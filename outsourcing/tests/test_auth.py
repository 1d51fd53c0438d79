"""Logging in and out, changing a password, login throttling and the Content-Security-Policy."""

from http import HTTPStatus

import pytest
from django.templatetags.static import static
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects, assertTemplateUsed

PASSWORD = "a-long-test-password"  # the one conftest.make_user gives every user


def log_in(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def csp_directives(response):
    """Parse a Content-Security-Policy header into {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


@pytest.mark.django_db
def test_the_login_page_renders_in_the_apps_look(client):
    response = client.get(reverse("login"))

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Helping Hands</a>")  # the navbar brand
    assertContains(response, f'href="{static("css/app.css")}"')


def test_a_correct_username_and_password_log_in_and_land_on_the_dashboard(client, assistant):
    # An assistant's password is enough; an owner's login goes on to the code (test_two_factor.py).
    response = log_in(client, "sam", PASSWORD)

    assertRedirects(response, reverse("dashboard"))
    assert logged_in_user_id(client) == str(assistant.pk)
    assert client.get(reverse("dashboard")).context["user"] == assistant


def test_a_wrong_password_shows_a_plain_error_and_does_not_log_in(client, owner):
    response = log_in(client, "olivia", "not-the-password")

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Please enter a correct username and password")
    assert logged_in_user_id(client) is None


def test_a_locked_out_user_is_refused_even_with_the_right_password(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "olivia", "not-the-password")

    response = log_in(client, "olivia", PASSWORD)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assertTemplateUsed(response, "registration/locked_out.html")
    assertContains(response, "Try again in", status_code=HTTPStatus.TOO_MANY_REQUESTS)
    assert logged_in_user_id(client) is None


def test_failures_below_the_limit_do_not_lock_the_user_out(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "olivia", "not-the-password")

    response = log_in(client, "olivia", PASSWORD)

    # The password is accepted; the dashboard then asks for her code.
    assertRedirects(response, reverse("dashboard"), fetch_redirect_response=False)


def test_a_lockout_does_not_reach_another_username_from_the_same_address(client, owner, assistant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "olivia", "not-the-password")

    response = log_in(client, "sam", PASSWORD)

    assertRedirects(response, reverse("dashboard"))
    assert logged_in_user_id(client) == str(assistant.pk)


def test_a_lockout_does_not_reach_the_same_username_from_another_address(client, owner, settings):
    # Someone guessing from elsewhere must not lock the owner out of her own office.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "olivia", "not-the-password", REMOTE_ADDR="203.0.113.9")
    refused = log_in(client, "olivia", PASSWORD, REMOTE_ADDR="203.0.113.9")

    response = log_in(client, "olivia", PASSWORD, REMOTE_ADDR="198.51.100.4")

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assertRedirects(response, reverse("dashboard"), fetch_redirect_response=False)


def test_logout_refuses_get_and_keeps_the_session(owner_client):
    response = owner_client.get(reverse("logout"))

    # A link or an image tag on another site must not be able to log the owner out.
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert owner_client.get(reverse("dashboard")).status_code == HTTPStatus.OK


def test_logout_by_post_ends_the_session(owner_client):
    response = owner_client.post(reverse("logout"))

    assertRedirects(response, reverse("login"))
    assert logged_in_user_id(owner_client) is None
    dashboard = owner_client.get(reverse("dashboard"))
    assertRedirects(dashboard, f"{reverse('login')}?next={reverse('dashboard')}")


def test_a_password_change_works_end_to_end(owner_client, owner):
    new_password = "a-fresh-harder-passphrase-42"
    form = owner_client.get(reverse("password_change"))
    assert form.status_code == HTTPStatus.OK

    response = owner_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
        follow=True,
    )

    assertRedirects(response, reverse("password_change_done"))
    assertContains(response, "Password changed")
    owner_client.post(reverse("logout"))
    log_in(owner_client, "olivia", PASSWORD)
    assert logged_in_user_id(owner_client) is None
    log_in(owner_client, "olivia", new_password)
    assert logged_in_user_id(owner_client) == str(owner.pk)


def test_a_password_change_with_a_wrong_old_password_changes_nothing(owner_client, owner):
    new_password = "a-fresh-harder-passphrase-42"
    response = owner_client.post(
        reverse("password_change"),
        {"old_password": "not-the-password", "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Your old password was entered incorrectly")
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize(
    "url_name",
    [
        "dashboard",
        "password_change",
        "admin:index",
        "freelancers:list",
        "projects:list",
        "milestones:checkins",
    ],
)
def test_every_page_forbids_inline_scripts(owner_client, url_name):
    response = owner_client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    # Exactly 'self': no 'unsafe-inline', no nonce, no other host may run code on our pages.
    assert csp_directives(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_login_and_lockout_pages_forbid_inline_scripts(client, owner, settings):
    login_page = client.get(reverse("login"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "olivia", "not-the-password")
    lockout_page = log_in(client, "olivia", PASSWORD)

    assert lockout_page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    for response in (login_page, lockout_page):
        assert csp_directives(response)["script-src"] == ["'self'"]


def test_the_admin_names_the_login_lockouts_apart_from_the_access_register(admin_client):
    text = admin_client.get(reverse("admin:index")).text

    assert "Login attempts and lockouts" in text
    assert ">Axes<" not in text
    assert "Access grants" in text
