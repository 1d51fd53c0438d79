"""Every URL of the URLconf and every admin page, opened and posted to as each kind of person:
the Owner, an Assistant (both staff), someone logged in with no role, someone deactivated
after logging in, and an anonymous visitor.

What each may do is written once, in RULES below (the apps' pages) and ADMIN_VIEWS (the
admin's, by the permission of the page's model). A URL added to the URLconf without a rule
fails test_every_url_has_a_rule, so the next page is covered without anyone remembering to.
"""

from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse

from common.roles import OWNER
from conftest import make_user
from freelancers.models import Freelancer
from freelancers.views import SECTIONS
from milestones.models import CalendarFeed
from outsourcing.tests.logins import Client
from outsourcing.tests.posts import Posts, formset_data, post_data
from outsourcing.tests.urls_walk import (
    Arguments,
    admin_model,
    admin_prefix,
    admin_url,
    changed_tables,
    named_routes,
    table_fingerprints,
)
from projects.models import Project

pytestmark = pytest.mark.django_db

PUBLIC = "anyone, without logging in"
LOGIN = "anyone logged in"
STAFF = "staff"
NOBODY = "nobody"


@dataclass(frozen=True)
class Rule:
    """Who may use a URL (a permission, or one of the words above; a function of the URL's
    arguments when they decide it) and what its GET answers them."""

    needs: object
    shows: frozenset = field(default=frozenset({HTTPStatus.OK}))


def section(action):
    """The permission for `action` on the kind of record a profile section holds."""
    return lambda kwargs: SECTIONS[kwargs["section"]].permission(action)


def item_delete(kwargs):
    # The access register is a record of what was given: grants are revoked, never deleted.
    return NOBODY if kwargs["section"] == "access" else section("delete")(kwargs)


POST_ONLY = frozenset({HTTPStatus.METHOD_NOT_ALLOWED})
REDIRECTS = frozenset({HTTPStatus.FOUND})

