from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from common.dates import date_range_formfield
from common.form_errors import add_service_errors
from common.policy import withhold_money_fields
from freelancers.models import Freelancer
from milestones.models import Milestone
from projects import services
from projects.health import AMBER, GREEN, RANK, RED
from projects.models import Backup, Payment, Project, Review

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHORT_TEXT = forms.Textarea(attrs={"rows": 3})
# Fields only someone with projects.change_project_budget may change.
BUDGET_FIELDS = ("budget", "currency", "budget_buffer_percent", "schedule_buffer_days")
# Fields that are money: shown only to whoever may see money (common.policy).
MONEY_FIELDS = ("budget", "budget_buffer_percent")


STATUS_NOT_HERE = (
    "Choose one of the statuses offered. A project is completed on its completion page, "
    "which records the date and asks for the freelancer's review."
)


def settable_statuses(current=None):
    """The statuses a form may set directly: all but completed, which has its own step
    (kept when the project is completed already, so editing it changes nothing)."""
    return [
        (value, label)
        for value, label in Project.Status.choices
        if value != Project.Status.COMPLETED or value == current
    ]


class ProjectForm(forms.ModelForm):
    trust_override = forms.BooleanField(
        required=False,
        label="Override the trial rule",
        help_text="Put a freelancer without a finished trial on a budget above the trial limit.",
    )
    override_reason = forms.CharField(required=False, label="Why override?", widget=SHORT_TEXT)
    confirm_over_budget = forms.BooleanField(
        required=False,
        label="Save although the milestones add up to more than the budget plus contingency",
    )

    class Meta:
        model = Project
        formfield_callback = date_range_formfield
        fields = [
            "title",
            "brief",
            "freelancer",
            "is_trial",
            "skills",
            "status",
            "start_on",
            "due_on",
            "schedule_buffer_days",
            "budget",
            "currency",
            "budget_buffer_percent",
            "checkin_every_days",
        ]
        widgets = {
            "start_on": DATE,
            "due_on": DATE,
            "brief": SHORT_TEXT,
            "skills": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        status.choices = settable_statuses(current=self.instance.status if self.instance.pk else None)
        status.error_messages["invalid_choice"] = STATUS_NOT_HERE
        self.user = user
        self.fields["freelancer"].queryset = Freelancer.objects.active().order_by("name")
        self.fields["freelancer"].help_text = "Leave empty while you are still choosing."
        if self.instance.pk and not user.has_perm("projects.change_project_budget"):
            # Assistants see the budget and buffers but only the owner changes them.
            for name in BUDGET_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only the owner changes budgets and buffers."
        withhold_money_fields(self, MONEY_FIELDS, user)

    def clean(self):
        # The trial and do-not-hire rules themselves are checked by the services.
        cleaned = super().clean()
        if cleaned.get("trust_override") and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", "Say why you override the trial rule.")
        return cleaned

    @property
    def override_reason_given(self):
        """The reason typed now, or the one given before for the same freelancer."""
        if self.cleaned_data.get("trust_override"):
            return self.cleaned_data["override_reason"]
        if self.instance.pk and "freelancer" not in self.changed_data:
            return self.instance.trust_override_reason
        return ""


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
    row by its milestone (its due date within the leeway), the whole by services.check_plan.
    Errors go beside the fields; returns True when both are valid and agree."""
    if not (form.is_valid() and formset.is_valid()):
        return False
    rows = [row for row in formset.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]
    try:
        services.check_plan(
            project=form.instance,
            milestones=[row.instance for row in rows],
            confirm_over_budget=form.cleaned_data["confirm_over_budget"],
            by=form.user,
        )
    except ValidationError as error:
        add_service_errors(form, error)
    return not form.errors


class ProjectFilterForm(forms.Form):
    SORTS = {"due": ("due_on", "Due date, soonest first"), "-due": ("-due_on", "Due date, latest first")}
    HEALTH_CHOICES = [("", "Any health"), (RED, "In trouble"), (AMBER, "At risk"), (GREEN, "On track")]

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Project.Status.choices])
    health = forms.ChoiceField(required=False, choices=HEALTH_CHOICES)
    # A name to search for, not a drop-down: a business with thousands of freelancers would
    # send every one of them with each page of the list.
    freelancer = forms.CharField(
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": "Freelancer's name", "type": "search"}),
    )
    sort = forms.ChoiceField(required=False, choices=[(key, label) for key, (_, label) in SORTS.items()])
    archived = forms.BooleanField(required=False, label="Show archived")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                field.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["freelancer"].widget.attrs["class"] = "form-control form-control-sm"

    def filter(self, projects):
        """Filter and sort in the database, health included; returns a queryset to page."""
        self.is_valid()
        data = self.cleaned_data  # only the fields that passed
        projects = projects.with_health()
        if not data.get("archived"):
            projects = projects.current()
        if data.get("status"):
            projects = projects.filter(status=data["status"])
        if data.get("freelancer", "").strip():
            projects = projects.filter(freelancer__name__icontains=data["freelancer"].strip())
        if data.get("health"):
            projects = projects.filter(health_rank=RANK[data["health"]])
        ordering, _ = self.SORTS.get(data.get("sort") or "due")
        return projects.order_by(ordering, "pk")


class ProjectStatusForm(forms.Form):
    status = forms.ChoiceField(choices=settable_statuses)


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Milestone.Status.choices)


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        formfield_callback = date_range_formfield
        fields = ["amount", "paid_on", "milestone", "note"]
        widgets = {"paid_on": DATE}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["milestone"].queryset = project.milestones.all()
        self.fields["amount"].help_text = f"In {project.currency}."


class ReplaceFreelancerForm(forms.Form):
    freelancer = forms.ModelChoiceField(queryset=Freelancer.objects.none(), label="New freelancer")
    reason = forms.CharField(label="Why the change?", widget=SHORT_TEXT, max_length=2000)
    override_reason = forms.CharField(
        required=False,
        label="Trial rule override",
        widget=SHORT_TEXT,
        help_text="Needed only for a freelancer without a finished trial on a budget above the limit.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["freelancer"].queryset = (
            Freelancer.objects.active().exclude(pk=project.freelancer_id).order_by("name")
        )


class BackupForm(forms.ModelForm):
    class Meta:
        model = Backup
        formfield_callback = date_range_formfield
        fields = ["freelancer", "rank", "last_confirmed_on", "note"]
        widgets = {"last_confirmed_on": DATE}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["freelancer"].queryset = (
            Freelancer.objects.hireable().exclude(pk=project.freelancer_id).order_by("name")
        )


class CompletionForm(forms.ModelForm):
    unfinished_note = forms.CharField(
        required=False,
        widget=SHORT_TEXT,
        label="Why complete with unfinished milestones?",
        help_text="Needed only when some milestones are not approved.",
    )
    mark_do_not_hire = forms.BooleanField(
        required=False,
        label="Mark the freelancer do-not-hire",
        help_text="Offered when you would not rehire them; the review becomes the reason.",
    )

    class Meta:
        model = Review
        formfield_callback = date_range_formfield
        fields = [
            "quality",
            "communication",
            "timeliness",
            "budget",
            "went_well",
            "do_differently",
            "debriefed_on",
            "would_rehire",
        ]
        widgets = {
            "went_well": SHORT_TEXT,
            "do_differently": SHORT_TEXT,
            "debriefed_on": DATE,
            **dict.fromkeys(("quality", "communication", "timeliness", "budget"), forms.RadioSelect),
        }
