"""Error pages in the app's look and in plain words, never Django's bare defaults."""

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.templatetags.static import static
from django.urls import resolve, reverse
from django.views import defaults
from pytest_django.asserts import assertContains, assertTemplateUsed

BRAND = "Helping Hands</a>"  # the navbar brand link, not just the page title


# Strict, so the marker has to go as soon as base.html is fixed.
def test_an_unknown_url_shows_our_404_page_to_a_logged_in_user(owner_client):
    response = owner_client.get("/no-such-page/")

    assertTemplateUsed(response, "404.html")
    assertContains(response, "This page does not exist", status_code=HTTPStatus.NOT_FOUND)
    assertContains(response, BRAND, status_code=HTTPStatus.NOT_FOUND)
    assertContains(response, static("css/app.css"), status_code=HTTPStatus.NOT_FOUND)


@pytest.mark.django_db
def test_an_unknown_url_shows_our_404_page_to_an_anonymous_visitor(client):
    response = client.get("/no-such-page/")

    assertContains(response, "This page does not exist", status_code=HTTPStatus.NOT_FOUND)
    assertContains(response, BRAND, status_code=HTTPStatus.NOT_FOUND)


def test_a_refusal_shows_our_403_page_in_plain_words(rf, owner):
    request = rf.get(reverse("dashboard"))
    request.user = owner
    # A refusal is raised by a view, so by then the URL has resolved.
    request.resolver_match = resolve(request.path)

    response = defaults.permission_denied(request, PermissionDenied())

    assert response.status_code == HTTPStatus.FORBIDDEN
    content = response.content.decode()
    assert "You are not allowed to do this" in content
    assert "ask the account owner" in content
    assert BRAND in content


def test_a_crash_shows_our_500_page_in_plain_words(rf):
    response = defaults.server_error(rf.get("/somewhere/"))

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    content = response.content.decode()
    assert "Something went wrong on our side" in content
    assert "Nothing you did caused this" in content
    # Rendered without a request context, so the page must still carry the look.
    assert static("css/app.css") in content
    assert BRAND in content
