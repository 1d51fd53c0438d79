"""Every page of the site on a phone (375 px wide), as the owner and as an assistant, with the demo data.

The pages are not a chosen list: they are every named URL of the URLconf, the admin's included,
whose GET answers that person with an HTML page, each parameter filled with a real row of the
right model. A page passes when it does not scroll sideways; like every browser test, the walk
also fails on any console error, uncaught exception or Content-Security-Policy violation.
"""

import os

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver, reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from freelancers.models import AccessGrant, Freelancer, WorkSample
from freelancers.tests.factories import WorkSampleFactory
from freelancers.views import SECTIONS
from milestones.links import checkin_token
from milestones.models import CalendarFeed, CheckIn, Milestone, Reminder
from outsourcing.management.commands.seed_demo import DEMO_TEAM

# The fixtures (browser, browser_problems, new_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403
from outsourcing.tests.test_browser import SMALL_PDF
from projects.models import Project

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


def named_routes(patterns=None, namespace=""):
    """Every named URL as (the name reverse() takes, its keyword parameters, its positional count)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            # No include() of ours takes parameters, so the inner patterns carry them all.
            yield from named_routes(entry.url_patterns, ":".join(filter(None, [namespace, entry.namespace])))
        elif entry.name:
            regex = entry.pattern.regex
            positional = regex.groups - len(regex.groupindex)
            yield ":".join(filter(None, [namespace, entry.name])), frozenset(regex.groupindex), positional


def admin_model(name):
    """The model an admin URL name such as admin:projects_project_change belongs to, if any."""
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def first(queryset):
    row = queryset.order_by("pk").first()
    assert row is not None, f"No {queryset.model._meta.verbose_name} to open: add one to the walk's data."
    return row


class Arguments:
    """The arguments that open each URL with the data at hand, for one person."""

    def __init__(self, user):
        self.user = user
        self.freelancer = first(Freelancer.objects.filter(references__isnull=False, samples__isnull=False))
        self.project = first(Project.objects.filter(milestones__isnull=False, backups__isnull=False))
        self.checkin = first(
            CheckIn.objects.filter(project__in=Project.objects.in_progress(), held_on__isnull=True)
        )
        self.special = self.special_cases()

    def __call__(self, name, keywords, positional):
        """The (args, kwargs) that open `name`: one pair per page to visit."""
        if not keywords and not positional:
            return [((), {})]
        model = admin_model(name)
        if model and name.endswith("_simple_history") and positional == 2:
            row = first(model.objects.all())
            return [((row.pk, first(row.history.all()).history_id), {})]
        if model and keywords == {"object_id"}:
            return [((), {"object_id": first(model.objects.all()).pk})]
        if model is get_user_model() and keywords == {"id"}:
            return [((), {"id": self.user.pk})]
        if name in self.special:
            return [((), kwargs) for kwargs in self.special[name]]
        # The apps' own pages take the pk of the model their app is named for.
        owners = {"freelancers": self.freelancer, "projects": self.project, "milestones": self.checkin}
        namespace = name.partition(":")[0]
        if keywords == {"pk"} and namespace in owners:
            return [((), {"pk": owners[namespace].pk})]
        parameters = ", ".join(sorted(keywords))
        raise AssertionError(f"The walk cannot open {name} ({parameters}) yet: teach it how.")

    def special_cases(self):
        project, checkin = self.project, self.checkin
        grant = first(AccessGrant.objects.all())
        # The admin answers 404, not 403, for an app whose models a person may not see.
        app_labels = sorted({model._meta.app_label for model in admin.site._registry})
        items = [
            {"pk": row.freelancer_id, "section": section, "item_pk": row.pk}
            for section, kind in SECTIONS.items()
            for row in [first(kind.model.objects.all())]
        ]
        backup = {"pk": project.pk, "backup_pk": first(project.backups.all()).pk}
        milestone = first(project.milestones.all())
        return {
            "admin:app_list": [
                {"app_label": label} for label in app_labels if self.user.has_module_perms(label)
            ],
            "admin:view_on_site": [
                {"content_type_id": ContentType.objects.get_for_model(Project).pk, "object_id": project.pk}
            ],
            "freelancers:sample_file": [{"pk": first(WorkSample.objects.exclude(file="")).pk}],
            "freelancers:revoke": [{"pk": grant.freelancer_id, "grant_pk": grant.pk}],
            "freelancers:item_create": [
                {"pk": self.freelancer.pk, "section": section} for section in SECTIONS
            ],
            "freelancers:item_edit": items,
            "freelancers:item_delete": items,
            "projects:milestone_status": [{"pk": project.pk, "milestone_pk": milestone.pk}],
            "projects:backup_confirm": [backup],
            "projects:backup_remove": [backup],
            "milestones:retry_reminder": [{"pk": checkin.pk}],  # POST only: any number shows that
            "checkin_update": [{"token": checkin_token(checkin, checkin.project.freelancer)}],
            "calendar_feed": [{"secret": first(CalendarFeed.objects.all()).secret}],
        }


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


def demo_data():
    """The demo business, plus a row for each page the demo data leaves empty."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    WorkSampleFactory(
        freelancer=Freelancer.objects.order_by("pk").first(),
        file=SimpleUploadedFile("portfolio.pdf", SMALL_PDF, content_type="application/pdf"),
    )
    CalendarFeed.rotate(get_user_model().objects.get(username=DEMO_TEAM[0]["username"]))
    # A reminder the mail server refused, for the reminder log.
    milestone = Milestone.objects.select_related("project__owner").order_by("pk").first()
    Reminder.objects.create(
        kind=Reminder.Kind.MILESTONE_OVERDUE,
        target=milestone,
        recipient=milestone.project.owner.email,
        user=milestone.project.owner,
        project=milestone.project,
        due_slot=milestone.due_on.isoformat(),
        state=Reminder.State.FAILED,
        attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    # A mistyped password and a login, as the lockout records keep them.
    attempt = {
        "username": DEMO_TEAM[0]["username"],
        "ip_address": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        "http_accept": "text/html",
        "path_info": reverse("login"),
    }
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)
    AccessLog.objects.create(**attempt)
    # The schedules of the admin's periodic tasks.
    crontab = CrontabSchedule.objects.create(minute="0", hour="7")
    PeriodicTask.objects.create(name="Morning check", task="milestones.tasks.scan", crontab=crontab)
    IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    SolarSchedule.objects.create(event="sunrise", latitude=52.5, longitude=13.4)
    ClockedSchedule.objects.create(clocked_time="2030-01-01T07:00Z")


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
