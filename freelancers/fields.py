"""Choosing a freelancer in a form by typing, not from a drop-down.

A drop-down sends every freelancer of the business with each page that has the form (at
2,000 freelancers the project page carried 2,000 options twice). Here the field is a text
box: the person types a name or an email and picks one of the suggestions, which
static/js/app.js fetches as they type from freelancers:names (at most NAMES_LIMIT). The
form accepts what the suggestions say ("Name <email>"), a bare email, a name that only one
freelancer has, or the freelancer's id, and only among the field's queryset.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

# Suggestions per keystroke: enough to find someone by the first letters of a name.
NAMES_LIMIT = 20

# "Ana Lima <ana@example.com>", as a suggestion reads, or a bare email.
WITH_EMAIL = re.compile(r"^(?:.*<\s*(?P<bracketed>[^<>\s]+@[^<>\s]+)\s*>|(?P<bare>[^<>\s]+@[^<>\s]+))$")


def label(freelancer):
    """How a freelancer is suggested and shown in the field: the name, and the email that
    tells two people of the same name apart."""
    return f"{freelancer.name} <{freelancer.email}>"


class FreelancerInput(forms.TextInput):
    """A text box with a list of suggestions: those given by the form (a few, such as the
    project's suggested backups), then those the script fetches as the person types."""

    def __init__(self, attrs=None, *, scope="active"):
        super().__init__({"autocomplete": "off", "placeholder": "Type a name or an email", **(attrs or {})})
        self.scope = scope
        self.suggestions = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id', name)}-suggestions"
        widget_attrs["data-freelancer-names"] = f"{reverse('freelancers:names')}?scope={self.scope}"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}-suggestions"
        options = format_html_join(
            "", '<option value="{}"></option>', ((label(f),) for f in self.suggestions)
        )
        return format_html('{}<datalist id="{}">{}</datalist>', box, list_id, options)


class FreelancerChoiceField(forms.ModelChoiceField):
    """A freelancer of `queryset`, typed (see the module's docstring)."""

    def __init__(self, queryset, *, scope="active", **kwargs):
        kwargs.setdefault("widget", FreelancerInput(scope=scope))
        super().__init__(queryset, **kwargs)

    def prepare_value(self, value):
        # A form shows the chosen freelancer as the suggestions read, not as an id.
        if hasattr(value, "_meta"):
            return label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            chosen = self.queryset.filter(pk=value).first()
            return label(chosen) if chosen else value
        return value

    def to_python(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        found = WITH_EMAIL.match(text)
        if found:
            email = found.group("bracketed") or found.group("bare")
            matches = list(self.queryset.filter(email__iexact=email)[:2])
        elif text.isdigit():
            matches = list(self.queryset.filter(pk=int(text))[:2])
        else:
            matches = list(self.queryset.filter(name__iexact=text)[:2])
        if not matches:
            raise ValidationError(
                f"No freelancer who can be chosen here is called “{text[:120]}”. "
                "Pick one of the suggestions, or type their email."
            )
        if len(matches) > 1:
            raise ValidationError(
                f"More than one freelancer is called “{text[:120]}”. Type their email to choose one."
            )
        return matches[0]

    def has_changed(self, initial, data):
        # The same freelancer typed another way (their email, their id) is no change.
        if self.disabled:
            return False
        try:
            chosen = self.to_python(data)
        except ValidationError:
            return True
        before = getattr(initial, "pk", initial)
        return str(getattr(chosen, "pk", "")) != ("" if before in (None, "") else str(before))
