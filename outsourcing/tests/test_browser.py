"""End to end in a real browser: what a new owner does, through clicks and typing only.

The scenarios run in order as one owner's story (each builds on the one before):
vet a freelancer, give them a trial project, hear from them through the signed
link, then complete and review the project. Screenshots of the dashboard and the
project page are saved under var/screenshots/ (dashboard.png and project.png with the demo data).
"""

import datetime
import os
import re
from urllib.parse import quote, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from milestones.links import checkin_link

# The fixtures (browser, new_page, owner_user, owner_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403
from outsourcing.tests.browser import screenshot
from outsourcing.tests.urls_walk import SMALL_PDF
from projects.models import Project

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FREELANCER = "Priya Patel"
PROJECT = "Tidy the product catalogue"


def day(offset=0):
    return (timezone.localdate() + datetime.timedelta(days=offset)).isoformat()


def menu(page, name):
    """Follow a link of the main navigation bar."""
    page.locator("#main-nav").get_by_role("link", name=name, exact=True).click()


def vetting_bar(page):
    return page.get_by_role("progressbar", name=re.compile(r"^Vetting"))


def open_section(page, button, section):
    """Open a profile's collapsed "add" form and return it."""
    page.get_by_role("button", name=button).click()
    return opened(page.locator(f"#add-{section}"))


def opened(collapse):
    """Wait for a Bootstrap collapse to finish opening: a click during its slide can get lost."""
    expect(collapse).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    return collapse