RULES = {
    "dashboard": Rule(LOGIN),  # each panel follows its own permission (test_dashboard_permissions)
    "healthz": Rule(PUBLIC, {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}),  # 503 names what is down
    "login": Rule(PUBLIC, {HTTPStatus.OK, HTTPStatus.FOUND}),  # someone logged in goes on
    "logout": Rule(LOGIN, POST_ONLY),
    "password_change": Rule(LOGIN),
    "password_change_done": Rule(LOGIN),
    # Someone whose login is complete is sent on from the code page; anyone may turn it on.
    "accounts:verify": Rule(LOGIN, {HTTPStatus.OK, HTTPStatus.FOUND}),
    "accounts:setup": Rule(LOGIN),
    "accounts:recovery_codes": Rule(LOGIN, POST_ONLY),
    "freelancers:list": Rule("freelancers.view_freelancer"),
    "freelancers:create": Rule("freelancers.add_freelancer"),
    "freelancers:access": Rule("freelancers.view_accessgrant"),
    "freelancers:names": Rule("freelancers.view_freelancer"),
    "freelancers:sample_file": Rule("freelancers.view_worksample"),
    "freelancers:detail": Rule("freelancers.view_freelancer"),
    "freelancers:edit": Rule("freelancers.change_freelancer"),
    "freelancers:status": Rule("freelancers.change_freelancer", POST_ONLY),
    "freelancers:do_not_hire": Rule("freelancers.change_freelancer", POST_ONLY),
    "freelancers:archive": Rule("freelancers.delete_freelancer", POST_ONLY),
    "freelancers:revoke": Rule("freelancers.change_accessgrant", POST_ONLY),
    "freelancers:item_create": Rule(section("add"), REDIRECTS),  # the form is on the profile
    "freelancers:item_edit": Rule(section("change")),
    "freelancers:item_delete": Rule(item_delete, POST_ONLY),
    "projects:list": Rule("projects.view_project"),
    "projects:create": Rule("projects.add_project"),
    "projects:reviews_owed": Rule("projects.view_project"),
    "projects:detail": Rule("projects.view_project"),
    "projects:edit": Rule("projects.change_project"),
    "projects:archive": Rule("projects.delete_project", POST_ONLY),
    "projects:status": Rule("projects.change_project", POST_ONLY),
    "projects:mute_reminders": Rule("projects.change_project", POST_ONLY),
    "projects:replace": Rule("projects.change_project"),
    "projects:complete": Rule("projects.add_review"),
    "projects:payment_create": Rule("projects.add_payment", POST_ONLY),
    "projects:milestone_status": Rule("milestones.change_milestone", POST_ONLY),
    "projects:backup_create": Rule("projects.add_backup", POST_ONLY),
    "projects:backup_confirm": Rule("projects.change_backup", POST_ONLY),
    "projects:backup_remove": Rule("projects.delete_backup", POST_ONLY),
    "milestones:checkins": Rule("milestones.view_checkin"),
    "milestones:record": Rule("milestones.change_checkin"),
    "milestones:mark_read": Rule("milestones.change_checkin", POST_ONLY),
    "milestones:reminder_preferences": Rule(LOGIN),  # each person's own
    "milestones:failed_reminders": Rule("milestones.change_reminder"),
    "milestones:retry_failed_reminders": Rule("milestones.change_reminder", POST_ONLY),
    "milestones:retry_reminder": Rule("milestones.change_reminder", POST_ONLY),
    "milestones:calendar": Rule(LOGIN),  # each person's own feed
    "milestones:invite": Rule("milestones.view_checkin"),
    "milestones:deliverable_download": Rule("milestones.view_deliverable"),
    "milestones:deliverable_accept": Rule("milestones.change_deliverable", POST_ONLY),
    "milestones:deliverable_send_back": Rule("milestones.change_deliverable"),
    "milestones:deliverable_list": Rule("milestones.view_deliverable"),
    "milestones:deliverable_upload": Rule("milestones.add_deliverable"),
    "milestones:held_replies": Rule("milestones.change_checkin"),
    "milestones:approve_reply": Rule("milestones.change_checkin", POST_ONLY),
    "milestones:discard_reply": Rule("milestones.change_checkin", POST_ONLY),
    "checkin_update": Rule(PUBLIC),  # the signed token is the key
    # The ESPs' credentials are the key; not walked (urls_walk.Arguments): test_inbound_webhooks.
    "inbound_postmark": Rule(PUBLIC, {HTTPStatus.NOT_FOUND}),
    "inbound_mailgun": Rule(PUBLIC, {HTTPStatus.NOT_FOUND}),
    "inbound_sendgrid": Rule(PUBLIC, {HTTPStatus.NOT_FOUND}),
    "inbound_amazon_ses": Rule(PUBLIC, {HTTPStatus.NOT_FOUND}),
    "calendar_feed": Rule(PUBLIC),  # the secret is the key
    # The admin's own pages; its model pages follow ADMIN_VIEWS.
    "admin:index": Rule(STAFF),
    "admin:login": Rule(PUBLIC, {HTTPStatus.OK, HTTPStatus.FOUND}),
    "admin:logout": Rule(PUBLIC, POST_ONLY | REDIRECTS),  # someone not logged in goes to the index
    "admin:password_change": Rule(STAFF),
    "admin:password_change_done": Rule(STAFF),
    "admin:autocomplete": Rule(STAFF, {HTTPStatus.FORBIDDEN}),  # without a field to complete
    "admin:jsi18n": Rule(STAFF),
    "admin:view_on_site": Rule(STAFF, REDIRECTS),
    "admin:app_list": Rule(STAFF),
}

# The admin's pages of a model: the action on the model each needs, and what its GET answers
# someone who may. An admin may switch adding or deleting off for everyone (a project is
# archived, not deleted), so those pages may refuse the Owner too.
MAY_BE_SWITCHED_OFF = frozenset({HTTPStatus.OK, HTTPStatus.FORBIDDEN})
ADMIN_VIEWS = {
    "changelist": ("view", Rule.shows),
    "change": ("view", Rule.shows),
    "history": ("view", Rule.shows),
    "simple_history": ("view", Rule.shows),  # an old version, to read
    "export": ("view", Rule.shows),
    "add": ("add", MAY_BE_SWITCHED_OFF),
    "delete": ("delete", MAY_BE_SWITCHED_OFF),
    "import": ("add", MAY_BE_SWITCHED_OFF),
    "process_import": ("add", MAY_BE_SWITCHED_OFF | POST_ONLY),  # the import's second step
    "password_change": ("change", Rule.shows),
}


def rule_for(name):
    if name in RULES:
        return RULES[name]
    model = admin_model(name)
    view = name.removeprefix(admin_prefix(model) + "_") if model else None
    if view not in ADMIN_VIEWS:
        return None
    action, shows = ADMIN_VIEWS[view]
    opts = model._meta
    actions = ("view", "change") if action == "view" else (action,)  # changing includes seeing
    return Rule(tuple(f"{opts.app_label}.{name}_{opts.model_name}" for name in actions), shows)


def logged_in(user):
    return user.is_authenticated and user.is_active


def may(user, name, kwargs):
    rule = rule_for(name)
    needs = rule.needs(kwargs) if callable(rule.needs) else rule.needs
    if needs == PUBLIC:
        return True
    if not logged_in(user) or needs == NOBODY:
        return False
    if name.startswith("admin:") and not user.is_staff:
        return False
    if needs in (LOGIN, STAFF):
        return True
    return any(user.has_perm(permission) for permission in ([needs] if isinstance(needs, str) else needs))


