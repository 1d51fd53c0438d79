"""Fixtures for the end-to-end tests: the system Chromium driven by Playwright, against a live server.

Chromium is the Debian package (/usr/bin/chromium), installed by .ci/run; Playwright's own
browser download is never used. Without Chromium the browser tests are skipped, except in CI
(CI is set), where a missing browser must fail loudly instead.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.roles import OWNER
from outsourcing.tests.authenticator_app import authenticator_code

# What `from outsourcing.tests.browser import *` gives a test module: its fixtures.
__all__ = ["browser", "browser_problems", "new_page", "owner_page", "owner_user"]

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
USERNAME = "olivia"
PASSWORD = "a-long-test-password"
TIMEOUT_MS = 15_000
# Chromium's console words a Content-Security-Policy violation as it likes, and not for every
# directive; the page's own securitypolicyviolation event is the dependable report, so it is
# passed to the test as well.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline code"}` +
    ` (${event.sourceFile || "the page"}, line ${event.lineNumber})`
  );
});
"""


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; each test gets fresh contexts from it.

    Module-scoped, not session-scoped, so Playwright's event loop and the async-unsafe
    switch below end with the browser tests: a later test (or a `manage.py check --deploy`
    it starts, which warns about the variable) never sees them.
    """
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # The sync API runs an event loop in this thread, so Django would refuse the
    # test's own ORM calls (SynchronousOnlyOperation); they are plain blocking calls here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class BrowserProblems:
    """What went wrong inside the pages: console errors, uncaught exceptions, CSP violations.

    A page that works for the person looking at it can still be broken underneath (a script
    the policy blocked, a stylesheet that failed to load); every browser test fails on these.
    """

    def __init__(self):
        self.found = []

    def watch(self, context):
        context.expose_binding("reportCspViolation", lambda source, text: self.add(source["page"], text))
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self.console)
        context.on("weberror", lambda error: self.add(error.page, f"uncaught {error.error}"))

    def console(self, message):
        if message.type == "error":
            # A resource that failed to load is named only in the message's location.
            source = message.location.get("url")
            self.add(message.page, f"{message.text} ({source})" if source else message.text)

    def add(self, page, text):
        self.found.append(f"{page.url if page else 'a page'}: {text}")

    def take(self, page):
        """The problems reported so far, forgotten once taken.

        A round trip to the page first, so every report it sent before has arrived.
        """
        page.evaluate("0")
        found, self.found = self.found, []
        return found


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def new_page(browser, live_server, browser_problems):
    """Open pages in fresh browser contexts (no cookies shared); all closed after the test.

    The test fails if any page it opened logged an error or broke the Content-Security-Policy.
    """
    pages = []

    def open_page(width=1280):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        browser_problems.watch(context)
        page = context.new_page()
        pages.append(page)
        # data-confirm forms ask with window.confirm(); a user clicks OK.
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    found = [problem for page in pages if not page.is_closed() for problem in browser_problems.take(page)]
    for page in pages:
        page.context.close()
    assert not found, "The pages reported problems:\n" + "\n".join(found)


@pytest.fixture
def owner_user(transactional_db, django_user_model):
    """The business owner, with a password typed into the real login form and the
    authenticator app she set up on her first login."""
    user = django_user_model.objects.create_user(
        username=USERNAME,
        email=f"{USERNAME}@example.com",
        password=PASSWORD,
        first_name="Olivia",
        is_staff=True,
    )
    user.groups.add(Group.objects.get(name=OWNER))
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


def log_in(page, username=USERNAME, password=PASSWORD):
    """Log in through the form, as a person would: the password, then the code her app shows."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is not None:
        page.get_by_role("heading", name="Your code, please").wait_for()
        page.get_by_label("Code").fill(authenticator_code(device))
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Good to see you, Olivia").wait_for()


@pytest.fixture
def owner_page(new_page, owner_user):
    """A page logged in as the owner, showing the dashboard."""
    page = new_page()
    log_in(page)
    return page


def screenshot(page, name):
    """Save a full-page screenshot under var/screenshots/ (kept by CI as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