def create_and_vet_freelancer(page):
    """Scenario 1: a new freelancer, two references (one positive), an interview and an upload."""
    menu(page, "Freelancers")
    page.get_by_role("link", name="Add freelancer").click()
    page.get_by_label("Name").fill(FREELANCER)
    page.get_by_label("Email").fill("priya@example.com")
    page.get_by_label("Timezone").fill("Asia/Kolkata")
    page.get_by_role("button", name="Add freelancer").click()
    expect(page.get_by_role("heading", name=FREELANCER, level=1)).to_be_visible()
    expect(vetting_bar(page)).to_have_attribute("aria-valuenow", "0")

    form = open_section(page, "Add reference", "references")
    form.get_by_label("Who").fill("Marco Rossi")
    form.get_by_label(re.compile(r"Contact(?!ed)")).fill("marco@example.com")
    form.get_by_role("button", name="Save reference").click()
    expect(page.get_by_text("The reference was added.")).to_be_visible()
    expect(vetting_bar(page)).to_have_attribute("aria-valuenow", "0")  # not contacted: no vouching yet

    form = open_section(page, "Add reference", "references")
    form.get_by_label("Who").fill("Hannah Schulz")
    form.get_by_label("Relationship").fill("former client")
    form.get_by_label(re.compile(r"Contact(?!ed)")).fill("+49 30 1234567")
    form.get_by_label("Contacted on").fill(day(-1))
    form.get_by_label("Outcome").select_option(label="Positive")
    form.get_by_role("button", name="Save reference").click()
    expect(page.get_by_text("The reference was added.")).to_be_visible()
    expect(vetting_bar(page)).to_have_attribute("aria-valuenow", "25")
    expect(page.get_by_role("heading", name="Vetting: 25% done")).to_be_visible()

    form = open_section(page, "Add interview", "interviews")
    form.get_by_label("Held on").fill(day(-1))
    form.get_by_label("Channel").select_option(label="Video call")
    form.get_by_label("Questions asked").fill("How do you handle a missed deadline?")
    form.get_by_label("Recommendation").select_option(label="Proceed")
    form.get_by_role("button", name="Save interview").click()
    expect(page.get_by_text("The interview was added.")).to_be_visible()
    expect(vetting_bar(page)).to_have_attribute("aria-valuenow", "50")

    form = open_section(page, "Add work sample", "samples")
    form.get_by_label("Title").fill("Catalogue clean-up for a bakery")
    form.get_by_label("File").set_input_files(
        {"name": "catalogue.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    form.get_by_label("Rating").fill("4")
    form.get_by_role("button", name="Save work sample").click()
    expect(page.get_by_text("The work sample was added.")).to_be_visible()
    expect(page.get_by_role("link", name="catalogue.pdf")).to_be_visible()
    expect(vetting_bar(page)).to_have_attribute("aria-valuenow", "75")
    expect(page.get_by_role("heading", name="Vetting: 75% done")).to_be_visible()
    expect(page.get_by_text("No trial job finished")).to_be_visible()


def choose_freelancer(page, name):
    """Type the first letters of the name, wait for the suggestion the page fetches, take it."""
    field = page.get_by_label("Freelancer")
    field.press_sequentially(name[:4])
    suggestion = page.locator(f"#{field.get_attribute('id')}-suggestions option")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_have_attribute("value", re.compile(f"^{name} <"))
    field.fill(suggestion.get_attribute("value"))


def create_trial_project(page):
    """Scenario 2: a trial project with two milestones, 10% contingency and 3 days' leeway."""
    menu(page, "Projects")
    page.get_by_role("link", name=re.compile("New project")).click()
    page.locator("#id_title").fill(PROJECT)
    page.get_by_label("Brief").fill("Fix names, prices and photos of the 40 products.")
    choose_freelancer(page, FREELANCER)
    page.get_by_label("Trial job").check()
    page.locator("#id_status").select_option(label="Active")
    page.get_by_label("Start").fill(day())
    page.locator("#id_due_on").fill(day(14))
    page.get_by_label("Schedule leeway (days)").fill("3")
    page.locator("#id_budget").fill("400")
    page.get_by_label("Budget contingency (%)").fill("10")
    page.get_by_label("Check in every (days)").fill("7")
    for row, (title, due, amount) in enumerate(
        [("Names and prices", day(6), "200"), ("Photos", day(13), "200")]
    ):
        page.locator(f"#id_milestones-{row}-title").fill(title)
        page.locator(f"#id_milestones-{row}-due_on").fill(due)
        page.locator(f"#id_milestones-{row}-amount").fill(amount)
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text(f"Project “{PROJECT}” was created.")).to_be_visible()
    expect(page.get_by_role("heading", name=PROJECT, level=1)).to_be_visible()
    expect(page.get_by_text("Trial job", exact=True)).to_be_visible()
    expect(page.get_by_text("plus 3 days of leeway")).to_be_visible()
    expect(page.get_by_text("+ 10% contingency (USD 40.00)")).to_be_visible()
    expect(page.get_by_text("Budget: On track")).to_be_visible()

    page.get_by_role("button", name="Record payment").first.click()
    payment = opened(page.locator("#add-payment"))
    payment.get_by_label("Amount").fill("420")
    payment.get_by_label("Paid on").fill(day())
    payment.get_by_label("Note").fill("Names and prices, plus extra photo editing")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment of 420")).to_be_visible()
    expect(page.get_by_text("Budget: At risk")).to_be_visible()
    screenshot(page, "scenario-project.png")

    menu(page, "Dashboard")
    attention = page.get_by_role("region", name="Projects needing attention")
    expect(attention.get_by_role("link", name=PROJECT)).to_be_visible()
    badge = attention.locator(".health", has_text="Budget: At risk")
    expect(badge).to_have_class(re.compile(r"\bhealth-amber\b"))
    expect(attention).to_contain_text("spent 105% of budget, 50% of contingency left")
    # The amber comes from the stylesheet: proof the static files are served.
    expect(badge).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")


def post_update_through_link(new_page, owner, live_server):
    """Scenario 3: the freelancer opens their signed link, not logged in, and asks a question."""
    project = Project.objects.get(title=PROJECT)
    checkin = project.checkins.order_by("scheduled_for").first()
    assert checkin is not None, "an active project has planned check-ins"
    path = urlsplit(checkin_link(checkin, project.freelancer)).path
    assert path.startswith("/checkin/")

    freelancer = new_page()  # a fresh context: no owner cookies
    freelancer.goto(live_server.url + path)
    expect(freelancer.get_by_role("heading", name=f"Your update on “{PROJECT}”")).to_be_visible()
    expect(freelancer.get_by_role("link", name="Dashboard")).to_have_count(0)
    freelancer.get_by_label("Progress").fill("Names and prices are done for 30 of the 40 products.")
    freelancer.get_by_label("Some concerns").check()
    freelancer.get_by_label("Questions for the owner").fill("Should discontinued products be removed?")
    freelancer.get_by_role("button", name="Send my update").click()
    expect(freelancer.get_by_text("your update was sent to the project owner")).to_be_visible()

    owner.goto("/")
    updates = owner.get_by_role("region", name="Updates from freelancers")
    expect(updates.get_by_role("link", name=PROJECT)).to_be_visible()
    expect(updates).to_contain_text(f"Update from {FREELANCER}")
    expect(updates).to_contain_text("Should discontinued products be removed?")
    expect(updates.get_by_text("Unread")).to_be_visible()
    screenshot(owner, "scenario-dashboard.png")


def complete_with_bad_review(page):
    """Scenario 4: approve the milestones, complete, review 'would rehire: no' → do-not-hire."""
    menu(page, "Projects")
    # The list's own row; the chart above it may repeat the link for screen readers.
    page.get_by_role("link", name=PROJECT, exact=True).last.click()
    for title in ("Names and prices", "Photos"):
        row = page.get_by_role("row", name=re.compile(title))
        row.get_by_label(f"Status of {title}").select_option(label="Approved")
        row.get_by_role("button", name="Set").click()
        expect(page.get_by_text(f"“{title}” is now approved.")).to_be_visible()

    page.get_by_role("link", name="Complete").click()
    expect(page.get_by_role("heading", name=f"Complete “{PROJECT}”")).to_be_visible()
    for group in ("Quality", "Communication", "Timeliness", "Keeping to budget"):
        page.get_by_role("group", name=re.compile(group)).get_by_label("2", exact=True).check()
    page.get_by_label("Do differently").fill("Agree on the photo style before starting.")
    page.get_by_label("Debriefed on").fill(day())
    page.get_by_label("Would rehire").select_option(label="No")
    page.get_by_label("Mark the freelancer do-not-hire").check()
    page.get_by_role("button", name="Complete project").click()
    expect(page.get_by_text(f"“{PROJECT}” is completed and reviewed.")).to_be_visible()
    expect(page.get_by_text("would rehire: No")).to_be_visible()

    page.get_by_role("link", name=FREELANCER).first.click()
    expect(page.locator(".badge", has_text="Do not hire")).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Do not hire")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=f"Review of “{PROJECT}”")).to_be_visible()

    menu(page, "Projects")
    page.get_by_role("link", name=re.compile("New project")).click()
    page.locator("#id_title").fill("Write the spring newsletter")
    choose_freelancer(page, FREELANCER)
    page.get_by_label("Start").fill(day())
    page.locator("#id_due_on").fill(day(7))
    page.locator("#id_budget").fill("100")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    expect(page.get_by_text(f"{FREELANCER} is marked do-not-hire")).to_be_visible()
    assert not Project.objects.filter(title="Write the spring newsletter").exists()


def test_owner_vets_hires_hears_from_and_reviews_a_freelancer(owner_page, new_page, live_server):
    create_and_vet_freelancer(owner_page)
    create_trial_project(owner_page)
    post_update_through_link(new_page, owner_page, live_server)
    complete_with_bad_review(owner_page)


def test_the_owner_adds_a_third_and_a_fourth_milestone_to_a_new_project(owner_page):
    page = owner_page
    menu(page, "Projects")
    page.get_by_role("link", name=re.compile("New project")).click()
    page.locator("#id_title").fill("Spring catalogue")
    page.get_by_label("Start").fill(day())
    page.locator("#id_due_on").fill(day(30))
    page.locator("#id_budget").fill("1000")
    add = page.get_by_role("button", name="Add a milestone")
    add.click()
    expect(page.locator("#id_milestones-2-title")).to_be_focused()
    add.click()
    titles = ["Brief", "Drafts", "Photos", "Final files"]
    for row, title in enumerate(titles):
        page.locator(f"#id_milestones-{row}-title").fill(title)
        page.locator(f"#id_milestones-{row}-due_on").fill(day(5 * (row + 1)))
        page.locator(f"#id_milestones-{row}-amount").fill("200")
    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_text("Project “Spring catalogue” was created.")).to_be_visible()
    project = Project.objects.get(title="Spring catalogue")
    assert list(project.milestones.values_list("title", "order")) == [
        (title, position) for position, title in enumerate(titles, start=1)
    ]