def sent_to_login(response):
    logins = (reverse("login"), reverse("admin:login"))
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(logins)


def refusal_problem(user, name, response, *, post_only=False):
    """What is wrong with how `response` refused `user`, or None."""
    status = response.status_code
    if not logged_in(user) or (name.startswith("admin:") and not user.is_staff):
        if sent_to_login(response):
            return None
        return f"answered {status} ({response.get('Location')}), not the login page"
    if status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        return None
    if post_only and status == HTTPStatus.METHOD_NOT_ALLOWED:
        return None
    return f"answered {status} to someone it should refuse"


# What anyone opens, logged in or not (the login page sends someone logged in on).
OPEN_TO_ANYONE = {"healthz", "admin:login", "checkin_update", "calendar_feed"}

# The people


ROLES = ["owner", "assistant", "no_role", "deactivated", "anonymous"]


@pytest.fixture
def people(walk_data, owner, assistant, outsider, django_user_model):
    """{role: (user, client)}: a client logged in as each, with its user."""
    assistant.is_staff = True
    assistant.save()
    former = make_user(django_user_model, "fran", OWNER, is_staff=True)
    clients = {}
    for role, user in [
        ("owner", owner),
        ("assistant", assistant),
        ("no_role", outsider),
        ("deactivated", former),
    ]:
        clients[role] = (user, Client())
        clients[role][1].force_login(user)
    # Deactivated after logging in: the session is still in the browser.
    former.is_active = False
    former.save()
    clients["anonymous"] = (AnonymousUser(), Client())
    return clients


def pages(user, owner):
    """(name, kwargs, path) of every URL with real arguments, admin and all."""
    arguments = Arguments(user if user.is_authenticated else owner)
    for name, keywords, positional in named_routes():
        for args, kwargs in arguments(name, keywords, positional):
            yield name, kwargs, reverse(name, args=args, kwargs=kwargs)


# The rules cover every URL


def test_every_url_has_a_rule():
    missing = sorted(name for name, _, _ in named_routes() if rule_for(name) is None)

    assert not missing, f"Say in RULES (or ADMIN_VIEWS) who may use {missing}"


def test_every_rule_names_a_url_that_exists():
    names = {name for name, _, _ in named_routes()}

    assert set(RULES) - names == set()


def test_the_walk_knows_a_model_page_by_its_models_permission():
    rule = rule_for(f"{admin_prefix(Project)}_changelist")

    assert rule.needs == ("projects.view_project", "projects.change_project")


# Opening every page


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_its_permissions_allow(people, owner, role):
    user, client = people[role]
    problems, opened = [], []

    for name, kwargs, path in pages(user, owner):
        response = client.get(path)
        rule = rule_for(name)
        if rule is None:
            continue  # test_every_url_has_a_rule names it
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            problems.append(f"{path} ({name}) answered {response.status_code}")
        elif may(user, name, kwargs):
            if response.status_code not in rule.shows:
                problems.append(f"{path} ({name}) answered {response.status_code}, not {set(rule.shows)}")
            elif response.status_code == HTTPStatus.OK:
                opened.append(name)
        elif problem := refusal_problem(user, name, response, post_only=rule.shows == POST_ONLY):
            problems.append(f"{path} ({name}) {problem}")

    assert not problems, "\n".join(problems)
    # What each opened, so the walk cannot pass by opening nothing.
    if role in ("owner", "assistant"):
        for model in (Project, Freelancer):
            assert {f"{admin_prefix(model)}_{view}" for view in ("changelist", "history", "export")} <= set(
                opened
            )
        assert {"projects:detail", "freelancers:detail", "milestones:checkins"} <= set(opened)
    if role == "owner":
        assert {
            "freelancers:access",
            "admin:projects_payment_changelist",
            "milestones:failed_reminders",
        } <= set(opened)
    if role == "no_role":
        assert set(opened) == OPEN_TO_ANYONE | {
            "dashboard",
            "password_change",
            "password_change_done",
            "accounts:setup",
            "milestones:reminder_preferences",
            "milestones:calendar",
        }
    if role in ("deactivated", "anonymous"):
        assert set(opened) == OPEN_TO_ANYONE | {"login"}


# Posting to every URL


