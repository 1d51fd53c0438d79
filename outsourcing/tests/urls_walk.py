"""Walking the URLconf: every named URL, each parameter filled with a real row of the right
model, and the data that gives every page a row to open.

The walks that visit every page (the phone-width walk, the money walk, the role walk) all take
their URLs from here, so a page added to the URLconf is walked by each of them, and one that
takes a parameter the walk cannot fill fails the walks until it is taught here.
"""

import os
from contextlib import contextmanager

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import URLResolver, get_resolver, reverse
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from dashboard.management.commands.seed_demo import DEMO_TEAM
from dashboard.models import Authenticator
from freelancers.models import AccessGrant, Freelancer, WorkSample
from freelancers.tests.factories import WorkSampleFactory
from freelancers.views import SECTIONS
from milestones.deliverables import receive_deliverable
from milestones.links import checkin_token
from milestones.models import CalendarFeed, CheckIn, Deliverable, EmailReply, Reminder
from milestones.services import post_freelancer_update
from projects.models import Project

SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


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
        if name.startswith(admin_prefix(model) + "_"):
            return model
    return None


def admin_prefix(model):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}"


def admin_url(model, view, *args):
    """The admin's `view` page (changelist, change, history, export...) of `model`."""
    return reverse(f"{admin_prefix(model)}_{view}", args=args)


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
        if name.startswith("inbound_"):
            # An ESP's inbound webhook is no page: it takes the ESP's signed posts only, and is
            # not there until configured (milestones/tests/test_inbound_webhooks.py).
            return []
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
        deliverable = {"pk": first(Deliverable.objects.filter(state=Deliverable.State.RECEIVED)).pk}
        held_reply = {"pk": first(EmailReply.objects.filter(state=EmailReply.State.HELD)).pk}
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
            "milestones:approve_reply": [held_reply],
            "milestones:discard_reply": [held_reply],
            "milestones:deliverable_download": [deliverable],
            "milestones:deliverable_accept": [deliverable],
            "milestones:deliverable_send_back": [deliverable],
            "milestones:deliverable_list": [{"project_pk": project.pk}],
            "milestones:deliverable_upload": [{"project_pk": project.pk}],
            "milestones:retry_reminder": [
                {"pk": first(Reminder.objects.filter(state=Reminder.State.FAILED)).pk}
            ],
            "checkin_update": [{"token": checkin_token(checkin, checkin.project.freelancer)}],
            "calendar_feed": [{"secret": first(CalendarFeed.objects.all()).secret}],
        }


def demo_data():
    """The demo business, plus a row for each page the demo data leaves empty."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    WorkSampleFactory(
        freelancer=Freelancer.objects.order_by("pk").first(),
        file=SimpleUploadedFile("portfolio.pdf", SMALL_PDF, content_type="application/pdf"),
    )
    CalendarFeed.rotate(get_user_model().objects.get(username=DEMO_TEAM[0]["username"]))
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
    # The freelancer's update on the check-in the walk opens, not yet read by the owner.
    checkin = first(CheckIn.objects.filter(project__in=Project.objects.in_progress(), held_on__isnull=True))
    post_freelancer_update(
        checkin=checkin,
        freelancer=checkin.project.freelancer,
        progress="Half the pages are done.",
        on_track="green",
    )
    # A file the freelancer of the project the walk opens attached to a reply, still to review.
    project = first(Project.objects.filter(milestones__isnull=False, backups__isnull=False))
    receive_deliverable(
        milestone=first(project.milestones.all()),
        name="wireframes.pdf",
        content=SMALL_PDF,
        sender_email=project.freelancer.email,
        channel=Deliverable.Channel.REPLY_EMAIL,
        freelancer=project.freelancer,
    )
    # A reply by email from another address than the reminder went to, held for the owner.
    EmailReply.objects.create(
        message_key="walk-held-reply",
        checkin=checkin,
        freelancer=checkin.project.freelancer,
        sender="ana.personal@example.net",
        subject="Re: Check-in",
        text="Sent from my other address: half the pages are done.",
        state=EmailReply.State.HELD,
        via="smtp",
        raw=b"From: ana.personal@example.net\r\nSubject: Re: Check-in\r\n\r\nHalf the pages are done.\r\n",
    )
    # A reminder that could not be sent, as the failed-reminders page lists them.
    Reminder.objects.create(
        kind=Reminder.Kind.CHECKIN_UPCOMING,
        target=checkin,
        recipient=checkin.project.owner.email,
        user=checkin.project.owner,
        project=checkin.project,
        due_slot=checkin.scheduled_for.isoformat(),
        state=Reminder.State.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    # The owner's authenticator app, as the admin lists them.
    Authenticator.objects.create(
        user=get_user_model().objects.get(username=DEMO_TEAM[0]["username"]), name="Phone", confirmed=True
    )
    # The schedules of the admin's periodic tasks.
    crontab = CrontabSchedule.objects.create(minute="0", hour="7")
    PeriodicTask.objects.create(name="Morning check", task="milestones.tasks.scan", crontab=crontab)
    IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    SolarSchedule.objects.create(event="sunrise", latitude=52.5, longitude=13.4)
    ClockedSchedule.objects.create(clocked_time="2030-01-01T07:00Z")


@contextmanager
def demo_data_for_a_module(media_root):
    """The demo data, seeded once for every test of a module and rolled back after the last.

    Seeding takes seconds; each test still runs in its own transaction inside this one, so
    what one test writes is gone before the next. The block counts as a test case's own, so
    services that insist on starting the outermost transaction still run inside it.
    """
    with override_settings(
        MEDIA_ROOT=str(media_root), PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        atomic = transaction.atomic()
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            demo_data()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# Tables whose rows change with every request whoever makes it: the login session.
NOT_DATA = {"django_session"}


def table_fingerprints():
    """{table: (rows, digest of their content)} for every table, in one query: two equal
    fingerprints mean nothing was added, removed or changed."""
    tables = sorted(set(connection.introspection.table_names()) - NOT_DATA)
    quote = connection.ops.quote_name
    digest = "coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)"  # whatever the rows' order
    # The table names come from the database itself, quoted; nothing typed reaches this query.
    query = " UNION ALL ".join(
        f"SELECT %s, count(*), {digest} FROM {quote(name)} t"  # noqa: S608
        for name in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return {name: (rows, digest) for name, rows, digest in cursor.fetchall()}


def changed_tables(before, after):
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
