from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.functional import lazy

from common.dates import date_range_formfield
from common.form_errors import add_service_errors
from common.uploads import HEAD_BYTES, allowed_files_help, check_file
from milestones import project_services
from milestones.deliverables import NOTE_LIMIT
from milestones.models import CheckIn, Milestone, Reminder, ReminderPreference
from milestones.services import PERCENT_DONE_WORDS, UPDATE_TEXT_LIMIT, check_held_on
from milestones.time_zones import zone_choices
from projects.models import Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHORT_TEXT = forms.Textarea(attrs={"rows": 3})
# Long enough for any real note, short enough that nobody can fill the database through the form.
TEXT_LIMIT = 20_000

# The colour and its meaning together, so the choice reads the same without colour.
ON_TRACK_CHOICES = [(value, f"{value.title()}: {label.lower()}") for value, label in CheckIn.OnTrack.choices]
CHOOSE_ON_TRACK = "Choose green, amber or red."

# How far ahead the list looks unless asked for every upcoming check-in.
UPCOMING_DAYS = 14


class CheckInFilterForm(forms.Form):
    """The list's project filter and how far ahead it looks, read from the query string."""

    # A title to search for, not a drop-down: a business with hundreds of projects in progress
    # would send every one of them with each page of the list.
    project = forms.CharField(
        required=False,
        max_length=160,
        widget=forms.TextInput(attrs={"placeholder": "Project's title", "type": "search"}),
    )
    upcoming = forms.ChoiceField(
        required=False,
        label="Upcoming",
        choices=[("", f"Next {UPCOMING_DAYS} days"), ("all", "All upcoming")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["upcoming"].widget.attrs["class"] = "form-select form-select-sm"

    def values(self):
        """The valid filters (the projects in progress whose title holds the text typed, or
        None for all of them; the days ahead); an invalid one is reported and ignored."""
        self.is_valid()
        data = self.cleaned_data  # holds only the fields that passed
        title = data.get("project", "").strip()
        projects = Project.objects.in_progress().filter(title__icontains=title) if title else None
        return projects, None if data.get("upcoming") == "all" else UPCOMING_DAYS


class CheckInRecordForm(forms.Form):
    held_on = forms.DateField(
        label="Held on",
        initial=timezone.localdate,
        widget=DATE,
        error_messages={"required": "Say on which day the check-in was held."},
    )
    progress_note = forms.CharField(
        label="Progress",
        widget=SHORT_TEXT,
        max_length=TEXT_LIMIT,
        help_text="What was done since the last check-in, in a few sentences.",
        error_messages={"required": "Say how the work is going."},
    )
    on_track = forms.ChoiceField(
        label="On track?",
        choices=ON_TRACK_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_ON_TRACK, "invalid_choice": CHOOSE_ON_TRACK},
    )
    questions = forms.CharField(
        label="Questions raised", required=False, widget=SHORT_TEXT, max_length=TEXT_LIMIT
    )
    next_steps = forms.CharField(
        label="Next steps",
        required=False,
        widget=SHORT_TEXT,
        max_length=TEXT_LIMIT,
        help_text="Who does what before the next check-in.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].widget.attrs["max"] = f"{timezone.localdate():%Y-%m-%d}"

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        check_held_on(held_on)
        return held_on


def update_text(label, *, required=False, help_text=""):
    """A text box of the freelancer's update, capped so a public form cannot fill the database."""
    return forms.CharField(
        label=label,
        required=required,
        widget=SHORT_TEXT,
        max_length=UPDATE_TEXT_LIMIT,
        help_text=help_text,
        error_messages={
            "required": "Say how the work is going.",
            "max_length": "Keep this under %(limit_value)s characters (it has %(show_value)s).",
        },
    )


class FreelancerUpdateForm(forms.Form):
    """What a freelancer posts through their signed check-in link, without an account."""

    progress = update_text("Progress", required=True, help_text="What you did since the last check-in.")
    on_track = forms.ChoiceField(
        label="On track?",
        choices=ON_TRACK_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_ON_TRACK, "invalid_choice": CHOOSE_ON_TRACK},
    )
    questions = update_text("Questions for the owner")
    blockers = update_text(
        "Anything blocking you?", help_text="Access, answers or files you are waiting for."
    )
    percent_done = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
        error_messages={
            "invalid": PERCENT_DONE_WORDS,
            "min_value": PERCENT_DONE_WORDS,
            "max_value": PERCENT_DONE_WORDS,
        },
    )

    def __init__(self, *args, milestone=None, **kwargs):
        """`milestone`: the one the share done is asked of (services.milestone_to_declare);
        without one, the question is left out."""
        super().__init__(*args, **kwargs)
        if milestone is None:
            del self.fields["percent_done"]
        else:
            field = self.fields["percent_done"]
            field.label = f"How much of “{milestone.title}” is done? (%)"
            field.help_text = "Your best guess, from 0 to 100. Leave it empty if you would rather not say."


def chosen_kinds():
    """The kinds of reminder a user chooses to receive or not on their settings page."""
    return [kind for kind in Reminder.Kind.values if kind not in Reminder.SENT_ON_ACTION]


