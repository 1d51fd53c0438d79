"""What a browser posts to each page of the apps that takes a post: the form as shown, with
what a person would type filled in. The role walk posts it as people who may not (and the
Owner, who may, to show it is a post that writes); the form fuzz starts from it and spoils it.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from freelancers.models import Freelancer
from milestones.models import CheckIn
from outsourcing.tests.urls_walk import SMALL_PDF, Arguments, first, named_routes

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PASSWORD = "a-long-test-password"  # as /conftest.py sets it


def post_data(form, **overrides):
    """What the browser posts for `form` as it is shown: every field at its shown value."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        elif isinstance(value, datetime.date):
            data[key] = value.isoformat()
        elif value is not None:
            data[key] = str(value)
    data.update(overrides)
    return data


def formset_data(formset):
    data = post_data(formset.management_form)
    for form in formset.forms:
        data.update(post_data(form))
    return data


# What a person types into each kind of record on a freelancer's profile.
SECTION_ENTRIES = {
    "references": {"name": "Jo Park", "relationship": "Former client", "contact": "jo@example.com"},
    "testimonials": {"author": "Jo Park", "text": "Delivered the catalogue a day early."},
    "samples": {"title": "Spring catalogue", "url": "https://example.com/catalogue", "rating": "4"},
    "interviews": {"held_on": TODAY.isoformat(), "notes": "Clear about the timeline."},
    "access": {
        "system": "Shop admin",
        "why_needed": "Updates the product pages.",
        "granted_on": TODAY.isoformat(),
        "revoke_by": (TODAY + 30 * DAY).isoformat(),
    },
}


class RepostedFile(SimpleUploadedFile):
    """A file posted again and again (by each role, by each fuzzed example): each post sends
    it whole, where a plain file would be sent empty once read."""

    def read(self, *args):
        self.seek(0)
        return super().read(*args)


