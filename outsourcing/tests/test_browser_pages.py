"""Every page of the site on a phone (375 px wide), as the owner and as an assistant, with the demo data.

The pages are not a chosen list: they are every named URL of the URLconf, the admin's included,
whose GET answers that person with an HTML page, each parameter filled with a real row of the
right model. A page passes when it does not scroll sideways; like every browser test, the walk
also fails on any console error, uncaught exception or Content-Security-Policy violation.
"""

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from dashboard.management.commands.seed_demo import DEMO_TEAM

# The fixtures (browser, browser_problems, new_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403
from outsourcing.tests.urls_walk import Arguments, demo_data, named_routes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 375
# Answers that are not a page to look at: a redirect (its target is walked on its own),
# a page this person may not open, an action that takes POST only.
NOT_A_PAGE = {302, 403, 405}

# The elements that stick out on the right, innermost first: what to fix when a page is too wide.
TOO_WIDE = """width => {
  const sticksOut = el => el.getBoundingClientRect().right > width + 1;
  const describe = el => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
    const name = [el.tagName.toLowerCase(), ...classes.filter(Boolean)].join(".");
    return `<${name}${el.id ? "#" + el.id : ""}> ends at ${Math.round(el.getBoundingClientRect().right)} px`;
  };
  return [...document.querySelectorAll("body *")]
    .filter(el => sticksOut(el) && ![...el.children].some(sticksOut))
    .slice(0, 3)
    .map(describe);
}"""


def html_pages(client, user):
    """(URL name, path) of every page the URLconf names that answers this person's GET with HTML."""
    arguments = Arguments(user)
    for name, keywords, positional in named_routes():
        for args, kwargs in arguments(name, keywords, positional):
            path = reverse(name, args=args, kwargs=kwargs)
            response = client.get(path)
            if response.status_code in NOT_A_PAGE or not response["Content-Type"].startswith("text/html"):
                continue
            assert response.status_code == 200, f"{path} ({name}) answered {response.status_code}"
            yield name, path


def log_in(page, client, user, url):
    """Share the test client's session with the browser: one login serves both."""
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])


def must_visit(user):
    """Pages the walk must have found for this person: proof that it walked the admin too."""
    if not user.is_authenticated:
        return {"login", "admin:login", "checkin_update"}
    request = RequestFactory().get(reverse("admin:index"))
    request.user = user
    names = {"admin:index"}
    for model, model_admin in admin.site._registry.items():
        may = {
            "changelist": model_admin.has_view_or_change_permission,
            "change": model_admin.has_view_or_change_permission,
            "add": model_admin.has_add_permission,
            "export": getattr(model_admin, "has_export_permission", None),
            "import": getattr(model_admin, "has_import_permission", None),
        }
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        names |= {f"{prefix}_{view}" for view, allowed in may.items() if allowed and allowed(request)}
    return names


@pytest.mark.parametrize(
    "username",
    [None, *(member["username"] for member in DEMO_TEAM)],
    ids=["visitor", "owner", "assistant"],
)
def test_no_page_scrolls_sideways_on_a_phone(
    new_page, browser_problems, client, live_server, settings, tmp_path, username
):
    settings.MEDIA_ROOT = tmp_path
    demo_data()
    page = new_page(width=PHONE_WIDTH)
    user = AnonymousUser()
    if username:  # else a visitor, not logged in: the login pages and the freelancer's link
        user = get_user_model().objects.get(username=username)
        user.is_staff = True  # the assistant works in the admin too
        user.save(update_fields=["is_staff"])
        log_in(page, client, user, live_server.url)

    visited, failures = [], []
    for name, path in html_pages(client, user):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            culprits = "; ".join(page.evaluate(TOO_WIDE, PHONE_WIDTH))
            failures.append(f"{path} ({name}) is {width} px wide: {culprits}")
        failures += browser_problems.take(page)
        visited.append(name)

    assert must_visit(user) <= set(visited), f"not walked: {sorted(must_visit(user) - set(visited))}"
    report = "\n".join(failures)
    assert not failures, f"{len(failures)} problems on {len(visited)} pages at {PHONE_WIDTH} px:\n{report}"
