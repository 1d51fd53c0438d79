from django import forms

from common.dates import date_range_formfield
from common.policy import withhold_money_fields
from freelancers.fields import FreelancerChoiceField
from freelancers.models import Freelancer
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
    freelancer = FreelancerChoiceField(
        Freelancer.objects.none(), required=False, help_text="Leave empty while you are still choosing."
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
        self.fields["freelancer"].queryset = Freelancer.objects.active()
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

    @property
    def filters_by_health(self):
        self.is_valid()
        return bool(self.cleaned_data.get("health"))  # only the fields that passed


class ProjectStatusForm(forms.Form):
    status = forms.ChoiceField(choices=settable_statuses)


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
    freelancer = FreelancerChoiceField(Freelancer.objects.none(), label="New freelancer")
    reason = forms.CharField(label="Why the change?", widget=SHORT_TEXT, max_length=2000)
    override_reason = forms.CharField(
        required=False,
        label="Trial rule override",
        widget=SHORT_TEXT,
        help_text="Needed only for a freelancer without a finished trial on a budget above the limit.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["freelancer"].queryset = Freelancer.objects.active().exclude(pk=project.freelancer_id)


class BackupForm(forms.ModelForm):
    freelancer = FreelancerChoiceField(Freelancer.objects.none(), scope="hireable")

    class Meta:
        model = Backup
        formfield_callback = date_range_formfield
        fields = ["freelancer", "rank", "last_confirmed_on", "note"]
        widgets = {"last_confirmed_on": DATE}

    def __init__(self, *args, project, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["freelancer"].queryset = Freelancer.objects.hireable().exclude(pk=project.freelancer_id)
        # Offered before anything is typed: the few approved ones who share the project's skills.
        self.fields["freelancer"].widget.suggestions = list(suggestions)


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