class Posts:
    """(kwargs, data) for each URL name that takes a post, read from the pages as `client`
    (the Owner's) shows them, so the data follows the forms as they change."""

    def __init__(self, client, owner):
        self.client = client
        self.arguments = Arguments(owner)
        self.project = self.arguments.project
        self.freelancer = self.arguments.freelancer

    def context(self, name, **kwargs):
        response = self.client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, (name, kwargs, response.status_code)
        return response.context

    def profile_form(self, name):
        return self.context("freelancers:detail", pk=self.freelancer.pk)["forms"][name]

    def project_form(self, name):
        return self.context("projects:detail", pk=self.project.pk)["forms"][name]

    def free_freelancer(self):
        """An approved freelancer on neither side of the project: its freelancer nor a backup."""
        taken = [self.project.freelancer_id, *self.project.backups.values_list("freelancer_id", flat=True)]
        return first(
            Freelancer.objects.active()
            .filter(status=Freelancer.Status.APPROVED, do_not_hire=False)
            .exclude(pk__in=[pk for pk in taken if pk])
        )

    def __call__(self, name):
        """[(kwargs, data)] for URL `name`: one post per set of arguments the walk opens it with."""
        kwargs_list = [kwargs for _, kwargs in self.arguments(name, *self.parameters(name))]
        return [(kwargs, self.data(name, kwargs)) for kwargs in kwargs_list]

    def names(self):
        """The URL names this knows a post for."""
        return [name for name, _, _ in named_routes() if hasattr(self, self.method(name))]

    def data(self, name, kwargs):
        """The post for `name` opened with `kwargs`; nothing for a URL that takes no form."""
        method = getattr(self, self.method(name), None)
        return method(**kwargs) if method else {}

    @staticmethod
    def method(name):
        return name.replace(":", "__")

    @staticmethod
    def parameters(name):
        return next((keywords, positional) for route, keywords, positional in named_routes() if route == name)

    # The site

    def password_change(self):
        return {
            "old_password": PASSWORD,
            "new_password1": "Tulip-harbour-1987",
            "new_password2": "Tulip-harbour-1987",
        }

    # Freelancers

    def freelancers__create(self):
        form = self.context("freelancers:create")["form"]
        return post_data(form, name="Ada Quinn", email="ada.quinn@example.com", new_skills="Copywriting")

    def freelancers__edit(self, pk):
        return post_data(self.context("freelancers:edit", pk=pk)["form"], notes="Prefers mornings.")

    def freelancers__status(self, pk):
        return {"status": Freelancer.Status.VETTING}

    def freelancers__do_not_hire(self, pk):
        return {"do_not_hire_reason": "Missed every deadline."}

    def freelancers__archive(self, pk):
        return {}

    def freelancers__revoke(self, pk, grant_pk):
        return {"revoked_on": TODAY.isoformat()}

    def freelancers__item_create(self, pk, section):
        return post_data(self.profile_form(section), **SECTION_ENTRIES[section])

    def freelancers__item_edit(self, pk, section, item_pk):
        form = self.context("freelancers:item_edit", pk=pk, section=section, item_pk=item_pk)["form"]
        return post_data(form)

    def freelancers__item_delete(self, pk, section, item_pk):
        return {}

    # Projects

    def projects__create(self):
        context = self.context("projects:create")
        data = post_data(
            context["form"],
            title="Spring catalogue",
            status="draft",
            start_on=TODAY.isoformat(),
            due_on=(TODAY + 30 * DAY).isoformat(),
            budget="900.00",
        )
        data.update(formset_data(context["formset"]))
        data.update({"milestones-0-title": "Product photos", "milestones-0-due_on": TODAY.isoformat()})
        return data

    def projects__edit(self, pk):
        context = self.context("projects:edit", pk=pk)
        return {
            **post_data(context["form"], brief="Now with a newsletter."),
            **formset_data(context["formset"]),
        }

    def projects__archive(self, pk):
        return {}

    def projects__status(self, pk):
        return {"status": "on_hold"}

    def projects__mute_reminders(self, pk):
        return {"muted": "on"}

    def projects__replace(self, pk):
        return {"freelancer": self.free_freelancer().pk, "reason": "Moved to another client."}

    def projects__complete(self, pk):
        return {
            **dict.fromkeys(("quality", "communication", "timeliness", "budget"), "4"),
            "went_well": "Clear updates.",
            "do_differently": "Agree on the photos first.",
            "debriefed_on": TODAY.isoformat(),
            "would_rehire": "yes",
            "unfinished_note": "The last milestone moved to the next project.",
        }

    def projects__payment_create(self, pk):
        return post_data(self.project_form("payment"), amount="120.00", paid_on=TODAY.isoformat())

    def projects__milestone_status(self, pk, milestone_pk):
        return {"status": "in_progress"}

    def projects__backup_create(self, pk):
        return post_data(self.project_form("backup"), freelancer=str(self.free_freelancer().pk), rank="3")

    def projects__backup_confirm(self, pk, backup_pk):
        return {}

    def projects__backup_remove(self, pk, backup_pk):
        return {}

    # Check-ins and reminders

    def milestones__record(self, pk):
        form = self.context("milestones:record", pk=pk)["form"]
        return post_data(form, held_on=TODAY.isoformat(), progress_note="Photos half done.", on_track="green")

    def milestones__mark_read(self, pk):
        return {}

    def milestones__reminder_preferences(self):
        form = self.context("milestones:reminder_preferences")["form"]
        return post_data(form, time_zone="Europe/Berlin")

    def milestones__retry_failed_reminders(self):
        return {}

    def milestones__retry_reminder(self, pk):
        return {}

    def milestones__calendar(self):
        return {}

    def milestones__deliverable_accept(self, pk):
        return {}

    def milestones__deliverable_send_back(self, pk):
        form = self.context("milestones:deliverable_send_back", pk=pk)["form"]
        return post_data(form, owner_note="The logo is the old one; use the file from May.")

    def milestones__deliverable_upload(self, project_pk):
        form = self.context("milestones:deliverable_upload", project_pk=project_pk)["form"]
        milestone = first(form.fields["milestone"].queryset)
        return {
            **post_data(form, milestone=str(milestone.pk)),
            "file": RepostedFile("final.pdf", SMALL_PDF, content_type="application/pdf"),
        }

    def checkin_update(self, token):
        return {"progress": "Half the photos are edited.", "on_track": CheckIn.OnTrack.GREEN, "questions": ""}