class ReminderPreferenceForm(forms.ModelForm):
    """What one user receives: a box per kind of reminder (ticked is received) and how;
    and the time zone their emails and pages show times in."""

    receive = forms.MultipleChoiceField(
        label="Email me about",
        choices=[(kind, label) for kind, label in Reminder.Kind.choices if kind in chosen_kinds()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A kind left unticked is not sent about your projects, to you or to your freelancers.",
        error_messages={"invalid_choice": "Tick only the kinds of reminder listed."},
    )

    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times in your emails and on these pages are shown in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list, such as Europe/Berlin."},
    )

    class Meta:
        model = ReminderPreference
        fields = ("daily_digest", "updates_mark_held", "time_zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["receive", *self.Meta.fields])
        site_zone = ("", f"The site's time zone ({settings.TIME_ZONE})")
        self.fields["time_zone"].choices = [site_zone, *zone_choices()]
        self.fields["receive"].initial = [kind for kind in chosen_kinds() if self.instance.wants(kind)]
        self.fields["daily_digest"].help_text = (
            f"Instead of one email per reminder, one email each morning from "
            f"{settings.REMINDER_DIGEST_HOUR}:00 listing everything due. Your freelancers' "
            f"reminders still go to them one by one."
        )

    def save(self, commit=True):
        receive = set(self.cleaned_data["receive"])
        self.instance.muted_kinds = [kind for kind in chosen_kinds() if kind not in receive]
        return super().save(commit)


class MilestoneForm(forms.ModelForm):
    """One row of the project form's milestone table.

    Amount and order start blank rather than at the model's 0: nobody reads a 0 they did not
    type as their own, and an untouched spare row stays unchanged, so it is skipped. Left
    blank, the amount is 0 and the order is the row's position in the table.
    """

    class Meta:
        model = Milestone
        fields = ["title", "due_on", "amount", "status", "order"]
        widgets = {"due_on": DATE, "order": forms.NumberInput(attrs={"min": 0, "style": "width: 5rem"})}

    def __init__(self, *args, position=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.position = position
        for name in ("amount", "order"):
            self.fields[name].required = False
            self.fields[name].initial = None
            if self.instance.pk is None:
                self.initial.pop(name, None)
        for field in self.fields.values():
            # The table's one header row shows the labels; each cell's input still has its name.
            field.widget.attrs.setdefault("aria-label", field.label)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        return Decimal(0) if amount is None else amount

    def clean_order(self):
        order = self.cleaned_data["order"]
        return self.position if order is None else order


class BaseMilestoneFormSet(BaseInlineFormSet):
    default_error_messages = {"too_many_forms": "A project has at most %(num)d milestones."}

    def get_form_kwargs(self, index):
        # index is None for the empty form that the "Add a milestone" button copies.
        return {**super().get_form_kwargs(index), "position": None if index is None else index + 1}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"
            form.fields["DELETE"].widget.attrs["aria-label"] = "Remove"


# More milestones than anyone plans for one project, far fewer than a forged post asks for.
MAX_MILESTONES = 100


def milestone_formset(user, data=None, *, instance):
    """The milestone rows of the project form. Removing a milestone needs the right to delete
    one: without it the rows have no delete box and a posted one is ignored."""
    formset_class = inlineformset_factory(
        Project,
        Milestone,
        form=MilestoneForm,
        formset=BaseMilestoneFormSet,
        formfield_callback=date_range_formfield,
        extra=2,
        can_delete=user.has_perm("milestones.delete_milestone"),
        min_num=0,
        validate_min=False,
        # A posted row count is believed only up to here: Django's own ceiling (2,000 rows)
        # let one forged post build, check and render thousands of rows for half a minute.
        max_num=MAX_MILESTONES,
        absolute_max=MAX_MILESTONES,
        validate_max=True,
    )
    return formset_class(data, instance=instance, prefix="milestones")


def check_plan(form, formset):
    """The project and its milestones as typed, checked by the services' own rules: each
    row by its milestone (its due date within the leeway), the whole by project_services.check_plan.
    Errors go beside the fields; returns True when both are valid and agree."""
    if not (form.is_valid() and formset.is_valid()):
        return False
    rows = [row for row in formset.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]
    try:
        project_services.check_plan(
            project=form.instance,
            milestones=[row.instance for row in rows],
            confirm_over_budget=form.cleaned_data["confirm_over_budget"],
            by=form.user,
        )
    except ValidationError as error:
        add_service_errors(form, error)
    return not form.errors


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Milestone.Status.choices)


class DeliverableSendBackForm(forms.Form):
    owner_note = forms.CharField(
        label="What needs to change",
        widget=SHORT_TEXT,
        max_length=NOTE_LIMIT,
        help_text="Emailed to the freelancer with the file's name.",
        error_messages={"required": "Say what needs to change before sending it back."},
    )


class DeliverableUploadForm(forms.Form):
    """A file the owner received another way (a chat, a USB stick) and records for a milestone."""

    milestone = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of this project's milestones."},
    )
    file = forms.FileField(help_text=lazy(allowed_files_help, str)())
    is_final = forms.BooleanField(label="This is the milestone's final deliverable", required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = project.milestones.order_by("order", "due_on", "pk")

    def clean_file(self):
        # The same check the service makes, here so the error is beside the field before the
        # whole file is read: a file over the limit is refused by its size alone.
        upload = self.cleaned_data["file"]
        check_file(name=upload.name, size=upload.size, head=upload.read(HEAD_BYTES))
        upload.seek(0)
        return upload
