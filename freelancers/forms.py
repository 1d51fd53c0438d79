import re

from django import forms
from django.utils import timezone
from django.utils.functional import lazy

from common.dates import date_range_formfield, validate_typed_date
from common.uploads import HEAD_BYTES, allowed_files_help, check_file, clean_file_name
from freelancers.models import (
    AccessGrant,
    Freelancer,
    Interview,
    Reference,
    Skill,
    Testimonial,
    WorkSample,
    normalize_skill_name,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHORT_TEXT = forms.Textarea(attrs={"rows": 3})


class FreelancerForm(forms.ModelForm):
    class Meta:
        model = Freelancer
        fields = [
            "name",
            "email",
            "phone",
            "video_handle",
            "timezone",
            "location",
            "skills",
            "hourly_rate",
            "currency",
            "source",
            "status",
            "do_not_hire",
            "do_not_hire_reason",
            "notes",
            "gut_feeling",
        ]
        widgets = {
            "skills": forms.SelectMultiple(attrs={"size": 6}),
            "do_not_hire_reason": SHORT_TEXT,
            "notes": SHORT_TEXT,
            "gut_feeling": SHORT_TEXT,
        }
        help_texts = {"skills": "Hold Ctrl (⌘ on a Mac) to pick several."}

    new_skills = forms.CharField(
        required=False,
        label="Other skills",
        help_text="Skills not in the list, separated by commas; they are added for everyone.",
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip()

    def clean_new_skills(self):
        # Measured as stored: normalising can lengthen a name (one ligature, several letters).
        typed = (normalize_skill_name(name) for name in self.cleaned_data["new_skills"].split(","))
        names = [name for name in typed if name]
        too_long = [name for name in names if len(name) > Skill._meta.get_field("name").max_length]
        if too_long:
            raise forms.ValidationError(f"“{too_long[0][:30]}…” is too long for a skill name.")
        return names


class FreelancerFilterForm(forms.Form):
    """The list's search, filters and sort order, read from the query string."""

    SORTS = {
        "name": ("name", "Name A–Z"),
        "-name": ("-name", "Name Z–A"),
        "status": ("status", "Pipeline stage"),
        "rate": ("hourly_rate", "Rate, lowest first"),
        "-rate": ("-hourly_rate", "Rate, highest first"),
        "newest": ("-created_at", "Newest first"),
    }
    YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]

    q = forms.CharField(required=False, label="Search", max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Freelancer.Status.choices])
    skill = forms.ModelChoiceField(required=False, queryset=Skill.objects.all(), empty_label="Any skill")
    trust = forms.ChoiceField(
        required=False, label="Trust level", choices=[("", "Any trust level"), *Freelancer.TrustLevel.choices]
    )
    do_not_hire = forms.ChoiceField(required=False, label="Do not hire", choices=YES_NO)
    archived = forms.BooleanField(required=False, label="Show archived")
    sort = forms.ChoiceField(required=False, choices=[(key, label) for key, (_, label) in SORTS.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "archived":
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = (
                    f"{css} form-select-sm" if css == "form-select" else f"{css} form-control-sm"
                )

    def filter(self, queryset):
        """Apply the valid filters; an invalid one is reported on the form and ignored."""
        self.is_valid()
        data = self.cleaned_data  # holds only the fields that passed
        queryset = queryset if data.get("archived") else queryset.active()
        queryset = queryset.search(data.get("q", ""))
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("skill"):
            queryset = queryset.filter(skills=data["skill"])
        if data.get("trust"):
            queryset = queryset.filter(trust_level=data["trust"])
        if data.get("do_not_hire"):
            queryset = queryset.filter(do_not_hire=data["do_not_hire"] == "yes")
        ordering, _ = self.SORTS.get(data.get("sort") or "name")
        return queryset.order_by(ordering, "pk")


class ReferenceForm(forms.ModelForm):
    class Meta:
        model = Reference
        formfield_callback = date_range_formfield
        fields = ["name", "relationship", "contact", "contacted_on", "outcome", "notes"]
        widgets = {"contacted_on": DATE, "notes": SHORT_TEXT}


class TestimonialForm(forms.ModelForm):
    class Meta:
        model = Testimonial
        fields = ["author", "source_url", "text", "verified", "verified_how"]
        widgets = {"text": SHORT_TEXT}


class WorkSampleForm(forms.ModelForm):
    class Meta:
        model = WorkSample
        fields = ["title", "url", "file", "rating", "notes"]
        widgets = {"notes": SHORT_TEXT, "rating": forms.NumberInput(attrs={"min": 1, "max": 5})}
        help_texts = {"file": lazy(allowed_files_help, str)()}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload or upload == self.instance.file:
            return upload
        mime = check_file(name=upload.name, size=upload.size, head=upload.read(HEAD_BYTES))
        upload.seek(0)
        self.instance.original_filename = clean_file_name(upload.name)
        self.instance.content_type = mime
        return upload


class InterviewForm(forms.ModelForm):
    class Meta:
        model = Interview
        formfield_callback = date_range_formfield
        fields = ["held_on", "channel", "questions_asked", "notes", "red_flags", "recommendation"]
        widgets = {
            "held_on": DATE,
            "questions_asked": SHORT_TEXT,
            "notes": SHORT_TEXT,
            "red_flags": SHORT_TEXT,
        }

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError("This date is in the future: record an interview once it is held.")
        return held_on


NO_SECRETS_NOTE = (
    "Never write a password, key or other secret here: record what was given, not the secret itself."
)


class AccessGrantForm(forms.ModelForm):
    class Meta:
        model = AccessGrant
        formfield_callback = date_range_formfield
        fields = ["system", "access_level", "project", "why_needed", "granted_on", "revoke_by"]
        widgets = {"granted_on": DATE, "revoke_by": DATE, "why_needed": SHORT_TEXT}
        help_texts = {"why_needed": NO_SECRETS_NOTE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this freelancer's projects make sense here.
        freelancer_id = self.instance.freelancer_id
        self.fields["project"].queryset = self.fields["project"].queryset.filter(freelancer_id=freelancer_id)

    def clean(self):
        cleaned = super().clean()
        for name in ("system", "why_needed"):
            if looks_like_a_secret(cleaned.get(name, "")):
                self.add_error(name, NO_SECRETS_NOTE)
        return cleaned


class RevocationForm(forms.Form):
    revoked_on = forms.DateField(
        label="Revoked on", initial=timezone.localdate, widget=DATE, validators=[validate_typed_date]
    )


# "password: hunter2", "API key = ...": a word for a secret followed by a value.
SECRET_PATTERN = re.compile(
    r"\b(password|passwd|pwd|passcode|api[ _-]?key|secret|token|pin)\s*[:=]", re.IGNORECASE
)


def looks_like_a_secret(text):
    return bool(SECRET_PATTERN.search(text or ""))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Pipeline stage", choices=Freelancer.Status.choices)


class DoNotHireForm(forms.Form):
    do_not_hire_reason = forms.CharField(label="Why not hire them again?", widget=SHORT_TEXT, max_length=2000)
