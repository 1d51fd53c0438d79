"""Every URL in the URLconf needs a login, except a short list of public pages.

New pages are covered automatically: this test walks the URLconf itself.
"""

import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

# The only pages an anonymous visitor may open. Keep this list short.
PUBLIC_URL_NAMES = {
    "login",  # the login page itself
    "admin:login",  # the admin's own login page
    "healthz",  # probed by load balancers and monitors
    "checkin_update",  # the freelancer's signed link: the token is the key
    "calendar_feed",  # the owner's calendar feed: the secret is the key
    # The ESPs' inbound webhooks for replies by email: anymail checks the ESP's credentials.
    "inbound_postmark",
    "inbound_mailgun",
    "inbound_sendgrid",
    "inbound_amazon_ses",
}

CONVERTER_EXAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x/y",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def example_for_regex(regex):
    """Turn a regex route into a concrete path: a group of alternatives takes the first."""

    def group(match):
        body = match.group(2)
        words = body.split("|")
        if all(re.fullmatch(r"[\w-]+", word) for word in words):
            return words[0]
        return "1"

    path = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex)
    # Unnamed groups too, e.g. django-simple-history's ^([^/]+)/history/([^/]+)/$
    path = re.sub(r"\((?!\?)(?:[^()]|\([^()]*\))*\)", "1", path)
    return path.lstrip("^").rstrip("$").replace("\\", "")


def example_for_route(route):
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_EXAMPLES[m.group(1) or "str"], route)


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        piece = str(entry.pattern)
        piece = example_for_route(piece) if "<" in piece and "(?P" not in piece else example_for_regex(piece)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + piece, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield "/" + prefix + piece, name, entry


ALL_URLS = list(walk(get_resolver().url_patterns))
PROTECTED_URLS = [(url, name, pattern) for url, name, pattern in ALL_URLS if name not in PUBLIC_URL_NAMES]


def test_the_walk_finds_the_apps_pages():
    names = {name for _, name, _ in ALL_URLS}
    assert {"dashboard", "freelancers:list", "projects:list", "milestones:checkins", "admin:index"} <= names


@pytest.mark.parametrize(("url", "name", "pattern"), PROTECTED_URLS, ids=[u for u, _, _ in PROTECTED_URLS])
@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_a_login_page(client, url, name, pattern):
    # The example URL must reach the pattern under test, or the walk is wrong.
    assert resolve(url).func == pattern.callback

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND, f"{url} answered {response.status_code}"
    login_pages = (reverse(settings.LOGIN_URL), reverse("admin:login"))
    assert response["Location"].startswith(login_pages), f"{url} redirected to {response['Location']}"


INBOUND_WEBHOOKS = {name for name in PUBLIC_URL_NAMES if name.startswith("inbound_")}


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")
def test_public_pages_answer_without_login(client, settings):
    for name in PUBLIC_URL_NAMES - {"checkin_update", "calendar_feed"} - INBOUND_WEBHOOKS:
        assert client.get(reverse(name)).status_code == HTTPStatus.OK, name
    # The inbound webhooks take only the ESP's posts (milestones/tests/test_inbound_webhooks.py).
    settings.ANYMAIL = {"WEBHOOK_SECRET": ["user:password"], "MAILGUN_WEBHOOK_SIGNING_KEY": "key"}
    for name in INBOUND_WEBHOOKS:
        assert client.get(reverse(name)).status_code == HTTPStatus.METHOD_NOT_ALLOWED, name
    # The check-in page answers, without a login, a plain 403 for a token that is not valid.
    response = client.get(reverse("checkin_update", args=["not-a-token"]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    # The calendar feed answers a plain 404 for a secret that is unknown or revoked.
    response = client.get(reverse("calendar_feed", args=["not-a-secret"]))
    assert response.status_code == HTTPStatus.NOT_FOUND