def admin_posts(owner_client):
    """(name, kwargs, path, data) of every admin post that writes: each changelist action the
    Owner is offered on the first row, a change and an add posted as the change page shows
    the first row, a delete confirmed, an old version posted back."""
    request = owner_client.get(reverse("admin:index")).wsgi_request
    for model, model_admin in admin.site._registry.items():
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is None:
            continue
        prefix = admin_prefix(model)
        change = owner_client.get(admin_url(model, "change", row.pk))
        shown = {}
        if change.status_code == HTTPStatus.OK and "adminform" in change.context:
            shown = post_data(change.context["adminform"].form)
            for inline in change.context["inline_admin_formsets"]:
                shown.update(formset_data(inline.formset))
        changelist = owner_client.get(admin_url(model, "changelist"))
        action_form = changelist.context.get("action_form") if changelist.context else None
        for action, _ in action_form.fields["action"].choices[1:] if action_form else []:
            data = {"action": action, "_selected_action": [row.pk], "post": "yes", "index": 0}
            yield f"{prefix}_changelist", {}, admin_url(model, "changelist"), data
        yield f"{prefix}_change", {"object_id": row.pk}, admin_url(model, "change", row.pk), shown
        yield f"{prefix}_add", {}, admin_url(model, "add"), shown
        yield f"{prefix}_delete", {"object_id": row.pk}, admin_url(model, "delete", row.pk), {"post": "yes"}
        if hasattr(row, "history") and hasattr(model_admin, "history_form_view"):
            version = row.history.order_by("history_date").first()
            if version is not None:
                path = reverse(f"{prefix}_simple_history", args=[row.pk, version.history_id])
                yield f"{prefix}_simple_history", {}, path, {**shown, "_save": "Revert"}


@pytest.fixture(scope="module")
def post_cache():
    return {}


def every_post(owner_client, owner, cache):
    """(name, kwargs, path, data) of a post to every URL, the admin's writes included; read from
    the Owner's pages once per module, as the module's data stays the same."""
    if not cache:
        posts = Posts(owner_client, owner)
        cache["posts"] = [
            (name, kwargs, path, posts.data(name, kwargs)) for name, kwargs, path in pages(owner, owner)
        ] + list(admin_posts(owner_client))
    return cache["posts"]


@pytest.mark.parametrize("role", ["assistant", "no_role", "deactivated", "anonymous"])
def test_each_role_is_refused_every_post_it_may_not_make_and_nothing_changes(people, owner, role, post_cache):
    user, client = people[role]
    refused = [
        (name, path, data)
        for name, kwargs, path, data in every_post(people["owner"][1], owner, post_cache)
        if rule_for(name) is not None and not may(user, name, kwargs)
    ]
    problems = []

    before = table_fingerprints()
    with transaction.atomic():
        for name, path, data in refused:
            response = client.post(path, data)
            if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
                problems.append(f"POST {path} ({name}) answered {response.status_code}")
            elif name.startswith("admin:") and logged_in(user) and user.is_staff:
                pass  # the admin refuses in its own ways (403, a message): nothing may change
            elif problem := refusal_problem(user, name, response):
                problems.append(f"POST {path} ({name}) {problem}")
        changed = changed_tables(before, table_fingerprints())
        transaction.set_rollback(True)

    assert len(refused) > 50
    assert not problems, "\n".join(problems)
    assert not changed, f"{changed} changed; {posts_that_write(client, refused)}"


def posts_that_write(client, posts):
    """Which of `posts` change a table, each tried on its own: once something changed, this
    names the culprits (comparing the tables around every post would slow every run)."""
    culprits = []
    for name, path, data in posts:
        with transaction.atomic():
            before = table_fingerprints()
            client.post(path, data)
            if changed := changed_tables(before, table_fingerprints()):
                culprits.append(f"POST {path} ({name}) changed {changed}")
            transaction.set_rollback(True)
    return culprits


def test_the_owners_posts_of_the_same_data_are_accepted(people, owner):
    """The posts the walk makes as people who may not are real: the Owner's same post writes."""
    client = people["owner"][1]
    posts = Posts(client, owner)
    problems = []

    for name in posts.names():
        for kwargs, data in posts(name):
            if not may(owner, name, kwargs):
                continue  # refused to everyone, like deleting a record of access given
            path = reverse(name, kwargs=kwargs)
            with transaction.atomic():
                before = table_fingerprints()
                response = client.post(path, data)
                changed = changed_tables(before, table_fingerprints())
                transaction.set_rollback(True)
            client.force_login(owner)  # a changed password, rolled back, ends the session
            if response.status_code not in (HTTPStatus.FOUND, HTTPStatus.OK) or sent_to_login(response):
                problems.append(f"POST {path} ({name}) answered {response.status_code}")
            elif not changed:
                problems.append(f"POST {path} ({name}) changed nothing")

    assert not problems, "\n".join(problems)


def test_a_deactivated_users_calendar_feed_is_gone(people, client):
    user, _ = people["deactivated"]
    feed = CalendarFeed.rotate(user)

    assert client.get(feed.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