@pytest.mark.parametrize(
    "path", ["/", "/freelancers/", "/projects/", "/checkins/", "/accounts/password/", "/freelancers/1/"]
)
def test_anonymous_visitor_lands_on_the_login_page(new_page, path):
    """Scenario 5: a stranger opening any page of the app is sent to the login page."""
    page = new_page()
    page.goto(path)
    next_ = f"({re.escape(path)}|{re.escape(quote(path, safe=''))})"
    expect(page).to_have_url(re.compile(rf"/accounts/login/\?next={next_}$"))
    expect(page.get_by_role("heading", name="Log in to Helping Hands")).to_be_visible()
    expect(page.get_by_role("link", name="Freelancers")).to_have_count(0)


def test_login_page_is_styled(new_page):
    """The live server serves the static files the pages link to (Bootstrap, app CSS)."""
    page = new_page()
    response = page.goto(reverse("login"))
    assert response.ok
    styles = page.evaluate("[...document.styleSheets].map(s => s.cssRules.length)")
    assert len(styles) >= 2 and all(count > 0 for count in styles)


def test_screenshots_of_the_dashboard_and_a_project_with_the_demo_data(owner_page):
    """The pictures CI keeps: what the owner sees with the demo data loaded."""
    from django.core.management import call_command

    from projects.models import Project

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    owner_page.goto("/")
    expect(owner_page.get_by_role("heading", name="Projects needing attention")).to_be_visible()
    screenshot(owner_page, "dashboard.png")
    troubled = Project.objects.get(title="Instagram content calendar")
    owner_page.goto(troubled.get_absolute_url())
    expect(owner_page.get_by_text("Budget: In trouble").first).to_be_visible()
    screenshot(owner_page, "project.png")


@pytest.mark.parametrize("model", ["projects/project", "freelancers/freelancer"])
def test_the_admin_export_pages_select_all_box_clears_and_ticks_every_column(
    owner_page, browser_problems, model
):
    """The export page's toggle works under the Content-Security-Policy (no inline handler)."""
    owner_page.goto(f"/admin/{model}/export/")
    columns = owner_page.locator(".selectable-field-export-row input[type=checkbox]")
    expect(columns.first).to_be_checked()
    toggle = owner_page.get_by_label("Select all")

    toggle.uncheck()
    for column in columns.all():
        expect(column).not_to_be_checked()
    toggle.check()
    for column in columns.all():
        expect(column).to_be_checked()
    assert browser_problems.take(owner_page) == []
